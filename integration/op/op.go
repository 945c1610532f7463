// Package op runs the example OpenID Provider of github.com/zitadel/oidc/v3
// on 127.0.0.1 for tests and the demo: a real OAuth 2.0 / OIDC server we did
// not write. A thin storage wrapper shortens access tokens (for expiry tests)
// and fixes the example's device flow; a middleware counts requests.
package op

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"
)

// Test identities of the example provider.
const (
	User        = "test-user"
	Password    = "verysecure"
	NativeID    = "native"    // public client: PKCE, refresh, device
	WebID       = "web"       // confidential client with WebSecret
	WebSecret   = "websecret" //nolint:gosec // test fixture
	ServiceID   = "sid1"      // client-credentials service user of the example
	ServiceKey  = "verysecret"
	RedirectURI = "http://127.0.0.1/"
	// KubeloginID is a native client registered for kubelogin.
	KubeloginID = "kubelogin"
)

// Server is a running provider.
type Server struct {
	Issuer  string
	Storage *Storage
	srv     *http.Server

	mu      sync.Mutex
	counts  map[string]int // "path" or "path grant_type"
	secrets map[string]bool
	issued  map[string]bool // access tokens the token endpoint handed out
	// Requests is every request the provider saw.
	Requests atomic.Int64
	// DeadRefresh, when set, makes the refresh grant answer a dead refresh
	// token as another server does: see deadRefreshAnswers.
	DeadRefresh atomic.Value // string
	// NoRefreshIDToken drops id_token from refresh answers, as OpenID
	// Connect Core §12.2 allows a server to.
	NoRefreshIDToken atomic.Bool
	// NoRefreshExpiresIn drops expires_in from refresh answers, as RFC 6749
	// §5.1 allows (it is only RECOMMENDED): an answer oauth2cred refuses,
	// after the provider has rotated the refresh token all the same.
	NoRefreshExpiresIn atomic.Bool
	hints              []string // login_hint of each authorization request
	assertions         []string // client_assertion of each request
}

// Two more people, whose subject is their user name, for account tests.
const (
	Alice = "alice"
	Bob   = "bob"
)

// withAccounts adds Alice and Bob to the example's users.
type withAccounts struct{ storage.UserStore }

var extraUsers = map[string]*storage.User{
	Alice: {ID: Alice, Username: Alice, Password: Password, FirstName: "Alice", Email: "alice@example.com", EmailVerified: true},
	Bob:   {ID: Bob, Username: Bob, Password: Password, FirstName: "Bob", Email: "bob@example.com", EmailVerified: true},
}

func (u withAccounts) GetUserByID(id string) *storage.User {
	if x, ok := extraUsers[id]; ok {
		return x
	}
	return u.UserStore.GetUserByID(id)
}

func (u withAccounts) GetUserByUsername(name string) *storage.User {
	if x, ok := extraUsers[name]; ok {
		return x
	}
	return u.UserStore.GetUserByUsername(name)
}

// Assertions returns the client assertion of every request so far.
func (s *Server) Assertions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.assertions...)
}

// LoginHints returns the login_hint of every authorization request so far.
func (s *Server) LoginHints() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hints...)
}

