package lifecycle_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"oauth2cred/helper/internal/testworld"

	"github.com/zalando/go-keyring"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/persist"
)

// The lifecycle of one account's token, in process: the real OpenID
// Provider on 127.0.0.1, the real token directory, lock and keyring
// mirror, the person played through the Browser seam (testworld). No
// subprocess: these run under -short.

// N calls at once on an expired token make one refresh, and all get it.
func TestLifecycleParallelCallsRefreshOnce(t *testing.T) {
	w := testworld.New(t)
	w.SignIn()
	w.Advance(time.Hour) // past the provider's 5-minute access tokens
	const n = 8
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok, err := w.Token(w.Settings())
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
	if r := w.OP.Count("/oauth/token refresh_token"); r != 1 {
		t.Fatalf("%d refresh requests", r)
	}
}

// A token saved for one configuration is not handed out, refreshed or
// revoked under another (the origin gate, through Token and Logout).
func TestLifecycleChangedConfiguration(t *testing.T) {
	w := testworld.New(t)
	w.SignIn()
	for _, change := range []func(*lifecycle.Settings){
		func(s *lifecycle.Settings) { s.Flags.Scopes = []string{"openid offline_access email"} },
		func(s *lifecycle.Settings) { s.Flags.RefreshURL = w.OP.Issuer + "/other/token" },
		func(s *lifecycle.Settings) { s.Flags.Flow, s.Flags.ClientSecret = "client-credentials", "x" },
	} {
		before := w.OP.Requests.Load()
		_, err := w.Token(w.Settings(change, func(s *lifecycle.Settings) { s.NonInteractive = true }))
		if !errors.As(err, new(*lifecycle.NoPersonError)) && !(err != nil && strings.Contains(err.Error(), "client")) {
			t.Fatalf("changed settings: %v", err)
		}
		if w.OP.Count("/oauth/token refresh_token") != 0 {
			t.Fatal("refreshed under other settings")
		}
		_ = before
	}
	s, err := lifecycle.Open(w.Settings(func(s *lifecycle.Settings) { s.Flags.RevokeURL = w.OP.Issuer + "/other/revoke" }), lifecycle.Use{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w.OP.Count("/revoke") != 0 || w.OP.Count("/other/revoke") != 0 {
		t.Fatal("revoked under other settings")
	}
}

// A refresh token the server declared dead — in Dex's, Gitea's or
// zitadel's (and Hydra's) words — ends the session: exit 3 in the
// background, with the line that says what to run.
func TestLifecycleDeadSessionAnswers(t *testing.T) {
	for _, mode := range []string{"", "dex", "gitea"} {
		t.Run("server="+mode, func(t *testing.T) {
			w := testworld.New(t)
			w.OP.DeadRefresh.Store(mode)
			tok := w.SignIn()
			if err := w.OP.RefreshElsewhere(context.Background(), tok.RefreshToken); err != nil {
				t.Fatal(err)
			}
			w.Advance(time.Hour) // past the provider's 5-minute access tokens
			_, err := w.Token(w.Settings(func(s *lifecycle.Settings) { s.NonInteractive = true }))
			if !errors.As(err, new(*lifecycle.NoPersonError)) || !strings.Contains(err.Error(), "has ended") {
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
	w := testworld.New(t)
	kr := &memKeyring{m: map[string]string{}}
	withKeyring := func(s *lifecycle.Settings) { s.Flags.Keyring, s.KeyringBackend = true, kr }
	first := w.SignIn(withKeyring)
	d := persist.Dir{Path: w.Dir}
	if err := d.Delete("s"); err != nil {
		t.Fatal(err)
	}
	got, err := w.Token(w.Settings(withKeyring, func(s *lifecycle.Settings) { s.NonInteractive = true }))
	if err != nil || got.AccessToken != first.AccessToken {
		t.Fatalf("restore: %v", err)
	}
	if _, err := d.Load("s"); err != nil {
		t.Fatalf("the file was not restored: %v", err)
	}
	// A copy of another client's token is not restored.
	d.Delete("s")
	_, err = w.Token(w.Settings(withKeyring, func(s *lifecycle.Settings) { s.NonInteractive = true; s.Flags.ClientID = "web" }))
	if !errors.As(err, new(*lifecycle.NoPersonError)) {
		t.Fatalf("another client's copy: %v", err)
	}
	if _, err := d.Load("s"); !errors.Is(err, persist.ErrNotFound) {
		t.Fatalf("another client's copy was restored: %v", err)
	}
}

// After a sign-in is abandoned, calls without a terminal fail fast for
// the cool-down instead of opening the browser again.
func TestLifecycleCooldown(t *testing.T) {
	w := testworld.New(t)
	ignore := func(s *lifecycle.Settings) {
		s.LoginTimeout = time.Second
		s.Browser = func(string) error { return nil } // the person never signs in
	}
	if _, err := w.Token(w.Settings(ignore)); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("abandoned sign-in: %v", err)
	}
	auths := w.OP.Count("/auth")
	opened := false
	start := time.Now()
	_, err := w.Token(w.Settings(func(s *lifecycle.Settings) { s.Browser = func(string) error { opened = true; return nil } }))
	if !errors.As(err, new(*lifecycle.NoPersonError)) || !strings.Contains(err.Error(), "was abandoned") || opened || time.Since(start) > 2*time.Second {
		t.Fatalf("during the cool-down: %v (browser opened: %v)", err, opened)
	}
	if w.OP.Count("/auth") != auths {
		t.Fatal("an authorization request during the cool-down")
	}
	// Ten minutes later by the calls' clock, a call signs in again.
	w.Advance(10*time.Minute + time.Second)
	if _, err := w.Token(w.Settings()); err != nil {
		t.Fatalf("after the cool-down: %v\n%s", err, w.Stderr())
	}
}

// A refresh answer that is refused (here without expires_in) after the
// provider rotated the refresh token: the rotated one is saved, so the
// next call refreshes with it (the provider has killed the old one).
func TestLifecycleRotatedTokenKeptWhenAnswerRefused(t *testing.T) {
	w := testworld.New(t)
	first := w.SignIn()
	w.Advance(time.Hour) // past the provider's 5-minute access tokens
	w.OP.NoRefreshExpiresIn.Store(true)
	_, err := w.Token(w.Settings(func(s *lifecycle.Settings) { s.NonInteractive = true }))
	if err == nil || !strings.Contains(err.Error(), "expires_in") {
		t.Fatalf("refused answer: %v", err)
	}
	kept := w.Saved("s")
	if kept.RefreshToken == first.RefreshToken || kept.RefreshToken == "" || kept.AccessToken != "" {
		t.Fatalf("kept refresh token %q (first %q), access token %q", kept.RefreshToken, first.RefreshToken, kept.AccessToken)
	}
	w.OP.NoRefreshExpiresIn.Store(false)
	got, err := w.Token(w.Settings(func(s *lifecycle.Settings) { s.NonInteractive = true }))
	if err != nil || got.AccessToken == "" {
		t.Fatalf("refresh with the rotated token: %v", err)
	}
}
