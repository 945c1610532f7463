package helper

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// StatusFormats are status's output formats.
var StatusFormats = []string{"table", "json"}

// statusEntry is one saved token as status shows it: never a token.
type statusEntry struct {
	Service        string        `json:"service"`
	Account        string        `json:"account"`
	Identity       string        `json:"identity,omitempty"`
	Client         string        `json:"client,omitempty"` // a client-credentials token's client
	Grant          string        `json:"grant,omitempty"`
	Expiry         *time.Time    `json:"expiry,omitempty"`
	Expired        bool          `json:"expired"`
	Scopes         []string      `json:"scopes"`
	RefreshToken   bool          `json:"refresh_token"`
	RefreshRefused *time.Time    `json:"refresh_refused,omitempty"`
	Keyring        bool          `json:"keyring"`
	File           string        `json:"file,omitempty"`
	Problem        string        `json:"problem,omitempty"`
	left           time.Duration // until Expiry, by the call's clock
}

// Status prints every saved token of every service and account, as a
// table with a header or as JSON (one array); never a token. Services of
// the config file kept only in the keyring (storage = "keyring") are
// listed too. A broken config file is reported, and the token files are
// listed all the same.
func Status(set *lifecycle.Settings, format string, stdout io.Writer) error {
	if !slices.Contains(StatusFormats, format) {
		return Usagef("--format %q is not one of %s", format, strings.Join(StatusFormats, ", "))
	}
	entries, err := statusEntries(set)
	if err != nil {
		return err
	}
	if set.Service != "" { // status --service NAME: that service's accounts only
		entries = slices.DeleteFunc(entries, func(e statusEntry) bool { return e.Service != set.Service })
	}
	if format == "json" {
		if entries == nil {
			entries = []statusEntry{}
		}
		b, _ := json.MarshalIndent(entries, "", "  ")
		_, err := fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintf(set.Stderr, "oauth2cred: no saved tokens in %s\n", set.Store().Path)
		return nil
	}
	return statusTable(stdout, entries)
}

// statusEntries are the saved tokens: the token directory's files, then
// the config file's services kept only in the keyring.
func statusEntries(set *lifecycle.Settings) ([]statusEntry, error) {
	dir := set.Store()
	keys, err := dir.Services()
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	cfg, err := set.Config() // read once per call, as every command reads it
	if err != nil {
		fmt.Fprintf(set.Stderr, "oauth2cred: warning: %v; services kept only in the keyring are not listed\n", err)
		cfg = &service.Config{}
	}
	for _, err := range cfg.Problems() {
		fmt.Fprintf(set.Stderr, "oauth2cred: warning: %v\n", err)
	}
	mirrored := func(name string) bool { d, ok, _ := cfg.Service(name); return ok && d.Keyring }
	var entries []statusEntry
	for _, key := range keys {
		name, account := lifecycle.SplitKey(key)
		if service.ValidName(name) != nil {
			continue
		}
		t, err := dir.Load(key)
		e := entryOf(name, account, t, err, set.Now())
		e.File, e.Keyring = dir.File(key), mirrored(name)
		if r := dir.Refused(key); !r.IsZero() && e.RefreshToken {
			e.RefreshRefused = &r
		}
		entries = append(entries, e)
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
		e := entryOf(name, "", t, err, set.Now())
		e.Keyring = true
		entries = append(entries, e)
	}
	return entries, nil
}

// entryOf describes a saved token; every text a server chose is cleaned
// of control characters (status prints on a terminal).
func entryOf(name, account string, t *persist.Token, err error, now time.Time) statusEntry {
	e := statusEntry{Service: name, Account: orDefault(account), Scopes: []string{}}
	if err != nil {
		e.Problem = flow.Sanitize(err.Error())
		return e
	}
	e.Identity, e.Grant = flow.Sanitize(t.Identity), t.Grant
	if t.Grant == "client_credentials" {
		e.Identity, e.Client = "", flow.Sanitize(t.ClientID)
	}
	if !t.Expiry.IsZero() {
		exp := t.Expiry.UTC()
		e.Expiry, e.Expired, e.left = &exp, !t.Expiry.After(now), t.Expiry.Sub(now)
	}
	if sc := strings.Fields(flow.Sanitize(t.Scope)); len(sc) > 0 {
		e.Scopes = sc
	}
	e.RefreshToken = t.RefreshToken != ""
	return e
}

func orDefault(account string) string {
	if account == "" {
		return "default"
	}
	return account
}

// statusTable prints the entries under a header, one line each.
func statusTable(w io.Writer, entries []statusEntry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tACCOUNT\tSIGNED IN AS\tEXPIRES\tREFRESH TOKEN\tSCOPES\tKEPT IN")
	for _, e := range entries {
		where := e.File
		switch {
		case where == "":
			where = "OS keyring"
		case e.Keyring:
			where += " (and the OS keyring)"
		}
		if e.Problem != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t%s: unusable: %s\n", e.Service, e.Account, where, e.Problem)
			continue
		}
		who := cmp.Or(e.Identity, "unknown")
		if e.Client != "" {
			who = "client " + e.Client
		}
		expiry := "unknown"
		switch {
		case e.Expiry == nil:
		case e.Expired:
			expiry = "expired " + e.Expiry.Local().Format(time.RFC3339)
		default:
			expiry = e.Expiry.Local().Format(time.RFC3339) + " (in " + e.left.Round(time.Second).String() + ")"
		}
		refresh := "no"
		switch {
		case e.RefreshRefused != nil:
			refresh = "refused by the server " + e.RefreshRefused.Local().Format(time.RFC3339) + " (sign in again)"
		case e.RefreshToken:
			refresh = "yes"
		}
		scopes := strings.Join(e.Scopes, " ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Service, e.Account, who, expiry, refresh, cmp.Or(scopes, "-"), where)
	}
	return tw.Flush()
}
