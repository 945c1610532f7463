package helper

import (
	"strings"

	"oauth2cred/helper/gitconf"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/protocol"
)

// routeGit names the service that answers git's request when the helper
// line names none (credential.helper = oauth2cred, one line for every
// host): the first service of the config file whose hosts match; else
// the one git's own configuration defines for the URL (read once, and
// only then); else "".
func routeGit(set *lifecycle.Settings, req protocol.Credential) (string, *service.Definition, error) {
	proto, host, path := req.Get("protocol"), req.Get("host"), req.Get("path")
	if name, err := routeConfig(set, proto, host); err != nil || name != "" {
		return name, nil, err
	}
	u := proto + "://" + host
	if path != "" {
		u += "/" + strings.TrimPrefix(path, "/")
	}
	vals, err := gitconf.URLMatch("credential", u)
	if err != nil {
		return "", nil, nil // no git to ask: nothing defined here
	}
	name, d, ok := service.FromGitConfig(proto, host, path, vals, realm(req))
	if !ok || !service.Matches(d, proto, host) {
		return "", nil, nil
	}
	return name, &d, nil
}

// realm is the realm of the server's challenge, when git passed it.
func realm(req protocol.Credential) string {
	for _, a := range req {
		if a.Key == "wwwauth[]" {
			if r := service.Realm(a.Value); r != "" {
				return r
			}
		}
	}
	return ""
}

// routeConfig names the first service of the config file that serves
// proto and host, or "".
func routeConfig(set *lifecycle.Settings, proto, host string) (string, error) {
	cfg, err := set.Config()
	if err != nil {
		return "", err
	}
	defs := cfg.Definitions()
	for _, name := range cfg.Names() {
		if service.Matches(defs[name], proto, host) {
			return name, nil
		}
	}
	return "", nil
}

// allHosts: no service named, so the call is the one helper line for
// every host: git's and docker's requests are routed by host, and setup
// writes (or removes) that one line.
func allHosts(set *lifecycle.Settings) bool {
	return set.ServiceName() == ""
}
