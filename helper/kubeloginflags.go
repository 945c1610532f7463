package helper

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"oauth2cred/helper/lifecycle"
)

// kubelogin's get-token flags that take no value.
var kubeloginBools = map[string]bool{
	"oidc-use-pkce": true, "oidc-use-access-token": true, "force-refresh": true, "force-keyring": true,
	"no-keyring": true, "insecure-skip-tls-verify": true, "tls-renegotiation-once": true,
	"tls-renegotiation-freely": true, "skip-open-browser": true,
}

// kubeloginFlags splits get-token's arguments (pflag: --f v, --f=v, -f).
func kubeloginFlags(args []string) (map[string][]string, []string) {
	flags := map[string][]string{}
	var stray []string
	for i := 0; i < len(args); i++ {
		name, value, has := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		switch {
		case !strings.HasPrefix(args[i], "-"):
			stray = append(stray, args[i])
			continue
		case !has && kubeloginBools[name]:
			value = "true"
		case !has && i+1 < len(args):
			i++
			value = args[i]
		}
		flags[name] = append(flags[name], value)
	}
	return flags, stray
}

// kubeloginSecret says whether a get-token flag's value is a secret.
func kubeloginSecret(name string) bool { return name == "oidc-client-secret" || name == "password" }

// redactKubeloginArgs is args with every secret flag's value as [redacted],
// in either form (--f=v, --f v).
func redactKubeloginArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		if !strings.HasPrefix(out[i], "-") {
			continue
		}
		name, _, has := strings.Cut(strings.TrimLeft(out[i], "-"), "=")
		switch {
		case !kubeloginSecret(name):
		case has:
			out[i] = out[i][:strings.IndexByte(out[i], '=')+1] + "[redacted]"
		case i+1 < len(out):
			i++
			out[i] = "[redacted]"
		}
	}
	return out
}

// define makes the service of a kubelogin user's flags: carried over where
// oauth2cred has the same thing, named in a warning where it has not.
func (u *kubeloginUser) define(args []string, set *lifecycle.Settings) error {
	flags, stray := kubeloginFlags(args)
	one := func(k string) string {
		if v := flags[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	d := &u.def
	d.Issuer, d.ClientID = one("oidc-issuer-url"), one("oidc-client-id")
	if d.Issuer == "" || d.ClientID == "" {
		return fmt.Errorf("kubelogin needs --oidc-issuer-url and --oidc-client-id, and this entry lacks one")
	}
	warn := func(format string, a ...any) {
		fmt.Fprintf(set.Stderr, "oauth2cred: warning: user %q: "+format+"\n", append([]any{u.name}, a...)...)
	}
	// kubelogin always asks for openid and hands kubectl the ID token.
	d.Scopes = []string{"openid"}
	d.TokenType = "id_token"
	for _, name := range sortedKeys(flags) {
		if err := u.carry(name, flags[name], warn); err != nil {
			return err
		}
	}
	if d.Flow == "" || d.Flow == "browser" || len(flags["listen-address"])+len(flags["oidc-redirect-url"]) > 0 {
		d.RedirectURLs = kubeloginRedirects(flags, warn)
	}
	if len(stray) > 0 {
		warn("arguments %q are not kubelogin flags and are not carried over", stray)
	}
	return nil
}

// kubeloginRedirects are the redirect URIs kubelogin would send, which
// the provider has registered: --oidc-redirect-url (newer releases) as
// it is, else http://HOSTNAME:PORT for each --listen-address (default
// 127.0.0.1:8000, then :18000) with --oidc-redirect-url-hostname (older
// releases; default localhost).
func kubeloginRedirects(flags map[string][]string, warn func(string, ...any)) []string {
	var out []string
	out = append(out, flags["oidc-redirect-url"]...)
	if len(out) == 0 {
		host := "localhost"
		if h := flags["oidc-redirect-url-hostname"]; len(h) > 0 {
			host = h[len(h)-1]
		}
		addrs := []string{"127.0.0.1:8000", "127.0.0.1:18000"}
		if a := flags["listen-address"]; len(a) > 0 {
			addrs = nil
			for _, v := range a {
				addrs = append(addrs, strings.Split(v, ",")...)
			}
		}
		for _, addr := range addrs {
			out = append(out, "http://"+host+":"+addr[strings.LastIndex(addr, ":")+1:])
		}
	}
	for _, r := range out {
		if u, err := url.Parse(r); err != nil || u.Scheme != "http" || (u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1") {
			warn("its redirect URI %s is not on this machine's loopback (http://127.0.0.1 or http://localhost); oauth2cred cannot listen there", r)
		}
	}
	return out
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// carry takes one kubelogin flag over into the service, or names it in a
// warning.
func (u *kubeloginUser) carry(name string, vals []string, warn func(string, ...any)) error {
	d := &u.def
	switch name {
	case "oidc-issuer-url", "oidc-client-id", "oidc-use-pkce": // PKCE is always on here
	case "listen-address", "oidc-redirect-url", "oidc-redirect-url-hostname": // kubeloginRedirects
	case "oidc-client-secret":
		u.hasSecret = true // named once the service has its name
	case "oidc-extra-scope":
		for _, v := range vals {
			d.Scopes = append(d.Scopes, strings.Split(v, ",")...)
		}
	case "oidc-use-access-token":
		d.TokenType = "access_token"
	case "oidc-auth-request-extra-params":
		d.AuthParams = map[string]string{}
		for _, v := range vals {
			for _, kv := range strings.Split(v, ",") {
				if k, val, ok := strings.Cut(kv, "="); ok {
					d.AuthParams[k] = val
				}
			}
		}
	case "certificate-authority":
		d.CAFile = vals[len(vals)-1]
	case "certificate-authority-data":
		pem, err := caPEM(vals[len(vals)-1])
		if err != nil {
			return err
		}
		u.caPEM = pem
	case "insecure-skip-tls-verify":
		d.Insecure = vals[0] == "true"
	case "grant-type":
		d.Flow = grantFlow(vals[len(vals)-1], warn)
	case "force-keyring":
		d.Keyring = true
	case "username", "password":
		warn("--%s (the password grant) is not carried over; oauth2cred signs in with the browser or device code", name)
	default:
		warn("kubelogin's --%s is not carried over (oauth2cred keeps its own token store, browser and timeouts)", name)
	}
	return nil
}

// grantFlow is oauth2cred's flow for kubelogin's --grant-type.
func grantFlow(grant string, warn func(string, ...any)) string {
	switch grant {
	case "auto", "authcode":
		return ""
	case "authcode-keyboard":
		return "browser"
	case "device-code":
		return "device"
	case "client-credentials":
		return "client-credentials"
	}
	warn("--grant-type %s is not supported by oauth2cred; it signs in with the browser", grant)
	return ""
}
