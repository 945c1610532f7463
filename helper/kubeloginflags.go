package helper

import (
	"fmt"
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
	u.service = serviceFor(d.Issuer, d.ClientID)
	warn := func(format string, a ...any) {
		fmt.Fprintf(set.Stderr, "oauth2cred: warning: user %q: "+format+"\n", append([]any{u.name}, a...)...)
	}
	// kubelogin always asks for openid and hands kubectl the ID token.
	d.Scopes = []string{"openid"}
	d.TokenType = "id_token"
	for name, vals := range flags {
		if err := u.carry(name, vals, set, warn); err != nil {
			return err
		}
	}
	if len(d.RedirectURLs) == 0 && d.Flow == "" {
		// kubelogin's defaults, registered at the provider as they are.
		d.RedirectURLs = []string{"http://localhost:8000", "http://localhost:18000"}
	}
	if len(stray) > 0 {
		warn("arguments %q are not kubelogin flags and are not carried over", stray)
	}
	return nil
}

// carry takes one kubelogin flag over into the service, or names it in a
// warning.
func (u *kubeloginUser) carry(name string, vals []string, set *lifecycle.Settings, warn func(string, ...any)) error {
	d := &u.def
	switch name {
	case "oidc-issuer-url", "oidc-client-id", "oidc-use-pkce": // PKCE is always on here
	case "oidc-client-secret":
		u.secretValues = append(u.secretValues, vals...)
		warn("its client secret is not carried over: put it in a file and add client_secret_file = \"FILE\" to [services.%q]", u.service)
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
		p, err := caFile(set, u.service, vals[len(vals)-1])
		if err != nil {
			return err
		}
		d.CAFile = p
	case "insecure-skip-tls-verify":
		d.Insecure = vals[0] == "true"
	case "listen-address":
		d.RedirectURLs = nil
		for _, v := range vals {
			for _, addr := range strings.Split(v, ",") {
				d.RedirectURLs = append(d.RedirectURLs, "http://localhost:"+addr[strings.LastIndex(addr, ":")+1:])
			}
		}
	case "oidc-redirect-url":
		d.RedirectURLs = append([]string(nil), vals...)
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
