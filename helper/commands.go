package helper

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/exit"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
	"oauth2cred/protocol"
)

// Formats of the token command.
var TokenFormats = []string{"token", "header", "json", "env"}

// Token prints a valid token in format: the seed library's accessToken().
func Token(ctx context.Context, set *Settings, format string, stdout io.Writer) error {
	if !service.Contains(TokenFormats, format) {
		return exit.Usagef("--format %q is not one of %s; see 'oauth2cred token --help'", format, strings.Join(TokenFormats, ", "))
	}
	s, err := Open(set)
	if err != nil {
		return err
	}
	defer s.Close()
	t, value, expiry, err := s.handOut(ctx)
	if err != nil {
		return err
	}
	var out string
	switch format {
	case "token":
		out = value + "\n"
	case "header":
		out = "Authorization: Bearer " + value + "\n"
	case "json":
		j := struct {
			AccessToken string     `json:"access_token"`
			TokenType   string     `json:"token_type"`
			Expiry      *time.Time `json:"expiry,omitempty"`
			ExpiresIn   int64      `json:"expires_in,omitempty"`
			IDToken     string     `json:"id_token,omitempty"`
			Scope       string     `json:"scope,omitempty"`
		}{AccessToken: t.AccessToken, TokenType: "Bearer", IDToken: t.IDToken, Scope: t.Scope}
		if !expiry.IsZero() {
			e := expiry.UTC()
			j.Expiry, j.ExpiresIn = &e, int64(time.Until(expiry).Seconds())
		}
		b, _ := json.Marshal(j)
		out = string(b) + "\n"
	case "env":
		out = "OAUTH2CRED_ACCESS_TOKEN=" + shellQuote(value) + "\n"
		if !expiry.IsZero() {
			out += "OAUTH2CRED_TOKEN_EXPIRY=" + expiry.UTC().Format(time.RFC3339) + "\n"
		}
	}
	_, err = io.WriteString(stdout, out)
	return err
}

