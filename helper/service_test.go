package helper

import (
	"oauth2cred/helper/exit"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func settingsWith(t *testing.T, config string, env map[string]string, flags Definition) *Settings {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if config != "" {
		os.WriteFile(path, []byte(config), 0o600)
	}
	return &Settings{
		Service:    "work",
		Flags:      flags,
		ConfigPath: path,
		Getenv:     func(k string) string { return env[k] },
	}
}

// Presets < config file < environment < flags.
func TestLayering(t *testing.T) {
	cfg := `[services.work]
preset = "gitlab"
client_id = "from-config"
hosts = ["gitlab.example.com"]
auth_params = { prompt = "consent" }
`
	for _, tc := range []struct {
		name     string
		env      map[string]string
		flags    Definition
		clientID string
		tokenURL string
	}{
		{"config", nil, Definition{}, "from-config", "https://gitlab.com/oauth/token"},
		{"env over config", map[string]string{"OAUTH2CRED_CLIENT_ID": "from-env"}, Definition{}, "from-env", "https://gitlab.com/oauth/token"},
		{"flag over env", map[string]string{"OAUTH2CRED_CLIENT_ID": "from-env"}, Definition{ClientID: "from-flag", TokenURL: "https://gitlab.example.com/oauth/token"}, "from-flag", "https://gitlab.example.com/oauth/token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := settingsWith(t, cfg, tc.env, tc.flags)
			set.Flags.AuthParams = map[string]string{"login_hint": "me"}
			name, d, _, err := set.definition()
			if err != nil {
				t.Fatal(err)
			}
			svc, err := resolve(name, d)
			if err != nil {
				t.Fatal(err)
			}
			if svc.ClientID != tc.clientID || svc.TokenURL != tc.tokenURL {
				t.Fatalf("client %q token %q", svc.ClientID, svc.TokenURL)
			}
			if svc.Hosts[0] != "gitlab.example.com" || svc.Username != "oauth2" || svc.Method != "post" || svc.Flow != "auto" {
				t.Fatalf("%+v", svc)
			}
			if svc.AuthParams["prompt"] != "consent" || svc.AuthParams["login_hint"] != "me" {
				t.Fatalf("auth params not merged: %v", svc.AuthParams)
			}
		})
	}
}

func TestPresetsResolve(t *testing.T) {
	for _, p := range PresetNames() {
		svc, err := resolve("x", Definition{Preset: p, ClientID: "id", Hosts: presetTable()[p].Hosts})
		if p == "gitea" || p == "forgejo" {
			if err == nil || !strings.Contains(err.Error(), "needs the forge's host") {
				t.Fatalf("%s without a host: %v", p, err)
			}
			svc, err = resolve("x", Definition{Preset: p, ClientID: "id", Hosts: []string{"git.example.com"}})
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if (svc.Issuer == "" && (svc.AuthURL == "" || svc.TokenURL == "")) || len(svc.Hosts) == 0 || svc.Username == "" {
			t.Fatalf("%s: incomplete %+v", p, svc)
		}
	}
	for _, tc := range []struct {
		def                        Definition
		issuer, username, appsPage string
		noClientCredentials        bool
	}{
		{Definition{Preset: "gitea", Hosts: []string{"git.example.com"}}, "https://git.example.com/", "oauth2", "https://git.example.com/user/settings/applications", true},
		{Definition{Preset: "forgejo", Hosts: []string{"127.0.0.1:3000"}}, "http://127.0.0.1:3000/", "oauth2", "http://127.0.0.1:3000/user/settings/applications", true},
		{Definition{Preset: "codeberg"}, "https://codeberg.org/", "oauth2", "https://codeberg.org/user/settings/applications", true},
		{Definition{Preset: "bitbucket"}, "", "x-token-auth", "https://bitbucket.org/account/settings/app-authorizations/", false},
	} {
		tc.def.ClientID = "id"
		svc, err := resolve("x", tc.def)
		if err != nil || svc.Issuer != tc.issuer || svc.Username != tc.username || svc.AppsPage != tc.appsPage || svc.NoClientCredentials != tc.noClientCredentials {
			t.Errorf("%s: %+v %v", tc.def.Preset, svc, err)
		}
	}
	if svc, _ := resolve("x", Definition{Preset: "google", ClientID: "id"}); svc.AuthParams["access_type"] != "offline" {
		t.Fatal("google preset lacks access_type=offline")
	}
	if svc, _ := resolve("x", Definition{Preset: "github", ClientID: "id"}); !svc.AllowNoExpiry {
		t.Fatal("github preset must accept OAuth apps' non-expiring tokens")
	}
}

func TestResolveErrors(t *testing.T) {
	ok := Definition{ClientID: "c", Issuer: "https://idp.example.com"}
	for _, tc := range []struct {
		name, service string
		d             Definition
		want          string
	}{
		{"traversal", "../x", ok, "not allowed"},
		{"slash", "a/b", ok, "not allowed"},
		{"dot", ".", ok, "not allowed"},
		{"too long", strings.Repeat("a", 65), ok, "not allowed"},
		{"empty", "", ok, "no service named"},
		{"no client", "s", Definition{Issuer: "https://idp.example.com"}, "no client id"},
		{"no endpoints", "s", Definition{ClientID: "c"}, "no endpoints"},
		{"http remote", "s", Definition{ClientID: "c", Issuer: "http://idp.example.com"}, "plain http"},
		{"http loopback ok", "s", Definition{ClientID: "c", Issuer: "http://127.0.0.1:8080"}, ""},
		{"userinfo in URL", "s", Definition{ClientID: "c", Issuer: "https://u:p@idp.example.com"}, "user name or password"},
		{"ftp", "s", Definition{ClientID: "c", TokenURL: "ftp://x/t", AuthURL: "https://x/a"}, "not an http(s) URL"},
		{"method", "s", Definition{ClientID: "c", Issuer: "https://i", Method: "PUT"}, "--method"},
		{"flow", "s", Definition{ClientID: "c", Issuer: "https://i", Flow: "magic"}, "--flow"},
		{"preset", "s", Definition{ClientID: "c", Preset: "myspace"}, "unknown preset"},
		{"device without url", "s", Definition{ClientID: "c", TokenURL: "https://x/t", AuthURL: "https://x/a", Flow: "device"}, "--device-url"},
		{"bad host", "s", Definition{ClientID: "c", Issuer: "https://i", Hosts: []string{"https://x"}}, "not a host name"},
		{"port", "s", Definition{ClientID: "c", Issuer: "https://i", RedirectPort: 70000}, "not a port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolve(tc.service, tc.d)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ee, ok := err.(*exit.Error)
			if !ok || ee.Code != exit.Usage || !strings.Contains(ee.Msg, tc.want) {
				t.Fatalf("err %v, want usage error with %q", err, tc.want)
			}
		})
	}
}

