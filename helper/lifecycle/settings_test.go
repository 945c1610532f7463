package lifecycle

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oauth2cred/helper/service"
	"oauth2cred/internal/testdir"
)

func settingsWith(t *testing.T, config string, env map[string]string, flags service.Definition) *Settings {
	t.Helper()
	dir := testdir.New(t)
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
		flags    service.Definition
		clientID string
		tokenURL string
	}{
		// A self-hosted GitLab (SPEC §1): the endpoints follow the host.
		{"config", nil, service.Definition{}, "from-config", "https://gitlab.example.com/oauth/token"},
		{"env over config", map[string]string{"OAUTH2CRED_CLIENT_ID": "from-env"}, service.Definition{}, "from-env", "https://gitlab.example.com/oauth/token"},
		{"flag over env", map[string]string{"OAUTH2CRED_CLIENT_ID": "from-env"}, service.Definition{ClientID: "from-flag", TokenURL: "https://gitlab.example.com/oauth/token"}, "from-flag", "https://gitlab.example.com/oauth/token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := settingsWith(t, cfg, tc.env, tc.flags)
			set.Flags.AuthParams = map[string]string{"login_hint": "me"}
			name, d, _, err := set.definition()
			if err != nil {
				t.Fatal(err)
			}
			svc, err := service.Resolve(name, d)
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

// scopes written as one string, like the flag; a broken table
// of another service leaves this one usable.
func TestConfigListsAndBrokenNeighbours(t *testing.T) {
	set := settingsWith(t, "[services.work]\nclient_id = \"x\"\nscopes = \"a b,c\"\nhosts = \"h.example.com\"\n[services.broken]\nclientid = 1\n", nil, service.Definition{})
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
		set := settingsWith(t, tc.config, nil, service.Definition{})
		_, _, _, err := set.definition()
		if se := (*service.SettingError)(nil); !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
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
		path := filepath.Join(testdir.New(t), "c.toml")
		os.WriteFile(path, []byte(config), 0o600)
		set := &Settings{Service: "work", ConfigPath: path, Getenv: func(string) string { return "" }}
		name, d, _, err := set.definition()
		if err != nil {
			if se := (*service.SettingError)(nil); !errors.As(err, &se) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("config error is not a one-line usage error: %v", err)
			}
			return
		}
		if _, err := service.Resolve(name, d); err != nil {
			if se := (*service.SettingError)(nil); !errors.As(err, &se) {
				t.Fatalf("resolve error: %v", err)
			}
		}
	})
}

// Open says that no service is named before it says what is wrong with
// the config file, as definition always has: the file is parsed early (for
// the stack), but its error waits its turn.
func TestOpenNamesTheMissingServiceFirst(t *testing.T) {
	set := settingsWith(t, "[services.work\n", nil, service.Definition{})
	set.Service = ""
	_, err := Open(set, Use{})
	if err == nil || !strings.Contains(err.Error(), "no service named") {
		t.Fatalf("Open without a service and a broken config: %v", err)
	}
	set.Service = "work"
	if _, err := Open(set, Use{}); err == nil || !strings.Contains(err.Error(), "line 2: expected") {
		t.Fatalf("Open with a broken config: %v", err)
	}
}
