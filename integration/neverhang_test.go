package integration

import (
	"context"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// desktop is a fake Linux desktop: DISPLAY set, no $BROWSER, and an
// xdg-open first on PATH that logs each call, then runs script (the
// browser's part) and lingers as a real opener can until the browser exits.
type desktop struct {
	env []string
	log string
}

func (w *world) desktop(t *testing.T, script string) *desktop {
	t.Helper()
	dir := filepath.Join(w.home, "desktop-bin")
	os.MkdirAll(dir, 0o755)
	d := &desktop{log: filepath.Join(w.home, "xdg-open.log")}
	pids := filepath.Join(w.home, "xdg-open.pids")
	opener := "#!/bin/sh\necho \"$1\" >> " + d.log + "\necho $$ >> " + pids + "\n" + script + "\nexec sleep 20\n"
	os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(opener), 0o755)
	t.Cleanup(func() {
		b, _ := os.ReadFile(pids)
		for _, p := range strings.Fields(string(b)) {
			w.exec(cmdOpts{}, "kill", p)
		}
	})
	d.env = []string{"BROWSER=", "DISPLAY=:0", "PATH=" + dir + ":" + bin.dir + ":" + os.Getenv("PATH")}
	return d
}

func (d *desktop) opened() int {
	b, _ := os.ReadFile(d.log)
	return strings.Count(string(b), "\n")
}

// an opener that lingers never holds up the flow: the person's
// time limit holds from the first moment, and a sign-in that completes
// returns as soon as the token is saved.
func TestLingeringOpenerNeverHolds(t *testing.T) {
	w := newWorld(t, 0)
	idle := w.desktop(t, "")
	start := time.Now()
	r := w.runWith(cmdOpts{env: idle.env}, append([]string{"token", "--login-timeout", "3s"}, w.service("linger")...)...)
	took := time.Since(start)
	if r.code != 1 || !strings.Contains(r.stderr, "gave up waiting for the browser sign-in") || took > 4*time.Second {
		t.Fatalf("exit %d after %v\n%s", r.code, took, r.stderr)
	}
	if !strings.Contains(r.stderr, "Opening your browser") || idle.opened() != 1 {
		t.Fatalf("the opener ran %d times\n%s", idle.opened(), r.stderr)
	}
	t.Logf("--login-timeout 3s with a lingering opener: %v", took.Round(time.Millisecond))

	w2 := newWorld(t, 0)
	signs := w2.desktop(t, bin.browser+" \"$1\"")
	start = time.Now()
	r = w2.runWith(cmdOpts{env: signs.env}, append([]string{"token", "--save"}, w2.service("linger")...)...)
	took = time.Since(start)
	if r.code != 0 || took > 5*time.Second || !strings.Contains(r.stderr, "Saved the token") {
		t.Fatalf("exit %d after %v\n%s", r.code, took, r.stderr)
	}
	t.Logf("a sign-in whose opener lingers 20 s returned after %v", took.Round(time.Millisecond))
}

