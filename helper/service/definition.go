package service

import (
	"cmp"
	"os"
	"reflect"
	"slices"
	"strings"

	"oauth2cred/flow"
)

// Definition is one service as written in the config file, a preset, the
// environment or the flags. A zero field is "not set" and lets the layer
// below show through.
type Definition struct {
	Preset           string            `toml:"preset,omitempty"`
	ClientID         string            `toml:"client_id,omitempty"`
	ClientSecret     string            `toml:"client_secret,omitempty"`
	ClientSecretFile string            `toml:"client_secret_file,omitempty"`
	AuthURL          string            `toml:"auth_url,omitempty"`
	TokenURL         string            `toml:"token_url,omitempty"`
	RefreshURL       string            `toml:"refresh_url,omitempty"`
	DeviceURL        string            `toml:"device_url,omitempty"`
	RevokeURL        string            `toml:"revoke_url,omitempty"`
	Issuer           string            `toml:"issuer,omitempty"`
	Scopes           stringList        `toml:"scopes,omitempty"`
	Method           string            `toml:"method,omitempty"`
	AuthParams       map[string]string `toml:"auth_params,omitempty"`
	Flow             string            `toml:"flow,omitempty"`
	Hosts            stringList        `toml:"hosts,omitempty"`
	Username         string            `toml:"username,omitempty"`
	TokenType        string            `toml:"token_type,omitempty"`
	RedirectPort     int               `toml:"redirect_port,omitzero"`
	RedirectURLs     stringList        `toml:"redirect_url,omitempty"`
	ClientKeyFile    string            `toml:"client_key_file,omitempty"`
	ClientKeyID      string            `toml:"client_key_id,omitempty"`

	ClientAssertionFile     string `toml:"client_assertion_file,omitempty"`
	ClientAssertionSource   string `toml:"client_assertion_source,omitempty"`
	ClientAssertionEnv      string `toml:"client_assertion_env,omitempty"`
	ClientAssertionAudience string `toml:"client_assertion_audience,omitempty"`

	SubjectTokenFile   string `toml:"subject_token_file,omitempty"`
	SubjectTokenSource string `toml:"subject_token_source,omitempty"`
	SubjectTokenEnv    string `toml:"subject_token_env,omitempty"`
	SubjectTokenType   string `toml:"subject_token_type,omitempty"`
	Audience           string `toml:"audience,omitempty"`
	Resource           string `toml:"resource,omitempty"`
	RequestedTokenType string `toml:"requested_token_type,omitempty"`

	CAFile        string `toml:"ca_file,omitempty"`
	Insecure      bool   `toml:"insecure,omitempty"`
	Keyring       bool   `toml:"keyring,omitempty"`
	Storage       string `toml:"storage,omitempty"`
	GitBearer     bool   `toml:"git_bearer,omitempty"`
	AllowNoExpiry bool   `toml:"allow_no_expiry,omitempty"`
	ClientAuth    string `toml:"client_auth,omitempty"`
	// Save settles the save question for the service (SPEC §1 save):
	// true saves a new sign-in without asking, false never saves; unset,
	// the person is asked. The flags --save and --no-save win.
	Save *bool `toml:"save,omitempty"`
	// RegistryUsername is the user name handed to container tools (docker
	// credential helper); default: Username.
	RegistryUsername string `toml:"registry_username,omitempty"`

	// Facts of a preset, not settings.
	NoClientCredentials bool   `toml:"-"` // the provider has no such grant
	AppsPage            string `toml:"-"` // where people revoke authorized apps
	LoginHintParam      string `toml:"-"` // how the provider takes a login hint

	// FromRecord: a saved token's record defines the service (--service
	// NAME alone); its token exchange can hand out the cached token, and
	// asks for the subject token only when it must exchange again.
	FromRecord bool `toml:"-"`
}

// Overlay sets every field of d that is set in o; auth_params merge by key.
func (d *Definition) Overlay(o *Definition) {
	dv, ov := reflect.ValueOf(d).Elem(), reflect.ValueOf(o).Elem()
	for i := range ov.NumField() {
		f := ov.Field(i)
		if f.IsZero() || !ov.Type().Field(i).IsExported() {
			continue
		}
		if f.Kind() == reflect.Map {
			m := map[string]string{}
			for k, v := range d.AuthParams {
				m[k] = v
			}
			for k, v := range o.AuthParams {
				m[k] = v
			}
			d.AuthParams = m
			continue
		}
		dv.Field(i).Set(f)
	}
}

// Service is a validated definition with its defaults filled in.
type Service struct {
	Name string
	Definition
}

