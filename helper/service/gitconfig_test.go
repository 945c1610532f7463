package service

import (
	"slices"
	"testing"
)

// git's credential keys, as git-credential-oauth and Git Credential
// Manager document them, define a service named after the host.
func TestFromGitConfig(t *testing.T) {
	// git-credential-oauth's README, custom hosts: relative endpoints.
	name, d, ok := FromGitConfig("https", "gitlab.example.com", "", map[string]string{
		"oauthclientid": "abc", "oauthscopes": "read_repository write_repository",
		"oauthauthurl": "/oauth/authorize", "oauthtokenurl": "/oauth/token",
	}, "")
	if !ok || name != "gitlab.example.com" || d.AuthURL != "https://gitlab.example.com/oauth/authorize" || d.TokenURL != "https://gitlab.example.com/oauth/token" ||
		!slices.Equal(d.Scopes, []string{"read_repository", "write_repository"}) || d.Preset != "" {
		t.Fatalf("%s %+v", name, d)
	}
	// Git Credential Manager's generic OAuth names.
	_, d, _ = FromGitConfig("https", "git.example.com:8443", "", map[string]string{
		"oauthclientid": "C33F", "oauthclientsecret": "s3", "oauthredirecturi": "http://127.0.0.1:7711/cb",
		"oauthauthorizeendpoint": "/auth/authorize", "oauthtokenendpoint": "/auth/token", "oauthdeviceendpoint": "/auth/device",
		"oauthdefaultusername": "OAUTH_USER", "oauthuseclientauthheader": "false",
	}, "")
	if d.AuthURL != "https://git.example.com:8443/auth/authorize" || d.DeviceURL != "https://git.example.com:8443/auth/device" || d.ClientSecret != "s3" ||
		d.Username != "OAUTH_USER" || d.ClientAuth != "post" || !slices.Equal(d.RedirectURLs, []string{"http://127.0.0.1:7711/cb"}) {
		t.Fatalf("%+v", d)
	}
	// Only a client id: the forge from the host name, or from its realm.
	for _, tc := range []struct{ host, realm, preset string }{
		{"gitlab.internal.test", "", "gitlab"}, {"gitea.internal.test", "", "gitea"}, {"forgejo.internal.test", "", "forgejo"},
		{"github.internal.test", "", "github"}, {"codeberg.org", "", "codeberg"}, {"git.internal.test", "GitLab", "gitlab"},
		{"git.internal.test", "Gitea", "gitea"}, {"git.internal.test", "", ""},
	} {
		if _, d, _ := FromGitConfig("https", tc.host, "", map[string]string{"oauthclientid": "x"}, tc.realm); d.Preset != tc.preset {
			t.Errorf("%s realm %q: preset %q", tc.host, tc.realm, d.Preset)
		}
	}
	if _, _, ok := FromGitConfig("https", "h", "", map[string]string{"oauthscopes": "x"}, ""); ok {
		t.Error("a service without a client id")
	}
	if name, _, _ := FromGitConfig("http", "127.0.0.1:8443", "team/repo.git", map[string]string{"oauthclientid": "x"}, ""); name != "127.0.0.1_8443_team_repo.git" {
		t.Errorf("name %q", name)
	}
	if r := Realm(`Basic realm="GitLab"`); r != "GitLab" {
		t.Errorf("realm %q", r)
	}
}
