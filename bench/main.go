// Command bench measures oauth2cred's cached path against git's own
// credential-store helper, and the parallel refresh, on this machine.
// Run it through bench/run; it writes bench/RESULTS.md.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"oauth2cred/integration/op"
	"oauth2cred/persist"
)

// release is how the README tells people to build: static (no cgo start-up)
// and without urfave/cli's man-page generator.
var release = []string{"build", "-trimpath", "-tags", "urfave_cli_no_docs", "-ldflags", "-s -w"}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type row struct{ name, a, b, ratio, note string }

func run() error {
	work, err := os.MkdirTemp("", "oauth2cred-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "oauth2cred")
	build := exec.Command("go", append(release, "-o", bin, ".")...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	floor := filepath.Join(work, "floor")
	fb := exec.Command("go", append(release, "-o", floor, "./bench/floor")...)
	fb.Env = build.Env
	if out, err := fb.CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	hello := filepath.Join(work, "hello")
	hb := exec.Command("go", append(release, "-o", hello, "./bench/hello")...)
	hb.Env = build.Env
	if out, err := hb.CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	browser := filepath.Join(work, "browser")
	if out, err := exec.Command("go", "build", "-o", browser, "./integration/testbrowser").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	provider, err := op.Start(0)
	if err != nil {
		return err
	}
	defer provider.Close()

	tokenDir := filepath.Join(work, "tokens")
	cfgDir := filepath.Join(work, "config", "oauth2cred")
	os.MkdirAll(cfgDir, 0o700)
	cfg := fmt.Sprintf("[services.bench]\nissuer = %q\nclient_id = %q\nscopes = [\"openid\", \"offline_access\"]\nhosts = [\"git.example.com\"]\n", provider.Issuer, op.NativeID)
	os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte(cfg), 0o600)
	// CI=true (set by CI) would make the benchmark's first login impossible.
	env := append(os.Environ(), "CI=", "HOME="+work, "XDG_CONFIG_HOME="+filepath.Join(work, "config"),
		"OAUTH2CRED_TOKEN_DIR="+tokenDir, "BROWSER="+browser)
	keyringEnv, stopKeyring, err := startKeyring(work)
	if err != nil {
		return err
	}
	defer stopKeyring()
	env = append(env, keyringEnv...)

	// A real token from the provider, saved (and mirrored to the keyring).
	login := exec.Command(bin, "login", "--save", "--keyring", "--service", "bench")
	login.Env = env
	if out, err := login.CombinedOutput(); err != nil {
		return fmt.Errorf("login: %v\n%s", err, out)
	}
	input := filepath.Join(work, "git-input")
	os.WriteFile(input, []byte("protocol=https\nhost=git.example.com\n\n"), 0o600)
	store := filepath.Join(work, "git-credentials")
	os.WriteFile(store, []byte("https://oauth2:secret@git.example.com\n"), 0o600)
	q := func(s string) string { return "'" + s + "'" }
	info := `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`

	var rows []row
	// a. git get, side by side: one run of each command in turn, so that a
	// busy spell of this shared machine falls on all of them alike (two
	// hyperfine runs one after the other gave ratios from 1.65× to 2.9×).
	gitStore := []string{"git", "credential-store", "--file", store, "get"}
	w, err := interleaved(env, input, 500,
		[]string{bin, "git", "get", "--service", "bench"}, gitStore, []string{floor}, []string{hello})
	if err != nil {
		return err
	}
	rows = append(rows,
		row{"a. git get (cached) vs git credential-store get", ms(w[0]), ms(w[1]), ratio(w[0], w[1]), "target ≤ 1.6×"},
		row{"floor: static Go binary with the same packages, empty main", ms(w[2]), ms(w[1]), ratio(w[2], w[1]), "what no Go helper can beat"},
		row{"hello: the smallest static Go binary", ms(w[3]), ms(w[1]), ratio(w[3], w[1]), "Go's own start"})
	// Instructions, which a busy machine does not disturb (valgrind's
	// callgrind; median of 7 runs each, as address-space randomisation
	// moves the count by a few per cent).
	i1, err := instructions(env, input, bin, "git", "get", "--service", "bench")
	if err != nil {
		return err
	}
	i2, err := instructions(env, input, "git", "credential-store", "--file", store, "get")
	if err != nil {
		return err
	}
	i3, err := instructions(env, input, floor)
	if err != nil {
		return err
	}
	rows = append(rows, row{"a. git get (cached), instructions (callgrind)", mega(i1), mega(i2), fmt.Sprintf("%.2f×", float64(i1)/float64(i2)),
		"target ≤ 1.5 M; floor " + mega(i3)})
	// b. kubectl with and without KUBERNETES_EXEC_INFO
	b1, b2, err := pair(env, bin+" kubectl --service bench", "KUBERNETES_EXEC_INFO="+q(info)+" "+bin+" kubectl --service bench")
	if err != nil {
		return err
	}
	rows = append(rows, row{"b. kubectl (cached) vs with KUBERNETES_EXEC_INFO", ms(b1), ms(b2), ratio(b1, b2), ""})
	// c. token, file only vs with --keyring (the keyring is not read while the file is valid)
	c1, c2, err := pair(env, bin+" token --service bench", bin+" token --service bench --keyring")
	if err != nil {
		return err
	}
	rows = append(rows, row{"c. token (cached) vs token --keyring", ms(c1), ms(c2), ratio(c1, c2), "real Secret Service"})
	// c'. keyring restore: file missing, the keyring copy is read and the file restored.
	file := filepath.Join(tokenDir, ".bench-token")
	c3, err := median(env, bin+" token --service bench --keyring", "rm -f "+q(file))
	if err != nil {
		return err
	}
	rows = append(rows, row{"c. token --keyring with the file deleted (restore)", ms(c3), "", "", "one Secret Service read + file write"})
	// d. 50 parallel calls on an expired token.
	wall, refreshes, failures, err := parallel(env, bin, tokenDir, provider, 50)
	if err != nil {
		return err
	}
	rows = append(rows, row{"d. 50 parallel token calls, expired token", fmt.Sprintf("%.0f ms wall", wall.Seconds()*1000), "",
		"", fmt.Sprintf("refresh requests: %d (target 1); failures: %d", refreshes, failures)})
	// e. peak RSS of a cached call.
	rss, err := peakRSS(env, bin)
	if err != nil {
		return err
	}
	rows = append(rows, row{"e. peak RSS of a cached token call", fmt.Sprintf("%.1f MB", float64(rss)/1024), "", "", "target ≤ 20 MB"})

	report := render(rows)
	fmt.Print(report)
	return os.WriteFile("bench/RESULTS.md", []byte(report), 0o644)
}

// interleaved runs each command once in turn, n times after 30 rounds of
// warm-up, with stdin from a file, and returns each one's median wall time
// from start to exit: what its caller waits for.
func interleaved(env []string, stdin string, n int, cmds ...[]string) ([]time.Duration, error) {
	times := make([][]time.Duration, len(cmds))
	for round := range n + 30 {
		for i, argv := range cmds {
			d, err := timed(env, stdin, argv)
			if err != nil {
				return nil, err
			}
			if round >= 30 {
				times[i] = append(times[i], d)
			}
		}
	}
	out := make([]time.Duration, len(cmds))
	for i, ts := range times {
		slices.Sort(ts)
		out[i] = ts[len(ts)/2]
	}
	return out, nil
}

func timed(env []string, stdin string, argv []string) (time.Duration, error) {
	in, err := os.Open(stdin)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	c := exec.Command(argv[0], argv[1:]...)
	c.Env, c.Stdin = env, in
	start := time.Now()
	if err := c.Run(); err != nil {
		return 0, fmt.Errorf("%v: %v", argv, err)
	}
	return time.Since(start), nil
}

// pair measures two commands in one hyperfine run and returns their medians.
func pair(env []string, a, b string) (time.Duration, time.Duration, error) {
	ms, err := hyperfine(env, "", a, b)
	if err != nil {
		return 0, 0, err
	}
	return ms[0], ms[1], nil
}

func median(env []string, cmd, prepare string) (time.Duration, error) {
	ms, err := hyperfine(env, prepare, cmd)
	if err != nil {
		return 0, err
	}
	return ms[0], nil
}

func hyperfine(env []string, prepare string, cmds ...string) ([]time.Duration, error) {
	out, err := os.CreateTemp("", "hyperfine*.json")
	if err != nil {
		return nil, err
	}
	out.Close()
	defer os.Remove(out.Name())
	args := []string{"--warmup", "30", "--runs", "300", "--style", "none", "--export-json", out.Name()}
	if prepare != "" {
		args = append(args, "--prepare", prepare)
	}
	cmd := exec.Command("hyperfine", append(args, cmds...)...)
	cmd.Env = env
	if o, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("hyperfine: %v\n%s", err, o)
	}
	data, err := os.ReadFile(out.Name())
	if err != nil {
		return nil, err
	}
	var res struct {
		Results []struct {
			Median float64 `json:"median"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, err
	}
	var ds []time.Duration
	for _, r := range res.Results {
		ds = append(ds, time.Duration(r.Median*float64(time.Second)))
	}
	return ds, nil
}

// parallel ages the saved token and runs n token calls at once.
func parallel(env []string, bin, tokenDir string, provider *op.Server, n int) (time.Duration, int, int, error) {
	dir := persist.Dir{Path: tokenDir}
	t, err := dir.Load("bench")
	if err != nil {
		return 0, 0, 0, err
	}
	t.Expiry = time.Now().Add(-time.Minute)
	if err := dir.Save("bench", t); err != nil {
		return 0, 0, 0, err
	}
	before := provider.Count("/oauth/token refresh_token")
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	tokens := map[string]bool{}
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "token", "--service", "bench", "--non-interactive")
			cmd.Env = env
			out, err := cmd.Output()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures++
				return
			}
			tokens[strings.TrimSpace(string(out))] = true
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if len(tokens) != 1 {
		failures += len(tokens) - 1
	}
	return wall, provider.Count("/oauth/token refresh_token") - before, failures, nil
}

// instructions counts what a command executes under callgrind, with
// stdin from a file. Callgrind now and then trips over a signal of the Go
// runtime (an assertion in its signal handling): such a run is tried again.
func instructions(env []string, stdin string, cmd ...string) (int64, error) {
	var counts []int64
	for failures := 0; len(counts) < 7; {
		n, err := callgrind(env, stdin, cmd)
		if err != nil {
			if failures++; failures > 3 {
				return 0, err
			}
			continue
		}
		counts = append(counts, n)
	}
	slices.Sort(counts)
	return counts[len(counts)/2], nil
}

func callgrind(env []string, stdin string, cmd []string) (int64, error) {
	in, err := os.Open(stdin)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	c := exec.Command("valgrind", append([]string{"--tool=callgrind", "--callgrind-out-file=/dev/null"}, cmd...)...)
	c.Env, c.Stdin = env, in
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return 0, fmt.Errorf("valgrind %v: %v\n%s", cmd, err, stderr.String())
	}
	_, v, ok := strings.Cut(stderr.String(), "Collected : ")
	var n int64
	if _, err := fmt.Sscanf(v, "%d", &n); !ok || err != nil {
		return 0, fmt.Errorf("no instruction count from valgrind for %v", cmd)
	}
	return n, nil
}

func mega(n int64) string { return fmt.Sprintf("%.2f M", float64(n)/1e6) }

func peakRSS(env []string, bin string) (int, error) {
	var peaks []int
	for range 5 {
		cmd := exec.Command("/usr/bin/time", "-v", bin, "token", "--service", "bench")
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("/usr/bin/time: %v\n%s", err, stderr.String())
		}
		sc := bufio.NewScanner(&stderr)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Maximum resident set size (kbytes): "); ok {
				var kb int
				fmt.Sscanf(v, "%d", &kb)
				peaks = append(peaks, kb)
			}
		}
	}
	if len(peaks) == 0 {
		return 0, fmt.Errorf("no RSS reading from /usr/bin/time")
	}
	sort.Ints(peaks)
	return peaks[len(peaks)-1], nil
}

// startKeyring runs a private D-Bus session with an unlocked gnome-keyring.
func startKeyring(work string) ([]string, func(), error) {
	data := filepath.Join(work, "keyring-data")
	os.MkdirAll(data, 0o700)
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c",
		`echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null && echo "$DBUS_SESSION_BUS_ADDRESS" && exec sleep 3600`)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+data, "HOME="+data)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("dbus-run-session: %v", err)
	}
	stop := func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM); cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "unix:") {
		stop()
		return nil, nil, fmt.Errorf("gnome-keyring did not start: %q %v", line, err)
	}
	return []string{"DBUS_SESSION_BUS_ADDRESS=" + strings.TrimSpace(line)}, stop, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func ratio(a, b time.Duration) string { return fmt.Sprintf("%.2f×", float64(a)/float64(b)) }

func render(rows []row) string {
	var b strings.Builder
	host, _ := os.Hostname()
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "model name\t: "); ok {
				cpu = v
				break
			}
		}
	}
	kernel, _ := exec.Command("uname", "-r").Output()
	gitv, _ := exec.Command("git", "--version").Output()
	fmt.Fprintf(&b, "# oauth2cred benchmark\n\n%s on %s: %d cores, %s, Linux %s, %s, %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), cpu, strings.TrimSpace(string(kernel)), runtime.Version(), strings.TrimSpace(string(gitv)))
	fmt.Fprintf(&b, "Whole processes, release build (`CGO_ENABLED=0 go %s`). Rows a, floor and hello: medians of 500 rounds that run each of the four commands once in turn (after 30 rounds of warm-up), timed from start to exit; the other rows: medians of 300 runs (hyperfine, after 30 warm-ups).\n\n", strings.Join(release, " "))
	b.WriteString("| measurement | oauth2cred | reference | ratio | note |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.name, r.a, r.b, r.ratio, r.note)
	}
	return b.String()
}
