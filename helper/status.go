package helper

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/exit"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// Status prints one line per saved service and account; never a token.
// Services of the config file kept only in the keyring (storage =
// "keyring") are listed too. A broken config file is reported, and the
// token files are listed all the same.
func Status(set *lifecycle.Settings, stdout io.Writer) error {
	dir := set.Store()
	keys, err := dir.Services()
	if err != nil {
		return exit.Fail(err)
	}
	sort.Strings(keys)
	shown := 0
	for _, key := range keys {
		name, account := lifecycle.SplitKey(key)
		if service.ValidName(name) != nil {
			continue
		}
		t, err := dir.Load(key)
		statusLine(stdout, name, account, dir.File(key), t, dir.Refused(key), err)
		shown++
	}
	path, explicit := set.ConfigFile()
	cfg, err := service.Load(path, explicit)
	if err != nil {
		fmt.Fprintf(set.Stderr, "oauth2cred: warning: %v; services kept only in the keyring are not listed\n", err)
		cfg = &service.Config{}
	}
	for _, err := range cfg.Problems() {
		fmt.Fprintf(set.Stderr, "oauth2cred: warning: %v\n", err)
	}
	var inKeyring []string
	for name, d := range cfg.Definitions() {
		if d.Storage == "keyring" && service.ValidName(name) == nil {
			inKeyring = append(inKeyring, name)
		}
	}
	sort.Strings(inKeyring)
	var keyring persist.Keyring
	for _, name := range inKeyring {
		t, err := keyring.Load(name)
		if errors.Is(err, persist.ErrNotFound) {
			continue
		}
		statusLine(stdout, name, "", "OS keyring", t, time.Time{}, err)
		shown++
	}
	if shown == 0 {
		fmt.Fprintf(set.Stderr, "oauth2cred: no saved tokens in %s\n", dir.Path)
	}
	return nil
}

func statusLine(w io.Writer, name, account, where string, t *persist.Token, refused time.Time, err error) {
	if account == "" {
		account = "default"
	}
	if err != nil {
		fmt.Fprintf(w, "%s\taccount: %s\t%s\tunusable: %s\n", name, flow.Sanitize(account), where, err)
		return
	}
	expiry := "expiry unknown"
	switch {
	case t.AccessToken == "":
		expiry = "no access token (refreshes on next use)"
	case !t.Expiry.IsZero() && time.Until(t.Expiry) <= 0:
		expiry = "expired " + t.Expiry.Local().Format(time.RFC3339)
	case !t.Expiry.IsZero():
		expiry = "expires " + t.Expiry.Local().Format(time.RFC3339) + " (in " + time.Until(t.Expiry).Round(time.Second).String() + ")"
	}
	refresh := "refresh token: no"
	switch {
	case t.RefreshToken != "" && !refused.IsZero():
		refresh = "refresh token: refused by the server " + refused.Local().Format(time.RFC3339) + " (sign in again)"
	case t.RefreshToken != "":
		refresh = "refresh token: yes"
	}
	identity := flow.Sanitize(t.Identity)
	if identity == "" {
		identity = "unknown"
	}
	scopes := flow.Sanitize(t.Scope) // the server's words, shown on a terminal
	if scopes == "" {
		scopes = "-"
	}
	fmt.Fprintf(w, "%s\taccount: %s\tsigned in as: %s\t%s\t%s\t%s\tscopes: %s\n", name, flow.Sanitize(account), identity, where, expiry, refresh, scopes)
}