// with no terminal and no desktop, git get and token exit 3
// within a second; an explicit --flow device shows its code on stderr.
func TestNoPersonExitsAtOnce(t *testing.T) {
	w := newWorld(t, 0)
	none := []string{"BROWSER=", "DISPLAY=", "WAYLAND_DISPLAY="}
	for _, args := range [][]string{
		append([]string{"token"}, w.service("alone")...),
		append([]string{"git", "get", "--host", "127.0.0.1:9"}, w.service("alone")...),
	} {
		start := time.Now()
		r := w.runWith(cmdOpts{env: none, stdin: "protocol=http\nhost=127.0.0.1:9\n\n"}, args...)
		took := time.Since(start)
		if r.code != 3 || r.stdout != "" || took > time.Second || !strings.Contains(r.stderr, "no terminal or browser to sign in; run 'oauth2cred login --service alone") {
			t.Fatalf("%v: exit %d after %v\n%s", args[0], r.code, took, r.stderr)
		}
		t.Logf("%s with no one to ask: exit 3 after %v", args[0], took.Round(time.Millisecond))
	}
	r := w.runWith(cmdOpts{env: none}, append([]string{"token", "--flow", "device", "--login-timeout", "2s"}, w.service("alone")...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "enter the code") || !strings.Contains(r.stderr, "Waiting for approval") {
		t.Fatalf("explicit device flow: exit %d\n%s", r.code, r.stderr)
	}
}

// 20 background git fetches (no terminal) on a desktop
// whose session needs a sign-in: one browser, every other fetch fails fast,
// and once the sign-in is done every fetch works.
func TestParallelBackgroundFetchesOpenOneBrowser(t *testing.T) {
	g := newGitWorld(t)
	helper, dir := g.cloned("par")
	if r := g.run(append([]string{"logout"}, g.service("par")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// No terminal to ask whether to save: a desktop's helper line says --save.
	helper += " --save"
	d := g.desktop(t, "sleep 1; "+bin.browser+" \"$1\"")
	fetch := func() (result, time.Duration) {
		start := time.Now()
		r := g.exec(cmdOpts{dir: dir, env: d.env}, "git", "-c", "credential.helper=", "-c", "credential.helper="+helper, "fetch", "-q")
		return r, time.Since(start)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, failed int
	var slowest time.Duration
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, took := fetch()
			mu.Lock()
			defer mu.Unlock()
			if r.code == 0 {
				ok++
				return
			}
			failed++
			slowest = max(slowest, took)
			if !strings.Contains(r.stderr, `a sign-in for "par" is under way in another process`) {
				t.Errorf("a failed fetch says:\n%s", r.stderr)
			}
		}()
	}
	wg.Wait()
	if d.opened() != 1 || ok < 1 {
		t.Fatalf("browsers opened: %d, fetches ok: %d, failed: %d", d.opened(), ok, failed)
	}
	if slowest > 3*time.Second {
		t.Fatalf("a fetch that could not sign in took %v", slowest)
	}
	for range 3 {
		if r, _ := fetch(); r.code != 0 {
			t.Fatalf("fetch after the sign-in: %s", r.stderr)
		}
	}
	if d.opened() != 1 {
		t.Fatalf("browsers opened: %d", d.opened())
	}
	t.Logf("20 parallel fetches: 1 browser, %d ok, %d failed, slowest failure %v", ok, failed, slowest.Round(time.Millisecond))
}

// after an abandoned sign-in, background calls open nothing
// and fail fast for the cool-down; login at a terminal still signs in.
func TestCooldownAfterAbandonedSignIn(t *testing.T) {
	w := newWorld(t, 0)
	d := w.desktop(t, "")
	r := w.runWith(cmdOpts{env: d.env}, append([]string{"token", "--login-timeout", "1s"}, w.service("cool")...)...)
	if r.code != 1 || d.opened() != 1 {
		t.Fatalf("abandoned sign-in: exit %d, opened %d\n%s", r.code, d.opened(), r.stderr)
	}
	var slowest time.Duration
	for range 10 {
		start := time.Now()
		r := w.runWith(cmdOpts{env: d.env}, append([]string{"token"}, w.service("cool")...)...)
		slowest = max(slowest, time.Since(start))
		if r.code != 3 || !strings.Contains(r.stderr, `a sign-in for "cool" was abandoned`) || !strings.Contains(r.stderr, "run 'oauth2cred login --service cool") {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	}
	if d.opened() != 1 || slowest > time.Second {
		t.Fatalf("cool-down: %d browsers, slowest call %v", d.opened(), slowest)
	}
	cmd, ptmx, _, _, term := w.onTerminal(t, nil, append([]string{"login"}, w.service("cool")...)...)
	term.waitFor(t, regexp.MustCompile(`\[Y/n\]`), 30*time.Second)
	ptmx.Write([]byte("y\r"))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login during the cool-down: %v\n%s", err, term)
	}
	w.token("cool")
	t.Logf("10 calls in the cool-down: 0 browsers, slowest %v", slowest.Round(time.Millisecond))
}

// the save prompt honours the person's time limit: no answer
// means not saved, said so, and the call ends.
func TestSavePromptHonoursLoginTimeout(t *testing.T) {
	w := newWorld(t, 0)
	start := time.Now()
	cmd, _, stdout, _, term := w.onTerminal(t, nil, append([]string{"token", "--login-timeout", "3s"}, w.service("prompt")...)...)
	term.waitFor(t, regexp.MustCompile(`\[Y/n\]`), 10*time.Second)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, term)
	}
	took := time.Since(start)
	if took > 4*time.Second || !strings.Contains(term.String(), "No answer within the time limit; not saving.") || strings.TrimSpace(stdout.String()) == "" {
		t.Fatalf("after %v:\n%s", took, term)
	}
	if _, err := os.Stat(filepath.Join(w.tokenDir, ".prompt-token")); err == nil {
		t.Fatal("saved without an answer")
	}
}

