package service

import (
	"net/url"
	"strings"
)

// git's own configuration as a source (SPEC §4): the keys that
// git-credential-oauth and Git Credential Manager document, read for the
// URL git asks about (credential.<url>.<key>), so that a person switching
// from either changes only the helper line.

// FromGitConfig makes the service that git's credential keys vals (lower
// case, as gitconf.URLMatch gives them) define for proto://host/path, and
// its name; ok is false when they define none (no client id). realm is the
// server's WWW-Authenticate realm when git passed it (wwwauth[], git ≥ 2.41).
func FromGitConfig(proto, host, path string, vals map[string]string, realm string) (name string, d Definition, ok bool) {
	get := func(keys ...string) string {
		for _, k := range keys {
			if v := strings.TrimSpace(vals[strings.ToLower(k)]); v != "" {
				return v
			}
		}
		return ""
	}
	d.ClientID = get("oauthClientId")
	if d.ClientID == "" {
		return "", Definition{}, false
	}
	base := proto + "://" + host
	abs := func(v string) string { // relative to the host, as both tools allow
		if v == "" {
			return ""
		}
		if u, err := url.Parse(v); err == nil && u.Scheme == "" && strings.HasPrefix(v, "/") {
			return base + v
		}
		return v
	}
	d.ClientSecret = get("oauthClientSecret")
	d.Scopes = strings.Fields(get("oauthScopes"))
	d.AuthURL = abs(get("oauthAuthURL", "oauthAuthorizeEndpoint"))
	d.TokenURL = abs(get("oauthTokenURL", "oauthTokenEndpoint"))
	d.DeviceURL = abs(get("oauthDeviceAuthURL", "oauthDeviceEndpoint"))
	d.Username = get("oauthDefaultUserName")
	if r := get("oauthRedirectURL", "oauthRedirectUri"); r != "" {
		if u, err := url.Parse(r); err == nil && u.Port() != "" {
			d.RedirectURLs = []string{r} // without a port, any free one (RFC 8252)
		}
	}
	switch strings.ToLower(get("oauthUseClientAuthHeader")) {
	case "true", "yes", "1":
		d.ClientAuth = "basic"
	case "false", "no", "0":
		d.ClientAuth = "post"
	}
	d.Hosts = []string{host}
	if d.AuthURL == "" && d.TokenURL == "" && d.DeviceURL == "" {
		d.Preset = forgeOf(host, realm)
	}
	name = host
	if path != "" {
		name += "/" + strings.Trim(path, "/")
	}
	return ServiceName(name), d, true
}

// forgeOf recognises a forge from its host name or its realm, or "".
func forgeOf(host, realm string) string {
	h := strings.ToLower(host)
	switch {
	case h == "codeberg.org":
		return "codeberg"
	case strings.HasPrefix(h, "gitlab."):
		return "gitlab"
	case strings.HasPrefix(h, "gitea."):
		return "gitea"
	case strings.HasPrefix(h, "forgejo."):
		return "forgejo"
	case strings.HasPrefix(h, "github."):
		return "github"
	}
	switch strings.ToLower(realm) {
	case "gitlab":
		return "gitlab"
	case "gitea":
		return "gitea"
	case "forgejo":
		return "forgejo"
	case "github":
		return "github"
	}
	return ""
}

// Realm is the realm of a WWW-Authenticate value (git's wwwauth[]).
func Realm(challenge string) string {
	_, rest, ok := strings.Cut(challenge, `realm="`)
	if !ok {
		return ""
	}
	realm, _, _ := strings.Cut(rest, `"`)
	return realm
}

// ServiceName is s with every character outside the service-name alphabet
// replaced by '_', at most 64 long: 127.0.0.1:8443 → 127.0.0.1_8443.
func ServiceName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
