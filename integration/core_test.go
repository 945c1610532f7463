package integration

import (
	"os"
	"strings"
	"testing"
	"time"
)

// browser flow, save, cached call without HTTP, silent refresh.
func TestBrowserFlowThenCacheThenRefresh(t *testing.T) {
	// 64 s lifetime: usable for ~3 s (60 s margin), then it ages out.
	w := newWorld(t, 64*time.Second)
	r := w.run(append([]string{"token", "--save"}, w.service("demo")...)...)
	if r.code != 0 {
		t.Fatalf("first call: exit %d\n%s", r.code, r.stderr)
	}
	first := strings.TrimSpace(r.stdout)
	if first == "" || strings.Contains(first, "\n") || strings.ContainsAny(first, " \t") {
		t.Fatalf("stdout is not just a token: %q", r.stdout)
	}
	if !w.op.Valid(t.Context(), first) {
		t.Fatalf("the provider does not accept the printed token")
	}
	saved := w.token("demo")
	if saved.AccessToken != first || saved.RefreshToken == "" || saved.ClientID != "native" {
		t.Fatalf("saved token does not match: %+v", saved.ClientID)
	}
	st, err := os.Stat(w.tokenDir + "/.demo-token")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode: %v %v", st.Mode(), err)
	}
	if dst, _ := os.Stat(w.tokenDir); dst.Mode().Perm() != 0o700 {
		t.Fatalf("token dir mode %v", dst.Mode())
	}
	if !strings.Contains(r.stderr, "Sign in with your browser") || !strings.Contains(r.stderr, w.op.Issuer+"/auth?") {
		t.Errorf("the sign-in URL was not shown on stderr:\n%s", r.stderr)
	}

	before := w.op.Requests.Load()
	r = w.run(append([]string{"token"}, w.service("demo")...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != first {
		t.Fatalf("cached call: exit %d, same token %v\n%s", r.code, strings.TrimSpace(r.stdout) == first, r.stderr)
	}
	if n := w.op.Requests.Load() - before; n != 0 {
		t.Fatalf("cached call made %d requests to the provider, want 0", n)
	}

	time.Sleep(time.Until(saved.Expiry.Add(-60*time.Second)) + 500*time.Millisecond)
	refreshes := w.op.Count("/oauth/token refresh_token")
	r = w.run(append([]string{"token"}, w.service("demo")...)...)
	if r.code != 0 {
		t.Fatalf("refresh call: exit %d\n%s", r.code, r.stderr)
	}
	third := strings.TrimSpace(r.stdout)
	if third == first {
		t.Fatalf("the aged token was handed out again")
	}
	if got := w.op.Count("/oauth/token refresh_token") - refreshes; got != 1 {
		t.Fatalf("refresh requests: %d, want 1", got)
	}
	if r.stderr != "" {
		t.Errorf("a silent refresh printed:\n%s", r.stderr)
	}
	now := w.token("demo")
	if now.AccessToken != third || now.RefreshToken == "" || now.RefreshToken == saved.RefreshToken {
		t.Fatalf("the rotated refresh token was not saved")
	}
	if !w.op.Valid(t.Context(), third) {
		t.Fatalf("the provider does not accept the refreshed token")
	}
}
