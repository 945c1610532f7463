package helper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/gitconf"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// Doctor checks what makes oauth2cred fail for people, one line each:
// ✓ and what was found, or ✗ and the fix. It never prints a secret. It
// fails (exit 1) when any check fails.
func Doctor(ctx context.Context, set *lifecycle.Settings, stdout io.Writer) error {
	d := &doctor{out: set.Redact.Writer(stdout)}
	path, _ := set.ConfigFile()
	_, statErr := os.Stat(path)
	switch _, err := set.Config(); {
	case err != nil:
		d.fail("config file", "%v", err)
	case statErr != nil:
		d.ok("config file", "%s does not exist (services come from flags, the environment and saved tokens)", path)
	default:
		d.ok("config file", "%s parses", path)
	}
	name := set.ServiceName()
	if name != "" {
		d.service(ctx, set)
		return d.result()
	}
	// No service named: every service of the config file, and every one
	// git's own configuration defines.
	d.storeDir(set.Store())
	if cfg, err := set.Config(); err == nil {
		for _, n := range cfg.Names() {
			d.service(ctx, set.For(n, nil))
		}
	}
	for _, g := range gitDefined() {
		d.service(ctx, set.For(g.name, &g.def))
	}
	return d.result()
}

// service checks one service: what defines it and where each field came
// from, its files, keyring, git's helpers, server and redirect URI.
func (d *doctor) service(ctx context.Context, set *lifecycle.Settings) {
	s, err := lifecycle.Open(set, lifecycle.Use{})
	if err != nil {
		d.fail("service", "%v", err)
		return
	}
	defer s.Close()
	d.ok("service", "%q: client id %s, %s", s.Service().Name, s.Service().ClientID, s.ProviderURL())
	d.ok("sources", "%q: %s", s.Service().Name, service.Sources(s.Layers()))
	d.storeDir(s.Store())
	d.tokenFile(s)
	d.keyring(s)
	for _, url := range gitURLs(s) {
		d.gitHelpers(s, url)
	}
	d.server(ctx, s)
	d.redirect(s)
}

// gitService is a service git's own configuration defines.
type gitService struct {
	name string
	def  service.Definition
}

// gitDefined finds the services git's configuration defines: every URL
// with a credential.<url>.oauthClientId.
func gitDefined() []gitService {
	out, err := gitconf.Run("-z", "--get-regexp", `^credential\..*\.oauthclientid$`)
	if err != nil || out == "" {
		return nil
	}
	var found []gitService
	for _, entry := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		key, _, _ := strings.Cut(entry, "\n")
		raw := strings.TrimSuffix(strings.TrimPrefix(key, "credential."), ".oauthclientid")
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			continue
		}
		vals, err := gitconf.URLMatch("credential", raw)
		if err != nil {
			continue
		}
		if name, def, ok := service.FromGitConfig(u.Scheme, u.Host, strings.TrimPrefix(u.Path, "/"), vals, ""); ok {
			found = append(found, gitService{name, def})
		}
	}
	return found
}

type doctor struct {
	out     io.Writer
	failed  int
	printed map[string]bool
}

func (d *doctor) ok(check, format string, a ...any) {
	d.line(fmt.Sprintf("✓ %s: %s\n", check, fmt.Sprintf(format, a...)))
}

func (d *doctor) fail(check, format string, a ...any) {
	if d.line(fmt.Sprintf("✗ %s: %s\n", check, fmt.Sprintf(format, a...))) {
		d.failed++
	}
}

// line prints a check's line once (the token directory is checked for
// the call and for each service), and reports whether it was new.
func (d *doctor) line(l string) bool {
	if d.printed == nil {
		d.printed = map[string]bool{}
	}
	if d.printed[l] {
		return false
	}
	d.printed[l] = true
	fmt.Fprint(d.out, l)
	return true
}

func (d *doctor) result() error {
	if d.failed > 0 {
		return fmt.Errorf("doctor found %d problem(s); each ✗ line says how to fix it", d.failed)
	}
	return nil
}

func (d *doctor) storeDir(dir persist.Dir) {
	if err := dir.Check(); err != nil {
		d.fail("token directory", "%v", err)
		return
	}
	if _, err := os.Stat(dir.Path); err != nil {
		d.ok("token directory", "%s does not exist yet; the first save makes it, closed to others", dir.Path)
		return
	}
	d.ok("token directory", "%s is yours and closed to others", dir.Path)
}

