package service

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestPresetsResolve(t *testing.T) {
	for _, p := range PresetNames() {
		svc, err := Resolve("x", Definition{Preset: p, ClientID: "id", Hosts: presetTable()[p].Hosts})
		if p == "gitea" || p == "forgejo" {
			if err == nil || !strings.Contains(err.Error(), "needs the forge's host") {
				t.Fatalf("%s without a host: %v", p, err)
			}
			svc, err = Resolve("x", Definition{Preset: p, ClientID: "id", Hosts: []string{"git.example.com"}})
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
		svc, err := Resolve("x", tc.def)
		if err != nil || svc.Issuer != tc.issuer || svc.Username != tc.username || svc.AppsPage != tc.appsPage || svc.NoClientCredentials != tc.noClientCredentials {
			t.Errorf("%s: %+v %v", tc.def.Preset, svc, err)
		}
	}
	if svc, _ := Resolve("x", Definition{Preset: "google", ClientID: "id"}); svc.AuthParams["access_type"] != "offline" {
		t.Fatal("google preset lacks access_type=offline")
	}
	if svc, _ := Resolve("x", Definition{Preset: "github", ClientID: "id"}); !svc.AllowNoExpiry {
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
			_, err := Resolve(tc.service, tc.d)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *SettingError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want usage error with %q", err, tc.want)
			}
		})
	}
}

func TestServesHost(t *testing.T) {
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
		if got := svc.ServesHost(tc.proto, tc.host); got != tc.want {
			t.Errorf("%s://%s: %v, want %v", tc.proto, tc.host, got, tc.want)
		}
	}
}

// flagValues are flags given by name, for FromFlags.
type flagValues map[string][]string

func (v flagValues) Names() []string               { return slices.Collect(maps.Keys(v)) }
func (v flagValues) String(f string) string        { return v[f][len(v[f])-1] }
func (v flagValues) StringSlice(f string) []string { return v[f] }
func (v flagValues) Bool(f string) bool            { return v[f][0] == "true" }
func (v flagValues) Int(f string) int              { n, _ := strconv.Atoi(v[f][0]); return n }

// One description per field: flags fill the Definition, and Args gives
// back the words that define it (never the secret), in a hint's order.
func TestFieldsRoundTrip(t *testing.T) {
	given := flagValues{
		"client-id": {"c"}, "client-secret": {"s3cret"}, "issuer": {"https://i.example"}, "scope": {"openid email"},
		"param": {"prompt=consent", "access_type=offline"}, "host": {"a.example", "b.example"}, "redirect-port": {"8080"},
		"insecure-skip-tls-verify": {"true"}, "client-auth": {"post"}, "audience": {"api"},
	}
	d, err := FromFlags(given)
	if err != nil {
		t.Fatal(err)
	}
	if d.ClientID != "c" || d.ClientSecret != "s3cret" || !d.Insecure || d.RedirectPort != 8080 || d.AuthParams["prompt"] != "consent" || len(d.Hosts) != 2 || d.ClientAuth != "post" {
		t.Fatalf("%+v", d)
	}
	got := strings.Join(d.Args(), " ")
	want := "--issuer https://i.example --client-id c --scope openid email --param access_type=offline --param prompt=consent --host a.example --host b.example --redirect-port 8080 --audience api --insecure-skip-tls-verify --client-auth post"
	if got != want {
		t.Fatalf("args\n%s\nwant\n%s", got, want)
	}
	if _, err := FromFlags(flagValues{"param": {"novalue"}}); err == nil {
		t.Fatal("--param without = accepted")
	}
}

// the gitlab and github presets follow a self-hosted host
// (GitLab, GitHub Enterprise Server); the public hosts and explicit
// endpoints keep theirs.
func TestSelfHostedForges(t *testing.T) {
	for _, tc := range []struct {
		def                  Definition
		auth, device, revoke string
	}{
		{Definition{Preset: "gitlab", Hosts: []string{"gitlab.internal.test"}}, "https://gitlab.internal.test/oauth/authorize", "https://gitlab.internal.test/oauth/authorize_device", "https://gitlab.internal.test/oauth/revoke"},
		{Definition{Preset: "gitlab", Hosts: []string{"127.0.0.1:8929"}}, "http://127.0.0.1:8929/oauth/authorize", "http://127.0.0.1:8929/oauth/authorize_device", "http://127.0.0.1:8929/oauth/revoke"},
		{Definition{Preset: "gitlab", Hosts: []string{"gitlab.com"}}, "https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/authorize_device", "https://gitlab.com/oauth/revoke"},
		{Definition{Preset: "github", Hosts: []string{"ghe.internal.test"}}, "https://ghe.internal.test/login/oauth/authorize", "https://ghe.internal.test/login/device/code", ""},
		{Definition{Preset: "github"}, "https://github.com/login/oauth/authorize", "https://github.com/login/device/code", ""},
		{Definition{Preset: "gitlab", Hosts: []string{"gitlab.internal.test"}, AuthURL: "https://sso.internal.test/a", TokenURL: "https://sso.internal.test/t"}, "https://sso.internal.test/a", "", ""},
	} {
		tc.def.ClientID = "id"
		svc, err := Resolve("x", tc.def)
		if err != nil {
			t.Fatal(err)
		}
		if svc.AuthURL != tc.auth || svc.DeviceURL != tc.device || svc.RevokeURL != tc.revoke {
			t.Errorf("%+v: auth %s device %s revoke %s", tc.def, svc.AuthURL, svc.DeviceURL, svc.RevokeURL)
		}
		if len(tc.def.Hosts) > 0 && svc.Hosts[0] != tc.def.Hosts[0] {
			t.Errorf("hosts %v", svc.Hosts)
		}
	}
}

// The user name known before resolving is the one the resolved service
// hands out: a git call's username= is told from an account by it.
func TestHandedUsernameIsResolved(t *testing.T) {
	for _, d := range []Definition{
		{ClientID: "c", Issuer: "https://id.example.com"},
		{ClientID: "c", Issuer: "https://id.example.com", Username: "x-token-auth"},
		{Preset: "bitbucket", ClientID: "c"},
		{Preset: "github", ClientID: "c"},
		{Preset: "gitea", ClientID: "c", Hosts: []string{"git.example.com"}},
		{Preset: "google", ClientID: "c", Username: "me"},
	} {
		svc, err := Resolve("s", d)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.HandedUsername(); got != svc.Username {
			t.Errorf("%+v: HandedUsername %q, resolved %q", d, got, svc.Username)
		}
	}
}
