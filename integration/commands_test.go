package integration

import (
	"os"
	"strings"
	"testing"
)

func TestStatusAndLogout(t *testing.T) {
	w := newWorld(t, 0)
	r := w.run(append([]string{"token", "--save"}, w.service("gone")...)...)
	if r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	tok := w.token("gone")

	r = w.run("status")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "gone\t"+w.tokenDir+"/.gone-token\texpires ") || !strings.Contains(r.stdout, "refresh token: yes") || !strings.Contains(r.stdout, "scopes: openid offline_access") {
		t.Fatalf("status: %q\n%s", r.stdout, r.stderr)
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, tok.IDToken} {
		if strings.Contains(r.stdout, secret) {
			t.Fatalf("status printed a token")
		}
	}

	r = w.run(append([]string{"logout"}, w.service("gone")...)...)
	if r.code != 0 {
		t.Fatalf("logout: exit %d\n%s", r.code, r.stderr)
	}
	if w.op.Count("/revoke") != 1 {
		t.Fatalf("revocation requests: %d", w.op.Count("/revoke"))
	}
	if _, err := os.Stat(w.tokenDir + "/.gone-token"); err == nil {
		t.Fatalf("token file survived logout")
	}
	if w.op.Valid(t.Context(), tok.AccessToken) {
		t.Fatalf("the access token still works after its refresh token was revoked")
	}
	r = w.run("status")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no saved tokens") {
		t.Fatalf("status after logout: %q %q", r.stdout, r.stderr)
	}
}