func TestServesGit(t *testing.T) {
	svc := &Service{Definition: Definition{Hosts: []string{"git.example.com", "pinned.example.com:8443", "127.0.0.1"}}}
	for _, tc := range []struct {
		proto, host string
		want        bool
	}{
		{"https", "git.example.com", true},
		{"https", "GIT.example.com", true},
		{"https", "git.example.com:8443", true},
		{"http", "git.example.com", false},
		{"https", "evil.example.com", false},
		{"https", "git.example.com.evil.com", false},
		{"https", "pinned.example.com:8443", true},
		{"https", "pinned.example.com", false},
		{"https", "pinned.example.com:443", false},
		{"http", "127.0.0.1:3000", true},
		{"ftp", "git.example.com", false},
		{"https", "", false},
	} {
		if got := svc.servesGit(tc.proto, tc.host); got != tc.want {
			t.Errorf("%s://%s: %v, want %v", tc.proto, tc.host, got, tc.want)
		}
	}
}

// Issue 17.8: scopes written as one string, like the flag; a broken table
// of another service leaves this one usable.
func TestConfigListsAndBrokenNeighbours(t *testing.T) {
	set := settingsWith(t, "[services.work]\nclient_id = \"x\"\nscopes = \"a b,c\"\nhosts = \"h.example.com\"\n[services.broken]\nclientid = 1\n", nil, Definition{})
	set.Service = "work"
	_, d, _, err := set.definition()
	if err != nil || strings.Join(d.Scopes, " ") != "a b c" || len(d.Hosts) != 1 {
		t.Fatalf("%+v %v", d, err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{"[services.work\n", "line 2: expected"},
		{"[services.work]\nclient_id = 3\n", "config file"},
		{"[services.work]\nclientid = \"x\"\n", `service "work": unknown key "clientid" (did you mean client_id?); see 'oauth2cred help config' for the keys`},
		{"[other]\n", `unknown table or key "other" (services go in [services.NAME])`},
		// Another service's broken table does not break this one.
		{"[services.work]\nclient_id = 3\n[services.x]\nclient_id = \"ok\"\n", `service "work": `},
	} {
		set := settingsWith(t, tc.config, nil, Definition{})
		_, _, _, err := set.definition()
		if ee, ok := err.(*exit.Error); !ok || ee.Code != exit.Usage || !strings.Contains(ee.Msg, tc.want) {
			t.Errorf("%q: err %v, want %q", tc.config, err, tc.want)
		}
	}
}

// FuzzConfig: no config file content panics; errors are usage errors.
func FuzzConfig(f *testing.F) {
	f.Add("[services.work]\npreset = \"gitlab\"\nclient_id = \"abc\"\nhosts = [\"gitlab.example.com\"]\nauth_params = { prompt = \"consent\" }\n")
	f.Add("[services.work]\nredirect_port = 99999999999999999999\n")
	f.Add("services = 1")
	f.Fuzz(func(t *testing.T, config string) {
		path := filepath.Join(t.TempDir(), "c.toml")
		os.WriteFile(path, []byte(config), 0o600)
		set := &Settings{Service: "work", ConfigPath: path, Getenv: func(string) string { return "" }}
		name, d, _, err := set.definition()
		if err != nil {
			if ee, ok := err.(*exit.Error); !ok || ee.Code != exit.Usage || strings.Contains(ee.Msg, "\n") {
				t.Fatalf("config error is not a one-line usage error: %v", err)
			}
			return
		}
		if _, err := resolve(name, d); err != nil {
			if ee, ok := err.(*exit.Error); !ok || ee.Code != exit.Usage {
				t.Fatalf("resolve error: %v", err)
			}
		}
	})
}
