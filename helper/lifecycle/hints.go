package lifecycle

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"oauth2cred/helper/platform"
)

// Hints: the commands that errors tell a person to run must work as shown.

// needPerson is the error of a call that needs a sign-in where no one can
// be asked.
func (s *Session) needPerson() error {
	none := "no terminal or browser to sign in"
	if s.viaGit && s.set.Env("GIT_TERMINAL_PROMPT") == "0" && platform.HasTerminal(s.set.Env) {
		// A terminal may well be there: git was told not to prompt on it.
		none = "GIT_TERMINAL_PROMPT=0 forbids asking on the terminal, and no browser can be opened to sign in"
	}
	msg := fmt.Sprintf("no saved token for %s and %s; run '%s' in a terminal", s.Label(), none, s.LoginCommand())
	if s.clientCredentialsPossible() {
		msg += ", or pass --flow client-credentials"
	}
	return &NoPersonError{errors.New(msg)}
}

// clientCredentialsPossible: suggest the client-credentials flow only to a
// client that can authenticate, at a server that may grant it.
func (s *Session) clientCredentialsPossible() bool {
	if !s.svc.Authenticates() || s.svc.NoClientCredentials {
		return false
	}
	return s.cfg == nil || s.cfg.Endpoints.Supports("client_credentials")
}

// LoginCommand is the `oauth2cred login` that signs in to this service as
// it is defined now: the service name, and every service flag the call was
// given (never a secret).
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
	if s.source == "git config" { // the flags that define it outside git
		for _, a := range s.set.FromGit.Args() {
			parts = append(parts, hintQuote(a))
		}
	}
	// Every field the flags gave (a changed setting must be signed in
	// with as it is asked for now), from the fields' one description;
	// where only flags define the service, the client id as resolved (a
	// preset or environment may have given it).
	f := s.set.Flags
	if s.source == "flags" {
		f.ClientID = s.svc.ClientID
	}
	for _, a := range f.Args() {
		parts = append(parts, hintQuote(a))
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

func cooldownLeft(at, now time.Time, cooldown time.Duration) time.Duration {
	return at.Add(cooldown).Sub(now).Round(time.Second)
}
