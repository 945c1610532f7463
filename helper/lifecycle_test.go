package helper

// The lifecycle of one account's token, in process: the real OpenID
// Provider (zitadel's example, integration/op) on 127.0.0.1, the real
// token directory, lock and keyring mirror, the person played through the
// Browser seam. No subprocess: these run under -short.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"oauth2cred/helper/exit"
	"oauth2cred/helper/service"
	"oauth2cred/integration/op"
	"oauth2cred/persist"
)

// lifeWorld is one provider and one token directory.
type lifeWorld struct {
	t      *testing.T
	op     *op.Server
	dir    string
	stderr *bytes.Buffer
	mu     sync.Mutex
}

func newLifeWorld(t *testing.T) *lifeWorld {
	t.Helper()
	srv, err := op.Start(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &lifeWorld{t: t, op: srv, dir: t.TempDir() + "/tokens", stderr: &bytes.Buffer{}}
}

// settings are one call's, for service "s": a person at a browser (played
// with the test user), no terminal, saving without asking.
func (w *lifeWorld) settings(edit ...func(*Settings)) *Settings {
	set := &Settings{
		Service:    "s",
		Flags:      service.Definition{Issuer: w.op.Issuer, ClientID: op.NativeID, Scopes: []string{"openid offline_access"}},
		TokenDir:   w.dir,
		Save:       true,
		NoTerminal: true,
		Getenv:     func(string) string { return "" },
		Stderr:     syncWriter{&w.mu, w.stderr},
		Browser: func(u string) error {
			go op.PlayBrowser(u, op.User+"@127.0.0.1", op.Password)
			return nil
		},
	}
	for _, e := range edit {
		e(set)
	}
	return set
}

type syncWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (s syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// token runs one call's Token.
func (w *lifeWorld) token(set *Settings) (*persist.Token, error) {
	w.t.Helper()
	s, err := Open(set)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.Token(ctx)
}

// signIn signs in and saves.
func (w *lifeWorld) signIn(edit ...func(*Settings)) *persist.Token {
	w.t.Helper()
	t, err := w.token(w.settings(edit...))
	if err != nil {
		w.t.Fatalf("sign-in: %v\n%s", err, w.stderr)
	}
	return t
}

// age makes the saved access token expired; the refresh token lives on.
func (w *lifeWorld) age(key string) {
	w.t.Helper()
	d := persist.Dir{Path: w.dir}
	t, err := d.Load(key)
	if err != nil {
		w.t.Fatal(err)
	}
	t.Expiry = time.Now().Add(-time.Minute)
	if err := d.Save(key, t); err != nil {
		w.t.Fatal(err)
	}
}

func exitCode(err error) int {
	var ee *exit.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	return -1
}

// N calls at once on an expired token make one refresh, and all get it.
func TestLifecycleParallelCallsRefreshOnce(t *testing.T) {
	w := newLifeWorld(t)
	w.signIn()
	w.age("s")
	const n = 8
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok, err := w.token(w.settings())
			errs[i] = err
			if tok != nil {
				got[i] = tok.AccessToken
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != got[0] || got[i] == "" {
			t.Fatalf("call %d: %v %q (first %q)", i, errs[i], got[i], got[0])
		}
	}
	if r := w.op.Count("/oauth/token refresh_token"); r != 1 {
		t.Fatalf("%d refresh requests", r)
	}
}

// A token saved for one configuration is not handed out, refreshed or
// revoked under another (the origin gate, through Token and Logout).
func TestLifecycleChangedConfiguration(t *testing.T) {
	w := newLifeWorld(t)
	w.signIn()
	for _, change := range []func(*Settings){
		func(s *Settings) { s.Flags.Scopes = []string{"openid offline_access email"} },
		func(s *Settings) { s.Flags.RefreshURL = w.op.Issuer + "/other/token" },
		func(s *Settings) { s.Flags.Flow, s.Flags.ClientSecret = "client-credentials", "x" },
	} {
		before := w.op.Requests.Load()
		_, err := w.token(w.settings(change, func(s *Settings) { s.NonInteractive = true }))
		if exitCode(err) != exit.Interaction && !(err != nil && strings.Contains(err.Error(), "client")) {
			t.Fatalf("changed settings: %v", err)
		}
		if w.op.Count("/oauth/token refresh_token") != 0 {
			t.Fatal("refreshed under other settings")
		}
		_ = before
	}
	s, err := Open(w.settings(func(s *Settings) { s.Flags.RevokeURL = w.op.Issuer + "/other/revoke" }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w.op.Count("/revoke") != 0 || w.op.Count("/other/revoke") != 0 {
		t.Fatal("revoked under other settings")
	}
}

// A refresh token the server declared dead — in Dex's, Gitea's or
// zitadel's (and Hydra's) words — ends the session: exit 3 in the
// background, with the line that says what to run.
func TestLifecycleDeadSessionAnswers(t *testing.T) {
	for _, mode := range []string{"", "dex", "gitea"} {
		t.Run("server="+mode, func(t *testing.T) {
			w := newLifeWorld(t)
			w.op.DeadRefresh.Store(mode)
			tok := w.signIn()
			if err := w.op.RefreshElsewhere(context.Background(), tok.RefreshToken); err != nil {
				t.Fatal(err)
			}
			w.age("s")
			_, err := w.token(w.settings(func(s *Settings) { s.NonInteractive = true }))
			if exitCode(err) != exit.Interaction || !strings.Contains(err.Error(), "has ended") {
				t.Fatalf("%v", err)
			}
		})
	}
}

// memKeyring is an in-memory keyring backend.
type memKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *memKeyring) Get(s, u string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[s+"/"+u]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}
func (k *memKeyring) Set(s, u, p string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[s+"/"+u] = p
	return nil
}
func (k *memKeyring) Delete(s, u string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, s+"/"+u)
	return nil
}

// The keyring copy restores a lost file when it belongs to this
// configuration, and only then.
func TestLifecycleKeyringRestore(t *testing.T) {
	w := newLifeWorld(t)
	kr := &memKeyring{m: map[string]string{}}
	withKeyring := func(s *Settings) { s.Flags.Keyring, s.KeyringBackend = true, kr }
	first := w.signIn(withKeyring)
	d := persist.Dir{Path: w.dir}
	if err := d.Delete("s"); err != nil {
		t.Fatal(err)
	}
	got, err := w.token(w.settings(withKeyring, func(s *Settings) { s.NonInteractive = true }))
	if err != nil || got.AccessToken != first.AccessToken {
		t.Fatalf("restore: %v", err)
	}
	if _, err := d.Load("s"); err != nil {
		t.Fatalf("the file was not restored: %v", err)
	}
	// A copy of another client's token is not restored.
	d.Delete("s")
	_, err = w.token(w.settings(withKeyring, func(s *Settings) { s.NonInteractive = true; s.Flags.ClientID = "web" }))
	if exitCode(err) != exit.Interaction {
		t.Fatalf("another client's copy: %v", err)
	}
	if _, err := d.Load("s"); !errors.Is(err, persist.ErrNotFound) {
		t.Fatalf("another client's copy was restored: %v", err)
	}
}

// After a sign-in is abandoned, calls without a terminal fail fast for
// the cool-down instead of opening the browser again.
func TestLifecycleCooldown(t *testing.T) {
	w := newLifeWorld(t)
	ignore := func(s *Settings) {
		s.LoginTimeout = time.Second
		s.Browser = func(string) error { return nil } // the person never signs in
	}
	if _, err := w.token(w.settings(ignore)); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("abandoned sign-in: %v", err)
	}
	auths := w.op.Count("/auth")
	opened := false
	start := time.Now()
	_, err := w.token(w.settings(func(s *Settings) { s.Browser = func(string) error { opened = true; return nil } }))
	if exitCode(err) != exit.Interaction || !strings.Contains(err.Error(), "was abandoned") || opened || time.Since(start) > 2*time.Second {
		t.Fatalf("during the cool-down: %v (browser opened: %v)", err, opened)
	}
	if w.op.Count("/auth") != auths {
		t.Fatal("an authorization request during the cool-down")
	}
}
