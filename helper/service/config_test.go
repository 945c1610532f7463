package service

import (
	"oauth2cred/internal/testdir"

	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func load(t *testing.T, text string) (*Config, error) {
	t.Helper()
	path := filepath.Join(testdir.New(t), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(path, true)
}

// Every kind of field a service's table takes, as people write them.
func TestConfigFields(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		table string
		want  Definition
	}{
		{`client_id = "c"`, Definition{ClientID: "c"}},
		{`scopes = "openid, email profile"`, Definition{Scopes: stringList{"openid", "email", "profile"}}},
		{`scopes = ["openid", "read write"]`, Definition{Scopes: stringList{"openid", "read write"}}},
		{`hosts = []`, Definition{}}, // an empty list is "not set": a lower layer shows through
		{`keyring = true`, Definition{Keyring: true}},
		{`save = false`, Definition{Save: &no}},
		{`save = true`, Definition{Save: &yes}},
		{`redirect_port = 8400`, Definition{RedirectPort: 8400}},
		{`auth_params = { prompt = "consent" }`, Definition{AuthParams: map[string]string{"prompt": "consent"}}},
		{"[services.s.auth_params]\naccess_type = \"offline\"", Definition{AuthParams: map[string]string{"access_type": "offline"}}},
	} {
		text := "[services.s]\n" + tc.table + "\n"
		if strings.HasPrefix(tc.table, "[") {
			text = tc.table + "\n"
		}
		cfg, err := load(t, text)
		if err != nil {
			t.Fatalf("%s: %v", tc.table, err)
		}
		got, ok, err := cfg.Service("s")
		if err != nil || !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v (%v, %v), want %+v", tc.table, got, ok, err, tc.want)
		}
	}
}

// A wrong value breaks its service only, and the error names the key and
// the kind of value, never the value: an unquoted secret is one.
func TestConfigFieldErrors(t *testing.T) {
	for _, tc := range []struct{ table, want string }{
		{`client_secret = 98127346`, `client_secret: a string in double quotes, not a whole number`},
		{`keyring = "yes"`, `keyring: true or false, not a string`},
		{`redirect_port = "80"`, `redirect_port: a whole number, not a string`},
		{`redirect_port = 99999999999`, `redirect_port: 99999999999 is out of range`},
		{`scopes = [1]`, `scopes: a list of strings, not a whole number`},
		{`scopes = 1.5`, `scopes: a string or a list of strings, not a number`},
		{`auth_params = { n = 1 }`, `auth_params: n: a string in double quotes, not a whole number`},
		{`save = 1979-05-27`, `save: true or false, not a date or time`},
		{`clientid = "x"`, `unknown key "clientid" (did you mean client_id?)`},
		{`no_client_credentials = true`, `unknown key "no_client_credentials"`},
	} {
		cfg, err := load(t, "[services.s]\n"+tc.table+"\n[services.ok]\nclient_id = \"c\"\n")
		if err != nil {
			t.Fatalf("%s: %v", tc.table, err)
		}
		_, _, err = cfg.Service("s")
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "98127346") {
			t.Errorf("%s: %v, want %q", tc.table, err, tc.want)
		}
		if d, ok, err := cfg.Service("ok"); !ok || err != nil || d.ClientID != "c" {
			t.Errorf("%s broke the next service: %v", tc.table, err)
		}
	}
	for _, text := range []string{"services = 1\n", "[services]\ns = 1\n", "[other]\n"} {
		if _, err := load(t, text); err == nil {
			if cfg, _ := load(t, text); cfg != nil {
				if _, _, err := cfg.Service("s"); err != nil {
					continue
				}
			}
			t.Errorf("%q: no error", text)
		}
	}
}

// Names keeps the file's order, which host matching follows.
func TestConfigNamesInFileOrder(t *testing.T) {
	cfg, err := load(t, "[services.zeta]\nclient_id = \"z\"\n[services.alpha]\nclient_id = \"a\"\n[services.\"mid.dle\"]\nclient_id = \"m\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Names(), " "); got != "zeta alpha mid.dle" {
		t.Fatalf("Names() = %q", got)
	}
}