// Subject asks the userinfo endpoint whose accessToken is; "" if nobody's.
func (s *Server) Subject(ctx context.Context, accessToken string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Issuer+"/userinfo", nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var info struct {
		Sub string `json:"sub"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil {
		return ""
	}
	return info.Sub
}

// deadRefreshAnswers are real servers' answers to a refresh token that is
// rotated out, expired or unknown, where zitadel answers invalid_grant.
var deadRefreshAnswers = map[string]string{
	// Gitea 1.26, routers/web/auth/oauth2_provider.go: reuse of a rotated token.
	"gitea": `{"error":"unauthorized_client","error_description":"token was already used"}`,
	// Gitea 1.26: a token it cannot parse (another instance's, or garbage).
	"gitea-unparseable": `{"error":"unauthorized_client","error_description":"unable to parse refresh token"}`,
	// Dex, server/refreshhandlers.go: claimed by another login, or expired.
	"dex": `{"error":"invalid_request","error_description":"Refresh token is invalid or has already been claimed by another client."}`,
}

// Start serves a provider on a new 127.0.0.1 port. accessTTL shortens access
// tokens (0 keeps the example's 5 minutes).
func Start(accessTTL time.Duration) (*Server, error) {
	return start(accessTTL, false, nil)
}

func start(accessTTL time.Duration, wrapped bool, ci *CI) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	issuer := fmt.Sprintf("http://127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port)
	users := withAccounts{storage.NewUserStore(issuer)}
	inner := storage.NewStorageWithClients(users, map[string]*storage.Client{
		NativeID: storage.NativeClient(NativeID, RedirectURI),
		WebID:    storage.WebClient(WebID, WebSecret, RedirectURI),
		// Registered as kubelogin's documentation says: its two default
		// redirect URIs, exactly.
		KubeloginID: storage.NativeClient(KubeloginID, "http://localhost:8000", "http://localhost:18000"),
	})
	st := &Storage{Storage: inner, users: users, accessTTL: accessTTL, ci: ci}
	s := &Server{Issuer: issuer, Storage: st, counts: map[string]int{}, secrets: map[string]bool{WebSecret: true, ServiceKey: true, ExactSecret: true}, issued: map[string]bool{}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	router := exampleop.SetupServer(issuer, st, quiet, wrapped)
	s.srv = &http.Server{Handler: s.count(router), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the provider.
func (s *Server) Close() { s.srv.Close() }

// Count returns how many requests hit key: a path ("/oauth/token") or a
// path and grant type ("/oauth/token refresh_token").
func (s *Server) Count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[key]
}

func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		form := r.URL.Query()
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(body))
			if v, err := url.ParseQuery(string(body)); err == nil {
				for k, vs := range v {
					form[k] = vs
				}
			}
		}
		grant := form.Get("grant_type")
		s.mu.Lock()
		if r.URL.Path == "/auth" {
			s.hints = append(s.hints, form.Get("login_hint"))
		}
		if a := form.Get("client_assertion"); a != "" {
			s.assertions = append(s.assertions, a)
		}
		s.counts[r.URL.Path]++
		if grant != "" {
			s.counts[r.URL.Path+" "+grant]++
		}
		s.mu.Unlock()
		if grant == "refresh_token" && r.URL.Path == "/oauth/token" && s.rewritesRefresh() {
			s.rewriteRefresh(w, r, next, form)
			return
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.collect(form, rec)
	})
}

func (s *Server) rewritesRefresh() bool {
	mode, _ := s.DeadRefresh.Load().(string)
	return mode != "" || s.NoRefreshIDToken.Load() || s.NoRefreshExpiresIn.Load()
}

// rewriteRefresh runs the refresh grant on the real OP and changes only
// what the other server would answer differently.
func (s *Server) rewriteRefresh(w http.ResponseWriter, r *http.Request, next http.Handler, form url.Values) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	status := rec.Code
	mode, _ := s.DeadRefresh.Load().(string)
	if status == http.StatusBadRequest && bytes.Contains(body, []byte("invalid_grant")) && deadRefreshAnswers[mode] != "" {
		body = []byte(deadRefreshAnswers[mode])
	}
	if status == http.StatusOK && (s.NoRefreshIDToken.Load() || s.NoRefreshExpiresIn.Load()) {
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			if s.NoRefreshIDToken.Load() {
				delete(m, "id_token")
			}
			if s.NoRefreshExpiresIn.Load() {
				delete(m, "expires_in")
			}
			body, _ = json.Marshal(m)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
	out := &recorder{ResponseWriter: httptest.NewRecorder()}
	out.body.Write(body)
	s.collect(form, out)
}

// RefreshElsewhere uses refreshToken as another machine with the same
// client would: the provider rotates it, and the old one is dead.
func (s *Server) RefreshElsewhere(ctx context.Context, refreshToken string) error {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {NativeID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return expectOK("refresh")(http.DefaultClient.Do(req))
}

// Secrets returns every token, code, verifier and secret the provider saw
// or issued, for tests that prove none of them leaks.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.secrets {
		if len(k) >= 8 {
			out = append(out, k)
		}
	}
	return out
}

func (s *Server) collect(form url.Values, rec *recorder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	add := func(v string) {
		if v != "" {
			s.secrets[v] = true
		}
	}
	for _, k := range []string{"code", "code_verifier", "refresh_token", "client_secret", "device_code", "token", "password", "client_assertion", "subject_token"} {
		add(form.Get(k))
	}
	if loc, err := url.Parse(rec.Header().Get("Location")); err == nil {
		add(loc.Query().Get("code"))
	}
	var body map[string]any
	if json.Unmarshal(rec.body.Bytes(), &body) == nil {
		for _, k := range []string{"access_token", "refresh_token", "id_token", "device_code"} {
			if v, ok := body[k].(string); ok {
				add(v)
			}
		}
		if v, ok := body["access_token"].(string); ok {
			s.issued[v] = true
		}
		if v, ok := body["id_token"].(string); ok {
			s.issued[v] = true
		}
	}
}

// recorder keeps a copy of small response bodies.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.body.Len() < 1<<16 {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Valid reports whether the provider accepts accessToken now, by asking its
// userinfo endpoint as a resource server would.
func (s *Server) Valid(ctx context.Context, accessToken string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Issuer+"/userinfo", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Issued reports whether the token endpoint handed out accessToken (or ID token). The
// example's userinfo endpoint only knows user tokens; client-credentials
// tokens are checked this way.
func (s *Server) Issued(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued[accessToken]
}

// Revoke revokes token at the provider's RFC 7009 endpoint as the native client.
func (s *Server) Revoke(ctx context.Context, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {NativeID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Issuer+"/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return expectOK("revoke")(http.DefaultClient.Do(req))
}

// expectOK returns a check that drains and closes a response and wants 200.
func expectOK(what string) func(*http.Response, error) error {
	return func(resp *http.Response, err error) error {
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", what, resp.StatusCode)
		}
		return nil
	}
}

// Storage wraps the example storage.
type Storage struct {
	*storage.Storage
	users         storage.UserStore
	accessTTL     time.Duration
	ci            *CI
	exactRedirect atomic.Value // string
}

// GetClientByClientID lets the native client use the device grant too (the
// example registers no device client of its own).
func (s *Storage) GetClientByClientID(ctx context.Context, id string) (zop.Client, error) {
	if c, ok := s.ciClient(id); ok {
		return c, nil
	}
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil || id != NativeID {
		return c, err
	}
	return deviceCapable{c}, nil
}

type deviceCapable struct{ zop.Client }

func (c deviceCapable) GrantTypes() []oidc.GrantType {
	return append(c.Client.GrantTypes(), oidc.GrantTypeDeviceCode)
}

// CompleteDeviceAuthorization maps the username the example's device login
// passes to the user id, as the code flow does.
func (s *Storage) CompleteDeviceAuthorization(ctx context.Context, userCode, subject string) error {
	if u := s.users.GetUserByUsername(subject); u != nil {
		subject = u.ID
	}
	return s.Storage.CompleteDeviceAuthorization(ctx, userCode, subject)
}

// CreateAccessToken shortens the lifetime the client is told.
func (s *Storage) CreateAccessToken(ctx context.Context, req zop.TokenRequest) (string, time.Time, error) {
	id, exp, err := s.Storage.CreateAccessToken(ctx, deviceAsAuth(req))
	return id, s.shorten(exp), err
}

// CreateAccessAndRefreshTokens shortens the lifetime and keeps the client id
// on device-flow tokens (the example drops it, breaking refresh and revoke).
func (s *Storage) CreateAccessAndRefreshTokens(ctx context.Context, req zop.TokenRequest, current string) (string, string, time.Time, error) {
	id, rt, exp, err := s.Storage.CreateAccessAndRefreshTokens(ctx, deviceAsAuth(req), current)
	return id, rt, s.shorten(exp), err
}

func (s *Storage) shorten(exp time.Time) time.Time {
	if s.accessTTL > 0 && !exp.IsZero() {
		return time.Now().Add(s.accessTTL)
	}
	return exp
}

func deviceAsAuth(req zop.TokenRequest) zop.TokenRequest {
	d, ok := req.(*zop.DeviceAuthorizationState)
	if !ok {
		return req
	}
	return &storage.AuthRequest{
		ApplicationID: d.ClientID,
		UserID:        d.Subject,
		Scopes:        d.Scopes,
		ResponseType:  oidc.ResponseTypeCode,
	}
}

// ApproveDevice approves (or denies) a device code over HTTP as the user
// would: log in at /device/login, then confirm.
func (s *Server) ApproveDevice(ctx context.Context, userCode string, allow bool) error {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	form := url.Values{"user_code": {userCode}, "username": {User + "@127.0.0.1"}, "password": {Password}}
	if err := expectOK("device login")(client.PostForm(s.Issuer+"/device/login", form)); err != nil {
		return err
	}
	action := "denied"
	if allow {
		action = "allowed"
	}
	return expectOK("device confirm")(client.Get(s.Issuer + "/device/confirm?action=" + action))
}
