package helper

import (
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// routeGit names the service that answers git for proto and host when the
// helper line names none (credential.helper = oauth2cred, one line for
// every host): the first service of the config file whose hosts match, or
// "" when none does.
func routeGit(set *lifecycle.Settings, proto, host string) (string, error) {
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