// ValidName reports whether name can name a service (and so a file).
func ValidName(name string) error {
	if name == "" {
		return Settingf("no service named; pass --service NAME or set OAUTH2CRED_SERVICE")
	}
	if !validName(name) {
		return Settingf("service name %q is not allowed; use 1-64 letters, digits, '.', '_' or '-'", name)
	}
	return nil
}

// Resolve applies presets and defaults and checks the definition.
func Resolve(name string, d Definition) (*Service, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	// Through pointers: a Definition is 700 bytes, and copies of it in
	// these frames made a cached call outgrow its stack (a copy of it).
	s := &Service{Name: name, Definition: d}
	if err := withPreset(&s.Definition); err != nil {
		return nil, err
	}
	if err := forgeIssuer(s); err != nil {
		return nil, err
	}
	s.defaults()
	for _, check := range []func() error{s.checkChoices, s.checkEndpoints, s.checkRedirect, s.checkCI} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	s.Hosts = hosts(s.Definition)
	for _, h := range s.Hosts {
		if h == "" || strings.ContainsAny(h, "/ @?#") {
			return nil, Settingf("--host %q is not a host name (write example.com or example.com:8443)", h)
		}
	}
	return s, nil
}

// withPreset lays d over its preset, if it names one.
func withPreset(d *Definition) error {
	pn := d.Preset
	if pn == "" {
		return nil
	}
	p, ok := preset(pn)
	if !ok {
		return Settingf("unknown preset %q; choose one of %s", pn, strings.Join(PresetNames(), ", "))
	}
	selfHosted(pn, d, &p)
	p.Overlay(d)
	*d = p
	return nil
}

// defaultUsername is what a service hands out as the user name when
// neither it nor its preset names one.
const defaultUsername = "oauth2"

// HandedUsername is the user name the service of d hands out, known before
// the service is resolved: a caller's other user name names an account.
func (d *Definition) HandedUsername() string {
	if d.Username != "" {
		return d.Username
	}
	if p, ok := preset(d.Preset); ok && p.Username != "" {
		return p.Username
	}
	return defaultUsername
}

// defaults fills what the layers left unset.
func (s *Service) defaults() {
	for _, f := range []struct {
		field *string
		value string
	}{
		{&s.Method, "post"}, {&s.Flow, "auto"}, {&s.TokenType, "access_token"}, {&s.Username, defaultUsername}, {&s.Storage, "file"},
	} {
		if *f.field == "" {
			*f.field = f.value
		}
	}
	if s.Storage == "keyring" {
		s.Keyring = true
	}
}

// The words of the settings that take one of a few: static data, so that
// no code runs for them when a process starts.
var (
	methodChoices     = [...]string{"post", "get"}
	flowChoices       = [...]string{"auto", "browser", "device", "client-credentials", "token-exchange"}
	tokenTypeChoices  = [...]string{"access_token", "id_token"}
	storageChoices    = [...]string{"file", "keyring"}
	clientAuthChoices = [...]string{"basic", "post"}
	sourceChoices     = [...]string{"github-actions", "gitlab", "env"}
)

// ChoiceFlags are the flags that take one of a few words (Choices).
var ChoiceFlags = [...]string{"method", "flow", "token-type", "client-auth", "client-assertion-source", "subject-token-source"}

// Choices are the words a setting allows, by flag name (or config key):
// checked here, offered by shell completion; nil for a free value.
func Choices(name string) []string {
	switch name {
	case "method":
		return methodChoices[:]
	case "flow":
		return flowChoices[:]
	case "token-type":
		return tokenTypeChoices[:]
	case "storage":
		return storageChoices[:]
	case "client-auth":
		return clientAuthChoices[:]
	case "client-assertion-source", "subject-token-source":
		return sourceChoices[:]
	}
	return nil
}

// checkChoices checks the settings that take one of a few words, and the
// client id every flow needs.
func (s *Service) checkChoices() error {
	checks := []struct {
		flag, value string
		allowed     []string
	}{
		{"--method", s.Method, Choices("method")},
		{"--flow", s.Flow, Choices("flow")},
		{"--token-type", s.TokenType, Choices("token-type")},
		{"storage", s.Storage, Choices("storage")},
		{"--client-auth", cmp.Or(s.ClientAuth, "basic"), Choices("client-auth")},
		{"--client-assertion-source", cmp.Or(s.ClientAssertionSource, "env"), Choices("client-assertion-source")},
		{"--subject-token-source", cmp.Or(s.SubjectTokenSource, "env"), Choices("subject-token-source")},
	}
	for _, c := range checks {
		if !slices.Contains(c.allowed, c.value) {
			return Settingf("%s %q is not one of %s", c.flag, c.value, strings.Join(c.allowed, ", "))
		}
	}
	for k := range s.AuthParams {
		if k == "" {
			return Settingf("--param needs key=value")
		}
	}
	if s.ClientID == "" {
		return Settingf("no client id for service %q; pass --client-id, set OAUTH2CRED_CLIENT_ID, or add client_id to the config file", s.Name)
	}
	return nil
}

