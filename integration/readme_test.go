package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

type block struct {
	lang  string
	lines []string // logical lines, continuations joined
}

// readmeBlocks returns the fenced code blocks of the README.
func readmeBlocks(t *testing.T) []block {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	var cur *block
	var pending string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "```") {
			if cur == nil {
				cur = &block{lang: strings.TrimPrefix(line, "```")}
			} else {
				blocks = append(blocks, *cur)
				cur = nil
			}
			continue
		}
		if cur == nil {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\")
			continue
		}
		cur.lines = append(cur.lines, pending+line)
		pending = ""
	}
	return blocks
}

// TestReadmeCommands runs every shell command of the README against the real
// binary, git and kubectl, so the README cannot drift from the program.
func TestReadmeCommands(t *testing.T) {
	w := newWorld(t, 0)
	cfgDir := filepath.Join(w.home, ".config", "oauth2cred")
	os.MkdirAll(cfgDir, 0o700)
	ran := 0
	for _, b := range readmeBlocks(t) {
		switch b.lang {
		case "toml":
			os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte(strings.Join(b.lines, "\n")), 0o600)
		}
	}
	// The secret files the README names, in the test's home.
	secretFile := filepath.Join(w.home, "ci-bot-secret")
	for _, f := range []string{secretFile, filepath.Join(w.home, "secret.txt"), filepath.Join(cfgDir, "github-secret")} {
		os.WriteFile(f, []byte("not-a-real-secret\n"), 0o600)
	}
	env := []string{"CI=true", "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=",
		"KUBECONFIG=" + filepath.Join(w.home, "kubeconfig"), "CLIENT_ID=abc", "GIT_TERMINAL_PROMPT=0", "BROWSER="}
	for _, b := range readmeBlocks(t) {
		if b.lang != "sh" {
			continue
		}
		var helperURLs []string
		for _, line := range b.lines {
			line = strings.ReplaceAll(strings.TrimSpace(line), "/run/secrets/ci-bot", secretFile)
			switch {
			case line == "":
			case line == "go run ./integration/demo --serve":
				// Exercised by TestDemoServe, which follows what it prints.
			case strings.HasPrefix(line, "go run ./integration/demo"):
				runDemo(t)
				ran++
			case strings.Contains(line, "go install"):
				gobin := t.TempDir()
				cmd := exec.Command("bash", "-c", line)
				cmd.Dir = ".."
				cmd.Env = append(os.Environ(), "GOBIN="+gobin)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", line, err, out)
				}
				if out, err := exec.Command(filepath.Join(gobin, "oauth2cred"), "--version").Output(); err != nil || !strings.HasPrefix(string(out), "oauth2cred ") {
					t.Fatalf("the installed binary: %v %q", err, out)
				}
				ran++
			case strings.HasPrefix(line, "bash .ci/run"), strings.Contains(line, "go build"), strings.HasPrefix(line, "ln -sf"):
				// CI itself, and installing into the user's home: not run here.
			case strings.HasPrefix(line, "sudo "), strings.HasPrefix(line, "brew install"), strings.HasPrefix(line, "scoop install"),
				strings.HasPrefix(line, "tar xzf"), strings.HasPrefix(line, "install -m"), strings.HasPrefix(line, "rm -r ~/"):
				// Installing and removing packages: .ci/release-check installs
				// the release's .deb, runs it and removes it.
			case strings.HasPrefix(line, "git config"):
				r := w.bash(t, env, line)
				if r.code != 0 {
					t.Fatalf("%s\nexit %d: %s", line, r.code, r.stderr)
				}
				if m := regexp.MustCompile(`credential\.(https://[^ ]+)\.helper`).FindStringSubmatch(line); m != nil {
					helperURLs = append(helperURLs, m[1])
				}
				ran++
			case strings.HasPrefix(line, "git clone https://"):
				// An account in the URL: real git asks our helper with that
				// user name, and oauth2cred answers for that account.
				m := regexp.MustCompile(`^git clone https://([^@/]+)@([^/]+)/`).FindStringSubmatch(line)
				if m == nil {
					t.Fatalf("git clone line without an account: %s", line)
				}
				r := w.bash(t, env, "printf 'protocol=https\\nhost="+m[2]+"\\nusername="+m[1]+"\\n\\n' | git credential fill")
				if !strings.Contains(r.stderr, "(account "+m[1]+") and no terminal or browser") || !strings.Contains(r.stderr, "--account "+m[1]) {
					t.Fatalf("%s: git credential fill did not reach account %s:\n%s", line, m[1], r.stderr)
				}
				ran++
			case strings.HasPrefix(line, "kubectl config set-credentials"):
				if r := w.bash(t, env, line); r.code != 0 {
					t.Fatalf("%s\nexit %d: %s", line, r.code, r.stderr)
				}
				// Real kubectl runs the plugin as configured; with nothing saved,
				// no terminal and no network it must show our one line.
				user := strings.Fields(line)[3]
				r := w.bash(t, env, kubectlBinary(t)+" --user "+user+" --server https://127.0.0.1:9 --insecure-skip-tls-verify get --raw /version")
				want := map[string]string{
					"oidc": `oauth2cred: no saved token for "k8s"`,
					"ci":   "oauth2cred: request to token endpoint https://login.example.com/oauth/token failed",
				}[user]
				if r.code == 0 || want == "" || !strings.Contains(r.stderr, want) {
					t.Fatalf("kubectl --user %s with the README's credentials: exit %d\n%s", user, r.code, r.stderr)
				}
				ran++
			case strings.HasPrefix(line, "curl "):
				// The token command inside must fail cleanly (no token, CI): curl is not run.
				inner := regexp.MustCompile(`\$\((oauth2cred [^)]*)\)`).FindStringSubmatch(line)
				if inner == nil {
					t.Fatalf("curl line without an oauth2cred call: %s", line)
				}
				if r := w.bash(t, env, inner[1]); r.code != 3 {
					t.Fatalf("%s\nexit %d: %s", inner[1], r.code, r.stderr)
				}
				ran++
			case strings.Contains(line, "--from-kubelogin"):
				// A kubeconfig with one kubelogin user, for the dry run.
				kl := filepath.Join(w.home, "kubelogin-config")
				os.WriteFile(kl, []byte("apiVersion: v1\nkind: Config\nusers:\n- name: oidc\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"+
					"      command: kubectl\n      args: [oidc-login, get-token, --oidc-issuer-url=https://login.example.com, --oidc-client-id=kube, --oidc-client-secret=not-a-real-secret]\n"), 0o600)
				r := w.bash(t, append(env, "KUBECONFIG="+kl), line)
				if r.code != 0 || !strings.Contains(r.stdout, "+      - --service") || strings.Contains(r.stdout, "not-a-real-secret") {
					t.Fatalf("%s\nexit %d: %s%s", line, r.code, r.stdout, r.stderr)
				}
				ran++
			case strings.HasPrefix(line, "oauth2cred "):
				r := w.bash(t, env, line)
				if r.code == 2 || (r.code != 0 && strings.Count(r.stderr, "\n") != 1) {
					t.Fatalf("%s\nexit %d: %s", line, r.code, r.stderr)
				}
				if strings.Contains(line, "setup kubectl") && !strings.Contains(r.stdout, "users:") {
					t.Fatalf("setup kubectl printed %q", r.stdout)
				}
				ran++
			default:
				t.Fatalf("README command not covered by this test: %s", line)
			}
		}
		// Real git asks the helpers the README configured.
		for _, u := range helperURLs {
			host := strings.TrimPrefix(u, "https://")
			r := w.bash(t, env, "printf 'protocol=https\\nhost="+host+"\\n\\n' | git credential fill")
			if !strings.Contains(r.stderr, "oauth2cred: no saved token for") {
				t.Fatalf("git credential fill for %s did not reach oauth2cred:\n%s", host, r.stderr)
			}
		}
	}
	if ran < 15 {
		t.Fatalf("only %d README commands ran", ran)
	}
}

