// Command demo shows oauth2cred doing its whole job against an embedded OAuth
// provider (zitadel's example OpenID Provider on 127.0.0.1): first login in
// a "browser", the save prompt answered on a real pseudo-terminal, the
// instant cached call, a silent refresh, and a real git clone through the
// credential helper. Run it with: go run ./integration/demo
//
// With --serve it keeps the provider, a git server and a kubectl API stub
// running on 127.0.0.1 and prints what to try by hand, until Ctrl-C.
package main

import (
	"bytes"
	"context"
	"fmt"

	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"oauth2cred/integration/op"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 2 && os.Args[1] == "--serve":
		err = serve()
	case len(os.Args) == 1:
		err = run()
	default:
		err = fmt.Errorf("usage: go run ./integration/demo [--serve]")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// build compiles oauth2cred and the stand-in browser into bin, saying so:
// on a fresh machine this is where the first minutes go.
func build(bin string) error {
	say("building oauth2cred and a stand-in browser (the first time on a machine this takes a minute or two)…")
	t0 := time.Now()
	for pkg, name := range map[string]string{"oauth2cred": "oauth2cred", "oauth2cred/integration/testbrowser": "browser"} {
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-o", filepath.Join(bin, name), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	say("built in %v", time.Since(t0).Round(100*time.Millisecond))
	return nil
}

func say(format string, a ...any) { fmt.Printf(format+"\n", a...) }

func step(n int, title string) { fmt.Printf("\n== %d. %s\n", n, title) }

func run() error {
	start := time.Now()
	work, err := os.MkdirTemp("", "oauth2cred-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	step(1, "Build oauth2cred and start a local OAuth provider")
	bin := filepath.Join(work, "bin")
	if err := build(bin); err != nil {
		return err
	}
	// 63 s access tokens count as expired 60 s early: usable for ~3 s, so the
	// demo can show a silent refresh without waiting minutes.
	provider, err := op.Start(63 * time.Second)
	if err != nil {
		return err
	}
	defer provider.Close()
	say("provider: %s (zitadel/oidc example OpenID Provider, user %q)", provider.Issuer, op.User)
	tokenDir := filepath.Join(work, "state")
	// The demo plays a person at a terminal: CI's own CI=true must not make
	// oauth2cred treat it as a pipeline.
	env := append(os.Environ(), "CI=",
		"HOME="+work, "XDG_CONFIG_HOME="+filepath.Join(work, "config"),
		"OAUTH2CRED_TOKEN_DIR="+tokenDir, "PATH="+bin+":"+os.Getenv("PATH"),
		// The demo plays the person's browser: oauth2cred opens $BROWSER,
		// which signs in to the provider over HTTP.
		"BROWSER="+filepath.Join(bin, "browser"), "GIT_CONFIG_NOSYSTEM=1")
	service := []string{"--service", "demo", "--issuer", provider.Issuer, "--client-id", op.NativeID, "--scope", "openid offline_access"}
	oauth2cred := filepath.Join(bin, "oauth2cred")

	step(2, "First call: `oauth2cred token --service demo …` signs in and asks to save")
	say("$ oauth2cred token --service demo --issuer %s --client-id native --scope 'openid offline_access'", provider.Issuer)
	first, err := firstCall(oauth2cred, env, service)
	if err != nil {
		return err
	}
	say("stdout (only the token): %s", short(first))
	info, err := os.Stat(filepath.Join(tokenDir, ".demo-token"))
	if err != nil {
		return fmt.Errorf("no .demo-token after answering y: %v", err)
	}
	say("saved: %s (mode %v)", filepath.Join(tokenDir, ".demo-token"), info.Mode().Perm())

	step(3, "Second call: the saved token, no network")
	before := provider.Requests.Load()
	t0 := time.Now()
	second, _, err := call(oauth2cred, env, "", append([]string{"token"}, service...)...)
	if err != nil {
		return err
	}
	say("took %v; requests to the provider: %d; same token: %v", time.Since(t0).Round(time.Millisecond), provider.Requests.Load()-before, second == first)
	if second != first || provider.Requests.Load() != before {
		return fmt.Errorf("the cached call was not served from the file")
	}

	step(4, "The access token ages; the next call refreshes silently")
	say("waiting 4 s for the 63 s token to enter its last 60 s…")
	time.Sleep(4 * time.Second)
	refreshes := provider.Count("/oauth/token refresh_token")
	third, stderr, err := call(oauth2cred, env, "", append([]string{"token"}, service...)...)
	if err != nil {
		return err
	}
	say("new token: %s; refresh requests: %d; anything printed on stderr: %q",
		short(third), provider.Count("/oauth/token refresh_token")-refreshes, stderr)
	if third == first {
		return fmt.Errorf("the token was not refreshed")
	}

	step(5, "git clone over local smart HTTP, oauth2cred as the credential helper")
	gs, err := startGitServer(work, provider)
	if err != nil {
		return err
	}
	defer gs.Close()
	// Once a token is saved, the service name is enough: the client and
	// issuer come from the token file. --host says which git host it serves.
	helper := fmt.Sprintf("!oauth2cred git --service demo --host %s", gs.Host())
	say("$ git -c credential.helper=%q clone %s/project.git", helper, gs.URL)
	cmd := exec.Command("git", "-c", "credential.helper=", "-c", "credential.helper="+helper, "clone", "-q", gs.URL+"/project.git", filepath.Join(work, "project"))
	cmd.Env = append(env, "GIT_TERMINAL_PROMPT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git clone: %v\n%s", err, out)
	}
	accepted, _ := gs.Counts()
	say("cloned; the git server accepted %d requests carrying the OAuth token", accepted)

	step(6, "status: what is saved (never a token)")
	status, _, err := call(oauth2cred, env, "", "status")
	if err != nil {
		return err
	}
	say("%s", status)
	took := time.Since(start).Round(100 * time.Millisecond)
	if compiled, ok := sinceGoRun(); ok && compiled > took+time.Second {
		say("\nDone in %v (%v since `go run` started, compiling the demo included). Every secret stayed out of this transcript.", took, compiled.Round(time.Second))
	} else {
		say("\nDone in %v. Every secret stayed out of this transcript.", took)
	}
	say("\nTo keep playing with a provider, a git server and a kubectl API that stay up:\n  go run ./integration/demo --serve")
	return nil
}

// firstCall runs the first login on a real pseudo-terminal and answers the
// save prompt with y, echoing what the person sees.
func firstCall(oauth2cred string, env, service []string) (string, error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return "", err
	}
	defer ptmx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, oauth2cred, append([]string{"token"}, service...)...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	tty.Close()
	var mu sync.Mutex
	var screen strings.Builder
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		s := screen.String()
		mu.Unlock()
		if strings.Contains(s, "[Y/n]") {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no save prompt on the terminal:\n%s%s", s, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ptmx.Write([]byte("y\r"))
	err = cmd.Wait()
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	shown := screen.String()
	mu.Unlock()
	say("terminal:")
	for _, line := range strings.Split(strings.TrimSpace(redactURL(shown)), "\n") {
		say("  | %s", strings.TrimRight(line, "\r"))
	}
	if err != nil {
		return "", fmt.Errorf("first call: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

func call(oauth2cred string, env []string, stdin string, args ...string) (string, string, error) {
	cmd := exec.Command(oauth2cred, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("oauth2cred %s: %v\n%s", args[0], err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), stderr.String(), nil
}

// short shows a token's shape, never the token.
func short(tok string) string {
	if len(tok) < 12 {
		return "(empty)"
	}
	return fmt.Sprintf("%s… (%d characters, hidden)", tok[:4], len(tok))
}

// redactURL shortens the long authorization URL (it carries state and the
// PKCE challenge, which are not secrets but are noise).
func redactURL(s string) string {
	return regexp.MustCompile(`(/auth\?)\S+`).ReplaceAllString(s, "${1}client_id=native&…")
}
