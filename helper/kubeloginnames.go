package helper

import (
	"bytes"
	"fmt"
	"os"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// Naming the services of a conversion (SPEC §5b): users with identical
// settings share one service; users that differ in any setting get
// services of their own; a name the config file already has for other
// settings gets a suffix. Never a merge, never a second table of one name.

// nameServices names each user's service, and returns the tables to add.
func nameServices(set *lifecycle.Settings, cfg *service.Config, users []kubeloginUser) []namedService {
	var tables []namedService
	byName := map[string]string{} // this run's names → their settings
	for i := range users {
		u := &users[i]
		key := settingsKey(u.def, u.caPEM)
		base := serviceFor(u.def.Issuer, u.def.ClientID)
		for n := 1; ; n++ {
			name := withSuffix(base, n)
			if k, ok := byName[name]; ok {
				if k == key {
					u.service = name
					break
				}
				continue
			}
			if cfg.Has(name) {
				if d, ok, err := cfg.Service(name); ok && err == nil && settingsKey(d, nil) == key {
					u.service = name
					byName[name] = key
					break
				}
				continue
			}
			u.service, u.newTable = name, true
			byName[name] = key
			if u.caPEM != nil {
				u.def.CAFile = caFilePath(set, name)
			}
			tables = append(tables, namedService{name, u.def})
			break
		}
		// A user sharing a service added in this run shares its CA file.
		for _, t := range tables {
			if t.name == u.service {
				u.def.CAFile = t.def.CAFile
			}
		}
		if u.hasSecret {
			fmt.Fprintf(set.Stderr, "oauth2cred: warning: user %q: its client secret is not carried over: put it in a file and add client_secret_file = \"FILE\" to [services.%q]\n", u.name, u.service)
		}
	}
	return tables
}

// withSuffix is base for n = 1, else base-n within the 64 bytes a name has.
func withSuffix(base string, n int) string {
	if n == 1 {
		return base
	}
	suffix := fmt.Sprintf("-%d", n)
	if len(base)+len(suffix) > 64 {
		base = base[:64-len(suffix)]
	}
	return base + suffix
}

// settingsKey is what a conversion sets of a service, as one string: two
// definitions with the same key are the same service. What a person adds
// to a table afterwards (a secret file, the keyring) does not count.
func settingsKey(d service.Definition, ca []byte) string {
	s := service.Definition{
		Issuer: d.Issuer, ClientID: d.ClientID, Scopes: d.Scopes, AuthParams: d.AuthParams,
		TokenType: d.TokenType, Flow: d.Flow, Insecure: d.Insecure, RedirectURLs: d.RedirectURLs,
	}
	if ca == nil {
		ca = caOf(d)
	}
	if ca == nil && d.CAFile != "" {
		ca = []byte("file:" + d.CAFile) // not readable: the path stands for it
	}
	t, _ := serviceTable("k", s)
	return t + "\x00" + string(bytes.TrimSpace(ca))
}

// caOf is the content of a definition's CA file, nil when it has none.
func caOf(d service.Definition) []byte {
	if d.CAFile == "" {
		return nil
	}
	b, err := os.ReadFile(d.CAFile)
	if err != nil {
		return nil
	}
	return b
}