func (w *world) bash(t *testing.T, env []string, line string) result {
	t.Helper()
	return w.exec(cmdOpts{env: env}, "bash", "-c", line)
}

// runDemo runs the README's first command as a newcomer would.
func runDemo(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./integration/demo")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Done in") || !strings.Contains(string(out), "refresh requests: 1") {
		t.Fatalf("go run ./integration/demo: %v\n%s", err, out)
	}
}

// the demo's --serve mode stays up, and what it prints works
// as printed: a login with its config, a git clone with its helper line,
// kubectl with its kubeconfig; SIGINT stops it and removes its files.
func TestDemoServe(t *testing.T) {
	w := newWorld(t, 0)
	demo := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command("go", "build", "-o", demo, "oauth2cred/integration/demo").CombinedOutput(); err != nil {
		t.Fatalf("go build demo: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, demo, "--serve")
	cmd.Dir = ".."
	out := newStream()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	out.waitFor(t, regexp.MustCompile(`Ctrl-C stops everything`), 2*time.Minute)
	screen := out.String()
	export := regexp.MustCompile(`(?m)^  export PATH=(\S+):\$PATH OAUTH2CRED_TOKEN_DIR=(\S+)$`).FindStringSubmatch(screen)
	if export == nil || !strings.Contains(screen, "password verysecure") {
		t.Fatalf("no setup printed:\n%s", screen)
	}
	env := []string{"PATH=" + export[1] + ":" + os.Getenv("PATH"), "OAUTH2CRED_TOKEN_DIR=" + export[2], "BROWSER=" + filepath.Join(export[1], "browser")}
	ran := 0
	for _, line := range strings.Split(screen, "\n") {
		line = strings.TrimSpace(line)
		var r result
		switch {
		case strings.HasPrefix(line, "oauth2cred login"):
			r = w.bash(t, env, line+" --save")
		case strings.HasPrefix(line, "oauth2cred token"), strings.HasPrefix(line, "oauth2cred status"):
			r = w.bash(t, env, line)
		case strings.HasPrefix(line, "git -c"):
			r = w.bash(t, env, "cd "+w.home+" && "+line)
		case strings.HasPrefix(line, "kubectl "):
			r = w.bash(t, env, kubectlBinary(t)+strings.TrimPrefix(line, "kubectl")+" --cache-dir "+filepath.Join(w.home, "kcache"))
		default:
			continue
		}
		if r.code != 0 {
			t.Fatalf("%s\nexit %d\n%s%s", line, r.code, r.stdout, r.stderr)
		}
		ran++
	}
	if ran != 5 {
		t.Fatalf("ran %d of the 5 printed commands:\n%s", ran, screen)
	}
	if _, err := os.Stat(filepath.Join(w.home, "project", ".git")); err != nil {
		t.Fatal("the printed git clone did not clone")
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGINT: %v\n%s", err, out)
	}
	if _, err := os.Stat(export[2]); err == nil || !strings.Contains(out.String(), "stopped; removed") {
		t.Fatalf("the demo's files are left:\n%s", out)
	}
}