// checkEndpoints checks the URLs given and that the flow has the endpoints
// it needs (discovery fills them from an issuer).
func (s *Service) checkEndpoints() error {
	urls := []struct{ flag, value string }{
		{"--auth-url", s.AuthURL}, {"--token-url", s.TokenURL}, {"--refresh-url", s.RefreshURL},
		{"--device-url", s.DeviceURL}, {"--revoke-url", s.RevokeURL}, {"--issuer", s.Issuer},
	}
	for _, u := range urls {
		if u.value == "" {
			continue
		}
		if err := CheckURL(u.flag, u.value); err != nil {
			return err
		}
	}
	if s.Issuer != "" {
		return nil
	}
	switch {
	case s.TokenURL == "" && !s.Unattended() && s.AuthURL == "" && s.DeviceURL == "":
		return Settingf("service %q has no endpoints; pass --issuer, or --auth-url and --token-url", s.Name)
	case s.TokenURL == "":
		return Settingf("service %q has no token endpoint; pass --token-url or --issuer", s.Name)
	case s.Flow == "browser" && s.AuthURL == "":
		return Settingf("the browser flow needs --auth-url (or --issuer)")
	case s.Flow == "device" && s.DeviceURL == "":
		return Settingf("the device flow needs --device-url (or --issuer)")
	case s.Flow == "auto" && s.AuthURL == "" && s.DeviceURL == "":
		return Settingf("service %q needs --auth-url or --device-url (or --issuer) to log in", s.Name)
	}
	return nil
}

func (s *Service) checkRedirect() error {
	if s.RedirectPort < 0 || s.RedirectPort > 65535 {
		return Settingf("--redirect-port %d is not a port", s.RedirectPort)
	}
	for _, u := range s.RedirectURLs {
		if _, err := flow.ParseRedirectURL(u); err != nil {
			return Settingf("%w", err)
		}
	}
	return nil
}

func (s *Service) checkCI() error {
	if s.FromRecord {
		return nil
	}
	return s.CheckSubject()
}

// checkSubject: a token exchange needs the token to exchange.
func (s *Service) CheckSubject() error {
	if s.Flow == "token-exchange" && s.SubjectTokenFile == "" && s.SubjectTokenSource == "" {
		return Settingf("--flow token-exchange needs the token to exchange: --subject-token-file FILE or --subject-token-source github-actions|gitlab|env")
	}
	return nil
}

// validName is [A-Za-z0-9._-]{1,64} and not "." or "..", by hand: the
// regexp's {1,64} compiled at start-up cost more than the rest of a cached call.
func validName(name string) bool {
	if len(name) == 0 || len(name) > 64 || name == "." || name == ".." {
		return false
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// Authenticates reports whether the client can prove who it is (a secret,
// a key or an assertion), without reading any of them.
func (s *Service) Authenticates() bool {
	return s.ClientSecret != "" || s.ClientSecretFile != "" || s.ClientKeyFile != "" || s.ClientAssertionFile != "" || s.ClientAssertionSource != ""
}

// SecretVars are the variables that carry this service's JWTs: like our
// own secret variables, no browser or opener inherits them.
func (s *Service) SecretVars() []string {
	var out []string
	for _, v := range []string{s.ClientAssertionEnv, s.SubjectTokenEnv} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Unattended reports whether the service's flow never needs a person.
func (s *Service) Unattended() bool {
	return s.Flow == "client-credentials" || s.Flow == "token-exchange"
}

// Secret returns the client secret, reading the secret file only now: the
// cached path never needs it.
func (s *Service) Secret() (string, error) {
	if s.ClientSecret != "" || s.ClientSecretFile == "" {
		return s.ClientSecret, nil
	}
	b, err := os.ReadFile(s.ClientSecretFile)
	if err != nil {
		return "", Settingf("cannot read --client-secret-file: %v", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// SplitList splits repeated flag values that may also be space- or
// comma-separated.
func SplitList(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	}
	return out
}

// ParseParams turns key=value flag values into a map.
func ParseParams(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, Settingf("--param %q is not key=value", v)
		}
		m[k] = val
	}
	return m, nil
}