// the device flow draws the verification address as a QR code
// on the terminal; decoding what is drawn gives the address back. It says
// that it waits, and when it is done.
func TestDeviceQRCode(t *testing.T) {
	w := newWorld(t, 0)
	cmd, _, _, _, term := w.onTerminal(t, []string{"BROWSER="}, append([]string{"login", "--save", "--flow", "device"}, w.service("qr")...)...)
	m := term.waitFor(t, regexp.MustCompile(`enter the code (\S+)\r?\n`), 20*time.Second)
	term.waitFor(t, regexp.MustCompile(`Waiting for approval`), 10*time.Second)
	screen := term.String()
	want := regexp.MustCompile(`\(or open (\S+), which carries the code\)`).FindStringSubmatch(screen)
	if want == nil {
		t.Fatalf("no complete address:\n%s", screen)
	}
	got, err := decodeQR(screen)
	if err != nil || got != want[1] {
		t.Fatalf("decoded %q (%v), want %q\n%s", got, err, want[1], screen)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := w.op.ApproveDevice(ctx, m[1], true); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(term.String(), "Approved; signed in.") {
		t.Fatalf("no word that it is done:\n%s", term)
	}
}

// decodeQR reads a half-block QR code from terminal text: each character is
// two modules, top and bottom ('█' both light, ' ' both dark, '▀' light on
// top, '▄' light below; on a dark terminal the blocks are the light
// modules), and decodes it with ZXing's Go port.
func decodeQR(screen string) (string, error) {
	var rows []string
	for _, line := range strings.Split(strings.ReplaceAll(screen, "\r", ""), "\n") {
		if len(line) > 20 && strings.Trim(line, "█▀▄ ") == "" {
			rows = append(rows, line)
		} else if len(rows) > 10 {
			break
		} else {
			rows = nil
		}
	}
	const scale = 4
	width := 0
	for _, r := range rows {
		width = max(width, len([]rune(r)))
	}
	img := image.NewGray(image.Rect(0, 0, (width+8)*scale, (len(rows)*2+8)*scale))
	for i := range img.Pix {
		img.Pix[i] = 255 // a light quiet zone around it
	}
	set := func(x, y int, light bool) {
		c := color.Gray{Y: 0}
		if light {
			c.Y = 255
		}
		for dy := range scale {
			for dx := range scale {
				img.SetGray((x+4)*scale+dx, (y+4)*scale+dy, c)
			}
		}
	}
	for y, r := range rows {
		for x, ch := range []rune(r) {
			set(x, 2*y, ch == '█' || ch == '▀')
			set(x, 2*y+1, ch == '█' || ch == '▄')
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// messages say what is happening. The paste hint appears only
// where it can help (no browser opened, or over SSH); --verbose says whether
// a call was served from the file, refreshed, or signed in.
func TestMessagesSayWhatHappens(t *testing.T) {
	w := newWorld(t, 0)
	for _, tc := range []struct {
		env       []string
		args      []string
		opened    bool
		pasteHint bool
	}{
		{nil, nil, true, false},
		{[]string{"SSH_CONNECTION=10.0.0.1 5555 10.0.0.2 22"}, nil, true, true},
		{[]string{"BROWSER="}, []string{"--no-browser", "--flow", "browser", "--login-timeout", "2s"}, false, true},
	} {
		cmd, _, _, _, term := w.onTerminal(t, tc.env, append(append([]string{"token", "--no-save"}, tc.args...), w.service("msg")...)...)
		cmd.Wait()
		screen := term.String()
		if strings.Contains(screen, "Opening your browser") != tc.opened || strings.Contains(screen, "Open this address in a browser") == tc.opened ||
			strings.Contains(screen, "paste the address") != tc.pasteHint {
			t.Errorf("env %v args %v:\n%s", tc.env, tc.args, screen)
		}
	}
	svc := w.service("v")
	for _, step := range []struct {
		prepare func()
		want    string
	}{
		{func() {}, `signed in to "v"`},
		{func() {}, `served the token of "v" from ` + w.tokenDir},
		{func() { w.age("v") }, `refreshed the token of "v" (the saved one expires within 1m0s)`},
	} {
		step.prepare()
		r := w.run(append([]string{"token", "--save", "--verbose"}, svc...)...)
		if r.code != 0 || !strings.Contains(r.stderr, step.want) {
			t.Fatalf("exit %d, want %q\n%s", r.code, step.want, r.stderr)
		}
	}
}

// A desktop (DISPLAY set) with no opener installed is a call with no
// browser: without a terminal it exits 3 at once with its hint, never
// waiting for a page nobody opened (SPEC §3).
func TestDesktopWithoutOpenerFailsFast(t *testing.T) {
	w := newWorld(t, 0)
	empty := filepath.Join(w.home, "empty-bin")
	os.MkdirAll(empty, 0o755)
	env := []string{"BROWSER=", "DISPLAY=:0", "PATH=" + empty}
	start := time.Now()
	r := w.runWith(cmdOpts{env: env}, append([]string{"token", "--login-timeout", "20s"}, w.service("noopener")...)...)
	if took := time.Since(start); r.code != 3 || took > 5*time.Second || !strings.Contains(r.stderr, "oauth2cred login --service noopener") {
		t.Fatalf("exit %d after %v\n%s", r.code, took, r.stderr)
	}
}