func (d *doctor) tokenFile(s *lifecycle.Session) {
	t, err := s.Store().Load(s.Key())
	switch {
	case errors.Is(err, persist.ErrNotFound):
		d.ok("token file", "none saved yet for %s; '%s' signs in", s.Label(), s.LoginCommand())
	case err != nil:
		d.fail("token file", "%v", err)
	case s.Mismatch(t) != "":
		d.fail("token file", "%s was saved for other settings (another %s); run '%s'", s.Location(), s.Mismatch(t), s.LoginCommand())
	default:
		d.ok("token file", "%s is 0600, yours, and belongs to this configuration", s.Location())
	}
}

func (d *doctor) keyring(s *lifecycle.Session) {
	if s.Keyring() == nil {
		d.ok("keyring", "not used (pass --keyring to mirror tokens there)")
		return
	}
	_, err := s.Keyring().Load("oauth2cred-doctor-probe")
	if err != nil && !errors.Is(err, persist.ErrNotFound) {
		d.fail("keyring", "%s", lifecycle.KeyringProblem(err))
		return
	}
	d.ok("keyring", "the OS keyring answers")
}

// gitHelpers checks that git asks oauth2cred first for url.
func (d *doctor) gitHelpers(s *lifecycle.Session, url string) {
	helpers, err := gitconf.Helpers(url)
	if err != nil {
		d.fail("git helpers", "%v", err)
		return
	}
	name := s.Service().Name
	fix := fmt.Sprintf("run 'oauth2cred setup git --service %s'", name)
	if len(helpers) == 0 {
		d.fail("git helpers", "git asks no helper for %s; %s", url, fix)
		return
	}
	switch kind, svc := helperLineKind(helpers[0]); {
	case kind == oursForOne && svc == name:
		d.ok("git helpers", "git asks oauth2cred first for %s", url)
	case kind == oursForAll:
		d.ok("git helpers", "git asks oauth2cred (its line for every host) first for %s", url)
	case kind == oursForOne:
		d.fail("git helpers", "oauth2cred --service %s answers for %s before this service; remove one of the two lines (oauth2cred unsetup git --service %s)", svc, url, svc)
	case kind == storageHelper:
		d.fail("git helpers", "%s, a storage helper, answers for %s before oauth2cred and would hand back expired tokens; %s, which puts an empty helper line before oauth2cred's so that only oauth2cred is asked", helperName(helpers[0]), url, fix)
	default:
		d.fail("git helpers", "%s answers for %s before oauth2cred; %s", helperName(helpers[0]), url, fix)
	}
}

// helperName names another helper without its arguments, which may hold
// anything (a shell helper's "!f() { echo password=…; }; f"): the
// helper's program, or "a shell-command helper".
func helperName(helper string) string {
	if strings.HasPrefix(strings.TrimSpace(helper), "!") {
		return "a shell-command helper (!…)"
	}
	fields := strings.Fields(helper)
	if len(fields) == 0 {
		return "an empty helper"
	}
	return fmt.Sprintf("%q", fields[0])
}

// server checks that discovery (or the token endpoint) answers through the
// proxy and CA in use, and that the clocks agree.
func (d *doctor) server(ctx context.Context, s *lifecycle.Session) {
	cfg, err := s.FlowConfig(ctx)
	if err != nil {
		d.fail("server", "%v", err)
		return
	}
	d.ok("server", "endpoints known: token %s", describeURL(cfg.Endpoints.TokenURL))
	target := s.ProviderURL()
	if s.Service().Issuer != "" {
		target = strings.TrimSuffix(s.Service().Issuer, "/") + "/.well-known/openid-configuration"
	}
	rctx, cancel := context.WithTimeout(ctx, s.RequestTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		d.fail("clock", "cannot ask %s: %v", describeURL(target), err)
		return
	}
	resp, err := cfg.Client.Do(req)
	if err != nil {
		d.fail("clock", "cannot reach %s to compare clocks", describeURL(target))
		return
	}
	resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		d.ok("clock", "the server sends no Date to compare with")
		return
	}
	skew := time.Since(date).Round(time.Second)
	if skew > time.Minute || skew < -time.Minute {
		d.fail("clock", "this machine's clock is %v off the server's; tokens will look expired or not yet valid; set the clock right (timedatectl set-ntp true)", skew)
		return
	}
	d.ok("clock", "within %v of the server's", skew.Abs())
}

func (d *doctor) redirect(s *lifecycle.Session) {
	switch {
	case len(s.Service().RedirectURLs) > 0:
		d.ok("redirect", "register exactly %s at the provider", strings.Join(s.Service().RedirectURLs, " and "))
	case s.Service().RedirectPort != 0:
		d.ok("redirect", "register http://127.0.0.1:%d/ at the provider", s.Service().RedirectPort)
	default:
		d.ok("redirect", "register http://127.0.0.1/ (any port, RFC 8252) for a native client; a provider that wants an exact URI gets --redirect-url http://localhost:PORT/PATH")
	}
}

func describeURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return flow.Sanitize(u)
}
