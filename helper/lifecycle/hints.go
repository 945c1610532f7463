package lifecycle

import (
	"fmt"
	"strings"
	"time"

	"oauth2cred/helper/exit"
	"oauth2cred/helper/service"
)

// Hints: the commands that errors tell a person to run must work as shown.

// needPerson is the error of a call that needs a sign-in where no one can
// be asked.
func (s *Session) needPerson() error {
	msg := fmt.Sprintf("no saved token for %s and no terminal or browser to sign in; run '%s' in a terminal", s.Label(), s.LoginCommand())
	if s.clientCredentialsPossible() {
		msg += ", or pass --flow client-credentials"
	}
	return &exit.Error{Code: exit.Interaction, Msg: msg}
}

// clientCredentialsPossible: suggest the client-credentials flow only to a
// client that can authenticate, at a server that may grant it.
func (s *Session) clientCredentialsPossible() bool {
	if !s.svc.Authenticates() || s.svc.NoClientCredentials {
		return false
	}
	return s.cfg == nil || s.cfg.Endpoints.Supports("client_credentials")
}

// loginCommand is the `oauth2cred login` that signs in to this service as
// it is defined now: the service name alone when the config file or a saved
// token defines it, else the defining flags too (never a secret).
func (s *Session) LoginCommand() string {
	parts := []string{"oauth2cred", "login", "--service", s.svc.Name}
	if s.set.TokenDir != "" {
		parts = append(parts, "--token-dir", hintQuote(s.set.TokenDir))
	}
	if s.set.ConfigPath != "" {
		parts = append(parts, "--config", hintQuote(s.set.ConfigPath))
	}
	if s.account != "" {
		parts = append(parts, "--account", hintQuote(s.account))
	}
	if s.source != "flags" {
		return strings.Join(parts, " ")
	}
	f := s.set.Flags
	add := func(flag, value string) {
		if value != "" {
			parts = append(parts, flag, hintQuote(value))
		}
	}
	add("--preset", f.Preset)
	add("--issuer", f.Issuer)
	add("--auth-url", f.AuthURL)
	add("--token-url", f.TokenURL)
	add("--refresh-url", f.RefreshURL)
	add("--device-url", f.DeviceURL)
	add("--client-id", s.svc.ClientID)
	add("--client-secret-file", f.ClientSecretFile)
	add("--client-auth", f.ClientAuth)
	add("--client-key-file", f.ClientKeyFile)
	add("--client-key-id", f.ClientKeyID)
	add("--scope", strings.Join(service.SplitList(f.Scopes), " "))
	add("--method", f.Method)
	for _, h := range f.Hosts {
		add("--host", h)
	}
	for _, u := range f.RedirectURLs {
		add("--redirect-url", u)
	}
	return strings.Join(parts, " ")
}

// hintQuote quotes a value for a command shown inside '…' in a message:
// bare when the shell would take it as it is, else in double quotes.
func hintQuote(v string) string {
	if v != "" && strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=:,@%") == "" {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(v) + `"`
}

func (s *Session) cooldown() time.Duration {
	if s.set.Cooldown > 0 {
		return s.set.Cooldown
	}
	return defaultCooldown
}

// defaultCooldown is how long calls without a terminal leave a service
// alone after a sign-in was abandoned.
const defaultCooldown = 10 * time.Minute

func cooldownLeft(at time.Time, cooldown time.Duration) time.Duration {
	return time.Until(at.Add(cooldown)).Round(time.Second)
}

func sinceRounded(t time.Time) time.Duration { return time.Since(t).Round(time.Second) }
