package helper

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/protocol"
)

// Formats of the token command.
var TokenFormats = []string{"token", "header", "json", "env"}

// Token prints a valid token in format: the seed library's accessToken().
func Token(ctx context.Context, set *lifecycle.Settings, format string, stdout io.Writer) error {
	if !slices.Contains(TokenFormats, format) {
		return Usagef("--format %q is not one of %s; see 'oauth2cred token --help'", format, strings.Join(TokenFormats, ", "))
	}
	s, err := lifecycle.Open(set, lifecycle.Use{})
	if err != nil {
		return err
	}
	defer s.Close()
	t, value, expiry, err := s.HandOut(ctx)
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
		}{AccessToken: t.AccessToken, TokenType: "Bearer", IDToken: s.IDTokenToShow(t), Scope: t.Scope}
		if !expiry.IsZero() {
			e := expiry.UTC()
			j.Expiry, j.ExpiresIn = &e, int64(expiry.Sub(set.Now()).Seconds())
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

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Login runs the flow now and tells where the token went.
func Login(ctx context.Context, set *lifecycle.Settings) error {
	s, err := lifecycle.Open(set, lifecycle.Use{Login: true})
	if err != nil {
		return err
	}
	defer s.Close()
	t, err := s.Login(ctx)
	if err != nil {
		return err
	}
	who := "an identity the server did not name"
	switch {
	case t.Grant == "client_credentials":
		who = "the client " + flow.Sanitize(t.ClientID)
	case t.Identity != "":
		who = fmt.Sprintf("%q", flow.Sanitize(t.Identity))
	}
	fmt.Fprintf(set.Stderr, "oauth2cred: signed in to %s as %s\n", s.Label(), who)
	return nil
}

// Logout revokes and deletes the saved token.
func Logout(ctx context.Context, set *lifecycle.Settings) error {
	s, err := lifecycle.Open(set, lifecycle.Use{})
	if err != nil {
		return err
	}
	defer s.Close()
	if !set.AllAccounts {
		return s.Logout(ctx)
	}
	accounts, err := s.Accounts()
	if err != nil {
		return err
	}
	var failed error
	for _, a := range accounts {
		if err := logoutAccount(ctx, set.ForAccount(a)); err != nil {
			s.Warn("%v", err)
			failed = err
		}
	}
	return failed
}

// logoutAccount logs one account of the service out, in a session of its
// own.
func logoutAccount(ctx context.Context, set *lifecycle.Settings) error {
	s, err := lifecycle.Open(set, lifecycle.Use{})
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Logout(ctx)
}

// Git answers one git credential-helper operation (gitcredentials(7)).
func Git(ctx context.Context, set *lifecycle.Settings, op string, stdin io.Reader, stdout io.Writer) error {
	switch op {
	case "get", "store", "erase":
	case "":
		return Usagef("git needs an operation: get, store or erase; see 'oauth2cred git --help'")
	default:
		return Usagef("unknown git operation %q; git calls get, store or erase; see 'oauth2cred git --help'", op)
	}
	req, err := protocol.ReadCredential(stdin)
	if err != nil {
		return Usagef("%w", err)
	}
	if op == "store" {
		return nil // the token lives in our store; git's copy adds nothing
	}
	if allHosts(set) {
		// One helper line for every host: the service of this host, if any.
		name, fromGit, err := routeGit(set, req)
		if err != nil || name == "" {
			return err // none: silence, and git asks the next helper
		}
		set = set.For(name, fromGit)
	}
	// GIT_TERMINAL_PROMPT=0 (a GUI client's git) forbids terminal prompts
	// only: on a desktop the browser sign-in, and its save question in the
	// page, still happen (SPEC §3).
	// https://alice@host/… or credential.username: that account's token.
	s, err := lifecycle.Open(set, lifecycle.Use{Git: true, NoTerminal: set.Env("GIT_TERMINAL_PROMPT") == "0", Username: req.Get("username")})
	if err != nil {
		return err
	}
	defer s.Close()
	if !s.Service().ServesHost(req.Get("protocol"), req.Get("host")) {
		return nil // silence: git asks the next helper
	}
	if op == "erase" {
		// git >= 2.46 with authtype sends the token as credential=, not password=.
		value := req.Get("password")
		if value == "" {
			value = req.Get("credential")
		}
		return s.Drop(ctx, value)
	}
	_, value, expiry, err := s.HandOut(ctx)
	if err != nil {
		return err
	}
	return protocol.WriteCredential(stdout, gitAnswer(s, req, value, expiry))
}

// gitAnswer is git's credential: with git >= 2.46's authtype capability
// and --git-bearer, a Bearer credential; else a user name (the account's,
// which keeps git on it for this URL) and the token as password.
func gitAnswer(s *lifecycle.Session, req protocol.Credential, value string, expiry time.Time) protocol.Credential {
	var ans protocol.Credential
	if s.Service().GitBearer && req.Has("capability[]", "authtype") {
		ans = protocol.Credential{{Key: "capability[]", Value: "authtype"}, {Key: "authtype", Value: "Bearer"}, {Key: "credential", Value: value}}
	} else {
		username := s.Service().Username
		if s.Account() != "" {
			username = s.Account()
		}
		ans = protocol.Credential{{Key: "username", Value: username}, {Key: "password", Value: value}}
	}
	if !expiry.IsZero() {
		ans = append(ans, protocol.Attr{Key: "password_expiry_utc", Value: strconv.FormatInt(expiry.Unix(), 10)})
	}
	// Never oauth_refresh_token: oauth2cred keeps its own, and git >= 2.41
	// passes that key to every other helper's store (credential-store
	// writes it to ~/.git-credentials in plain text).
	return ans
}

// Kubectl answers client-go's exec credential plugin call.
func Kubectl(ctx context.Context, set *lifecycle.Settings, execInfo string, stdout io.Writer) error {
	info, err := protocol.ParseExecInfo(execInfo)
	if err != nil {
		return Usagef("%w", err)
	}
	// kubectl says whether anybody is at a terminal: if not, look for none.
	nobody := execInfo != "" && !info.Spec.Interactive
	s, err := lifecycle.Open(set, lifecycle.Use{NoPerson: nobody, NoTerminal: nobody})
	if err != nil {
		return err
	}
	defer s.Close()
	_, value, expiry, err := s.HandOut(ctx)
	if err != nil {
		return err
	}
	b, err := protocol.EncodeExecCredential(info.APIVersion, value, expiry)
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

// KubeconfigUser prints a kubeconfig users: entry that runs this binary.
func KubeconfigUser(set *lifecycle.Settings, stdout io.Writer, args []string) error {
	name := set.ServiceName()
	if err := service.ValidName(name); err != nil {
		return err
	}
	for _, a := range args {
		// Any spelling urfave/cli takes: --x, -x, --x=V, -x=V.
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && name == "client-secret" {
			// A kubeconfig is copied, shared and committed: no secret in it.
			return Usagef("setup kubectl does not write --client-secret into a kubeconfig; pass --client-secret-file FILE (or set OAUTH2CRED_CLIENT_SECRET where kubectl runs)")
		}
	}
	exe := program()
	fmt.Fprintf(stdout, `users:
- name: %s
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      interactiveMode: IfAvailable
      command: %s
      args:
`, name, exe)
	for _, a := range append([]string{"kubectl"}, writtenArgs(args)...) {
		q, _ := json.Marshal(a)
		fmt.Fprintf(stdout, "      - %s\n", q)
	}
	return nil
}
