package lifecycle

import (
	"testing"

	"oauth2cred/helper/service"
)

// Account file names: the default keeps the seed's name, no account's file
// can be another service's (service names have no '@'), and distinct
// accounts never share a file.
func TestAccountKeys(t *testing.T) {
	seen := map[string]string{}
	for _, tc := range []struct{ service, account string }{
		{"gitlab", ""}, {"gitlab", "alice"}, {"gitlab", "alice@example.com"}, {"gitlab", "alice%40example.com"},
		{"gitlab", "a/b"}, {"gitlab", "a%2Fb"}, {"gitlab", "../x"}, {"gitlab", "über"},
		{"git", "lab@alice"}, {"x-token.tmp5", ""}, {"x", "token.tmp5"},
	} {
		s := &Session{svc: &service.Service{Name: tc.service}, account: tc.account}
		key := s.Key()
		if other, dup := seen[key]; dup {
			t.Fatalf("%s/%s and %s share %q", tc.service, tc.account, other, key)
		}
		seen[key] = tc.service + "/" + tc.account
		if tc.account != "" {
			if name, account := SplitKey(key); name != tc.service || account != tc.account {
				t.Errorf("SplitKey(%q) = %q %q", key, name, account)
			}
		}
		for _, c := range key {
			if c == '/' || c == 0 {
				t.Errorf("%q is no file name", key)
			}
		}
	}
	if service.ValidName("gitlab@alice") == nil {
		t.Fatal("a service name with '@' would collide with an account's file")
	}
	if (&Session{svc: &service.Service{Name: "gitlab"}}).Key() != "gitlab" {
		t.Fatal("the default account must keep .<service>-token")
	}
}