// handOut returns a valid token and the value handed out of it (per
// --token-type) with that value's expiry.
func (s *Session) handOut(ctx context.Context) (*persist.Token, string, time.Time, error) {
	t, err := s.Token(ctx)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	value, expiry := s.wanted(t)
	if value == "" {
		return nil, "", time.Time{}, exit.Fail(fmt.Errorf("the server issued no %s for %q; for an ID token add --scope openid", s.svc.TokenType, s.svc.Name))
	}
	if !expiry.IsZero() && !expiry.After(time.Now()) {
		return nil, "", time.Time{}, exit.Fail(fmt.Errorf("the %s of %q has expired and no fresh one could be had; run '%s'", s.svc.TokenType, s.svc.Name, s.loginCommand()))
	}
	if err := checkTokenText(value); err != nil {
		return nil, "", time.Time{}, exit.Fail(err)
	}
	return t, value, expiry, nil
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Login runs the flow now and tells where the token went.
func Login(ctx context.Context, set *Settings) error {
	s, err := Open(set)
	if err != nil {
		return err
	}
	defer s.Close()
	s.isLogin = true
	_, err = s.Login(ctx)
	return err
}

// Logout revokes and deletes the saved token.
func Logout(ctx context.Context, set *Settings) error {
	s, err := Open(set)
	if err != nil {
		return err
	}
	defer s.Close()
	if !set.AllAccounts {
		return s.Logout(ctx)
	}
	accounts, err := s.accounts()
	if err != nil {
		return err
	}
	var failed error
	for _, a := range accounts {
		s.account = a
		if err := s.Logout(ctx); err != nil {
			s.ui.warn("%v", err)
			failed = err
		}
	}
	return failed
}

// Git answers one git credential-helper operation (gitcredentials(7)).
func Git(ctx context.Context, set *Settings, op string, stdin io.Reader, stdout io.Writer) error {
	switch op {
	case "get", "store", "erase":
	case "":
		return exit.Usagef("git needs an operation: get, store or erase; see 'oauth2cred git --help'")
	default:
		return exit.Usagef("unknown git operation %q; git calls get, store or erase; see 'oauth2cred git --help'", op)
	}
	req, err := protocol.ReadCredential(stdin)
	if err != nil {
		return exit.Usagef("%v", err)
	}
	if op == "store" {
		return nil // the token lives in our store; git's copy adds nothing
	}
	s, err := Open(set)
	if err != nil {
		return err
	}
	defer s.Close()
	if !s.svc.ServesGit(req.Get("protocol"), req.Get("host")) {
		return nil // silence: git asks the next helper
	}
	s.viaGit = true
	if set.env("GIT_TERMINAL_PROMPT") == "0" {
		s.person = false
	}
	// https://alice@host/… or credential.username: that account's token.
	if err := s.selectAccount(req.Get("username")); err != nil {
		return err
	}
	if op == "erase" {
		// git >= 2.46 with authtype sends the token as credential=, not password=.
		value := req.Get("password")
		if value == "" {
			value = req.Get("credential")
		}
		return s.Drop(ctx, value)
	}
	t, value, expiry, err := s.handOut(ctx)
	if err != nil {
		return err
	}
	var ans protocol.Credential
	if s.svc.GitBearer && req.Has("capability[]", "authtype") {
		ans = protocol.Credential{{Key: "capability[]", Value: "authtype"}, {Key: "authtype", Value: "Bearer"}, {Key: "credential", Value: value}}
	} else {
		// The account's name keeps git on the same account for this URL.
		username := s.svc.Username
		if s.account != "" {
			username = s.account
		}
		ans = protocol.Credential{{Key: "username", Value: username}, {Key: "password", Value: value}}
	}
	if !expiry.IsZero() {
		ans = append(ans, protocol.Attr{Key: "password_expiry_utc", Value: strconv.FormatInt(expiry.Unix(), 10)})
	}
	if t.RefreshToken != "" {
		ans = append(ans, protocol.Attr{Key: "oauth_refresh_token", Value: t.RefreshToken})
	}
	return protocol.WriteCredential(stdout, ans)
}

// Kubectl answers client-go's exec credential plugin call.
func Kubectl(ctx context.Context, set *Settings, execInfo string, stdout io.Writer) error {
	info, err := protocol.ParseExecInfo(execInfo)
	if err != nil {
		return exit.Usagef("%v", err)
	}
	s, err := Open(set)
	if err != nil {
		return err
	}
	defer s.Close()
	if execInfo != "" && !info.Spec.Interactive {
		// kubectl says nobody is at a terminal: do not look for one.
		s.person = false
		s.ui.noTTY = true
	}
	_, value, expiry, err := s.handOut(ctx)
	if err != nil {
		return err
	}
	b, err := protocol.EncodeExecCredential(info.APIVersion, value, expiry)
	if err != nil {
		return exit.Fail(err)
	}
	_, err = stdout.Write(b)
	return err
}

// KubeconfigUser prints a kubeconfig users: entry that runs this binary.
func KubeconfigUser(set *Settings, stdout io.Writer, args []string) error {
	name := set.Service
	if name == "" {
		name = set.env("OAUTH2CRED_SERVICE")
	}
	if err := service.ValidName(name); err != nil {
		return err
	}
	for _, a := range args {
		// Any spelling urfave/cli takes: --x, -x, --x=V, -x=V.
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && name == "client-secret" {
			// A kubeconfig is copied, shared and committed: no secret in it.
			return exit.Usagef("setup kubectl does not write --client-secret into a kubeconfig; pass --client-secret-file FILE (or set OAUTH2CRED_CLIENT_SECRET where kubectl runs)")
		}
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "oauth2cred"
	}
	fmt.Fprintf(stdout, `users:
- name: %s
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      interactiveMode: IfAvailable
      command: %s
      args:
`, name, exe)
	for _, a := range append([]string{"kubectl"}, args...) {
		q, _ := json.Marshal(a)
		fmt.Fprintf(stdout, "      - %s\n", q)
	}
	return nil
}

// checkTokenText refuses a token with control characters: printed with
// --format header into `curl -H` it would add a header, and git's
// line protocol would break on a newline.
func checkTokenText(v string) error {
	if flow.HasControl(v) {
		return fmt.Errorf("the server issued a token with control characters or a line break; refusing to hand it out")
	}
	return nil
}
