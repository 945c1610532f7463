package service

import (
	"net"
	"net/url"
	"strings"
)

// preset returns the built-in definition of a provider people use most.
// The user still brings a client id: these providers register OAuth apps
// per organisation. The table is made only when a preset is named: built
// at start-up it cost every cached call.
func preset(name string) (Definition, bool) {
	d, ok := presetTable()[name]
	return d, ok
}

func presetTable() map[string]Definition {
	return map[string]Definition{
		"github": {
			AuthURL:   "https://github.com/login/oauth/authorize",
			TokenURL:  "https://github.com/login/oauth/access_token",
			DeviceURL: "https://github.com/login/device/code",
			Hosts:     []string{"github.com", "gist.github.com"},
			Scopes:    []string{"repo", "gist", "workflow"},
			Username:  "oauth2",
			// OAuth apps' tokens never expire and come without expires_in.
			AllowNoExpiry:       true,
			NoClientCredentials: true,
			AppsPage:            "https://github.com/settings/applications",
			// GitHub preselects the account to sign in as from login=.
			LoginHintParam: "login",
		},
		"gitlab": {
			AuthURL:   "https://gitlab.com/oauth/authorize",
			TokenURL:  "https://gitlab.com/oauth/token",
			DeviceURL: "https://gitlab.com/oauth/authorize_device",
			RevokeURL: "https://gitlab.com/oauth/revoke",
			Hosts:     []string{"gitlab.com"},
			Scopes:    []string{"read_repository", "write_repository"},
			Username:  "oauth2",
			AppsPage:  "https://gitlab.com/-/user_settings/applications",
		},
		"google": {
			// Google's registries take an access token under this name.
			RegistryUsername: "oauth2accesstoken",
			AuthURL:          "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL:         "https://oauth2.googleapis.com/token",
			DeviceURL:        "https://oauth2.googleapis.com/device/code",
			RevokeURL:        "https://oauth2.googleapis.com/revoke",
			Issuer:           "https://accounts.google.com",
			Hosts:            []string{"source.developers.google.com"},
			Scopes:           []string{"openid", "email", "https://www.googleapis.com/auth/cloud-platform"},
			AuthParams:       map[string]string{"access_type": "offline", "prompt": "consent"},
			Username:         "oauth2",
		},
		"microsoft": {
			AuthURL:   "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
			TokenURL:  "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
			DeviceURL: "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode",
			Hosts:     []string{"dev.azure.com"},
			// Azure DevOps' resource id; offline_access brings the refresh token.
			Scopes:   []string{"499b84ac-1321-427f-aa17-267ca6975798/.default", "offline_access"},
			Username: "oauth2",
		},
		// Gitea and Forgejo are self-hosted: the issuer is derived from --host
		// (see forgeIssuer), and discovery at /.well-known/openid-configuration
		// gives the endpoints. They have no revocation endpoint and no
		// client-credentials grant.
		"gitea":   forge(""),
		"forgejo": forge(""),
		"codeberg": func() Definition {
			d := forge("https://codeberg.org/")
			d.Hosts = []string{"codeberg.org"}
			return d
		}(),
		"bitbucket": {
			AuthURL:  "https://bitbucket.org/site/oauth2/authorize",
			TokenURL: "https://bitbucket.org/site/oauth2/access_token",
			Hosts:    []string{"bitbucket.org"},
			// Bitbucket Cloud takes OAuth access tokens as this user name.
			Username: "x-token-auth",
			AppsPage: "https://bitbucket.org/account/settings/app-authorizations/",
		},
	}
}

func forge(issuer string) Definition {
	d := Definition{Issuer: issuer, Username: "oauth2", NoClientCredentials: true}
	if issuer != "" {
		d.AppsPage = issuer + "user/settings/applications"
	}
	return d
}

// hostBase is the base URL of a forge at host: https, or http on this
// machine.
func hostBase(host string) string {
	scheme := "https"
	if h, _, err := net.SplitHostPort(host); (err == nil && IsLoopback(h)) || IsLoopback(host) {
		scheme = "http"
	}
	return scheme + "://" + host
}

// selfHosted points the gitlab and github presets at the service's first
// host when it is not the public one: most GitLab installations are
// self-hosted, and GitHub Enterprise Server serves GitHub's OAuth paths on
// its own host (SPEC §1). Where the person names the server (an issuer or
// an endpoint), no preset endpoint on another host stays: a sign-in or a
// token for one host never goes to another host.
func selfHosted(name string, user, p *Definition) {
	if len(user.Hosts) > 0 {
		host := user.Hosts[0]
		base := hostBase(host)
		switch {
		case name == "gitlab" && !strings.EqualFold(host, "gitlab.com"):
			p.AuthURL, p.TokenURL = base+"/oauth/authorize", base+"/oauth/token"
			p.DeviceURL, p.RevokeURL = base+"/oauth/authorize_device", base+"/oauth/revoke"
			p.AppsPage = base + "/-/user_settings/applications"
		case name == "github" && !strings.EqualFold(host, "github.com") && !strings.EqualFold(host, "gist.github.com"):
			p.AuthURL, p.TokenURL = base+"/login/oauth/authorize", base+"/login/oauth/access_token"
			p.DeviceURL, p.AppsPage = base+"/login/device/code", base+"/settings/applications"
		}
	}
	named := ""
	for _, u := range []string{user.Issuer, user.AuthURL, user.TokenURL, user.DeviceURL, user.RevokeURL} {
		if named = hostOf(u); named != "" {
			break
		}
	}
	if named == "" {
		return
	}
	for _, e := range []*string{&p.Issuer, &p.AuthURL, &p.TokenURL, &p.DeviceURL, &p.RevokeURL} {
		if *e != "" && !strings.EqualFold(hostOf(*e), named) {
			*e = ""
		}
	}
}

// hostOf is the host[:port] of a URL, or "".
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return ""
}

// forgeIssuer derives a self-hosted Gitea's or Forgejo's issuer (its
// ROOT_URL) from the first --host: https, or http for this machine.
func forgeIssuer(s *Service) error {
	if (s.Preset != "gitea" && s.Preset != "forgejo") || s.Issuer != "" || s.AuthURL != "" || s.TokenURL != "" {
		return nil
	}
	if len(s.Hosts) == 0 {
		return Settingf("the %s preset needs the forge's host: pass --host git.example.com (or --issuer https://git.example.com/)", s.Preset)
	}
	s.Issuer = hostBase(s.Hosts[0]) + "/"
	s.AppsPage = s.Issuer + "user/settings/applications"
	return nil
}

// PresetNames lists the built-in providers.
func PresetNames() []string {
	return []string{"github", "gitlab", "google", "microsoft", "gitea", "forgejo", "codeberg", "bitbucket"}
}
