// Package testworld is the in-process world of helper's tests: the real
// OpenID Provider (zitadel's example, integration/op) on 127.0.0.1, a
// token directory, and a person at a browser played through the Browser
// seam. Only tests import it.
package testworld

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/integration/op"
	"oauth2cred/internal/testdir"
	"oauth2cred/persist"
)

// World is one provider and one token directory.
type World struct {
	t      *testing.T
	OP     *op.Server
	Dir    string
	stderr *bytes.Buffer
	mu     sync.Mutex
	ahead  time.Duration // how far the calls' clock is ahead of the system's
}

// New starts a provider for one test.
func New(t *testing.T) *World {
	t.Helper()
	srv, err := op.Start(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &World{t: t, OP: srv, Dir: testdir.New(t) + "/tokens", stderr: &bytes.Buffer{}}
}

// Settings are one call's, for service "s": a person at a browser (played
// with the test user), no terminal, saving without asking.
func (w *World) Settings(edit ...func(*lifecycle.Settings)) *lifecycle.Settings {
	set := &lifecycle.Settings{
		Service:    "s",
		Flags:      service.Definition{Issuer: w.OP.Issuer, ClientID: op.NativeID, Scopes: []string{"openid offline_access"}},
		TokenDir:   w.Dir,
		Save:       true,
		NoTerminal: true,
		Getenv:     func(string) string { return "" },
		Clock:      w.now,
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

// Token runs one call's Token.
func (w *World) Token(set *lifecycle.Settings) (*persist.Token, error) {
	w.t.Helper()
	s, err := lifecycle.Open(set, lifecycle.Use{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.Token(ctx)
}

// SignIn signs in and saves.
func (w *World) SignIn(edit ...func(*lifecycle.Settings)) *persist.Token {
	w.t.Helper()
	t, err := w.Token(w.Settings(edit...))
	if err != nil {
		w.t.Fatalf("sign-in: %v\n%s", err, w.Stderr())
	}
	return t
}

// Advance moves the calls' clock on by d: saved tokens age, and
// cool-downs pass, without waiting or rewriting a token file.
func (w *World) Advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ahead += d
}

func (w *World) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Now().Add(w.ahead)
}

// Stderr is what the calls wrote to stderr.
func (w *World) Stderr() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stderr.String()
}

// Saved reads the saved token of key.
func (w *World) Saved(key string) *persist.Token {
	w.t.Helper()
	tok, err := persist.Dir{Path: w.Dir}.Load(key)
	if err != nil {
		w.t.Fatal(err)
	}
	return tok
}

// Host is the provider's host:port, which its services serve for git.
func (w *World) Host() string { return strings.TrimPrefix(w.OP.Issuer, "http://") }
