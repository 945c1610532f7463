package integration

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"oauth2cred/integration/gitserver"
	"oauth2cred/integration/op"
)

// githubOIDC stands in for GitHub Actions' ID-token endpoint as GitHub
// documents it: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with
// "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" answers
// {"count":…,"value":"<JWT>"}, a JWT of issuer
// https://token.actions.githubusercontent.com (here the stand-in's URL)
// with sub "repo:OWNER/REPO:ref:refs/heads/BRANCH" and the audience asked.
type githubOIDC struct {
	*httptest.Server
	key       *rsa.PrivateKey
	reqToken  string
	mu        sync.Mutex
	audiences []string
	issued    func(string) // for the secret scan
}

func newGitHubOIDC(t *testing.T) *githubOIDC {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	g := &githubOIDC{key: key, reqToken: "ghs-request-token-0123456789", issued: func(string) {}}
	g.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+g.reqToken || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(rw, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		g.mu.Lock()
		g.audiences = append(g.audiences, aud)
		g.mu.Unlock()
		tok := g.sign(t, aud, time.Now().Add(5*time.Minute))
		g.issued(tok)
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(map[string]any{"count": len(tok), "value": tok})
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *githubOIDC) sign(t *testing.T, aud string, exp time.Time) string {
	t.Helper()
	return signJWT(t, g.key, "", jwt.Claims{Issuer: g.URL, Subject: "repo:octo-org/app:ref:refs/heads/main", Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(time.Now()), Expiry: jwt.NewNumericDate(exp), ID: randomID()})
}

func signJWT(t *testing.T, key *rsa.PrivateKey, kid string, claims jwt.Claims) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func randomID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ciWorld is a provider set up for federated CI: it trusts the GitHub
// stand-in's tokens and knows the CI client's public key.
type ciWorld struct {
	*world
	github    *githubOIDC
	clientKey *rsa.PrivateKey
	keyFile   string
	env       []string
}

func newCIWorld(t *testing.T) *ciWorld {
	t.Helper()
	clientKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	// The GitHub stand-in must exist before the provider that trusts it.
	gh := newGitHubOIDC(t)
	srv, err := op.StartCI(0, op.CI{ClientKey: &clientKey.PublicKey, SubjectKey: &gh.key.PublicKey, SubjectIssuer: gh.URL})
	if err != nil {
		t.Fatal(err)
	}
	w := worldOn(t, srv)
	w.addSecret(gh.reqToken)
	gh.issued = w.addSecret
	der, _ := x509.MarshalPKCS8PrivateKey(clientKey)
	keyFile := filepath.Join(w.home, "ci-key.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	return &ciWorld{world: w, github: gh, clientKey: clientKey, keyFile: keyFile, env: []string{
		"CI=true", "BROWSER=", "DISPLAY=",
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + gh.URL + "/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + gh.reqToken,
	}}
}

// exchangeArgs: the public CI client exchanges the job's GitHub token.
func (c *ciWorld) exchangeArgs(service string, extra ...string) []string {
	return append([]string{"--service", service, "--issuer", c.op.Issuer, "--client-id", op.PublicCIClient, "--scope", "openid",
		"--flow", "token-exchange", "--subject-token-source", "github-actions", "--save"}, extra...)
}

// GitHub Actions' token, exchanged at the provider (RFC 8693), for
// token, real git and real kubectl (interactiveMode Never), with CI=true and
// no client secret anywhere; cached, and re-exchanged when it ages.
func TestKeylessTokenExchange(t *testing.T) {
	c := newCIWorld(t)
	r := c.runWith(cmdOpts{env: c.env}, append([]string{"token"}, c.exchangeArgs("ci")...)...)
	if r.code != 0 || !c.op.Valid(t.Context(), strings.TrimSpace(r.stdout)) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	exchanges := c.op.Count("/oauth/token urn:ietf:params:oauth:grant-type:token-exchange")
	if exchanges != 1 || len(c.github.audiences) != 1 || c.github.audiences[0] != c.op.Issuer {
		t.Fatalf("exchanges %d, GitHub audiences %q", exchanges, c.github.audiences)
	}
	if r := c.runWith(cmdOpts{env: c.env}, append([]string{"token"}, c.exchangeArgs("ci")...)...); r.code != 0 || c.op.Count("/oauth/token urn:ietf:params:oauth:grant-type:token-exchange") != 1 {
		t.Fatalf("the exchanged token was not cached: exit %d\n%s", r.code, r.stderr)
	}
	c.age("ci")
	if r := c.runWith(cmdOpts{env: c.env}, append([]string{"token"}, c.exchangeArgs("ci")...)...); r.code != 0 || c.op.Count("/oauth/token urn:ietf:params:oauth:grant-type:token-exchange")+c.op.Count("/oauth/token refresh_token") != 2 {
		t.Fatalf("an aged token was not renewed once: exit %d\n%s", r.code, r.stderr)
	}

	// Real git, as a CI job pushing to a forge.
	srv, err := gitserver.Start(t.TempDir(), func(token string) bool { return c.op.Valid(context.Background(), token) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.NewRepo("repo")
	helper := "!oauth2cred git " + strings.Join(c.exchangeArgs("ci-git", "--host", srv.Host()), " ")
	g := c.exec(cmdOpts{env: append(c.env, "GIT_TERMINAL_PROMPT=0")}, "git", "-c", "credential.helper=", "-c", "credential.helper="+helper, "clone", "-q", srv.URL+"/repo.git", filepath.Join(c.home, "clone"))
	if g.code != 0 {
		t.Fatalf("git clone in CI: %s", g.stderr)
	}

	// Real kubectl, interactiveMode Never.
	api := newAPIStub(t, c.home, func(tok string) bool { return c.op.Valid(context.Background(), tok) })
	k := c.kubectlEnv(t, c.kubeconfig(api, "client.authentication.k8s.io/v1", "Never", c.exchangeArgs("ci-kube")...), c.env)
	if k.code != 0 || api.seen.Load() == 0 {
		t.Fatalf("kubectl in CI: exit %d\n%s", k.code, k.stderr)
	}
	// No client secret was ever given, so none can be on disk; the token
	// files say the client is public.
	for _, svc := range []string{"ci", "ci-git", "ci-kube"} {
		if tok := c.token(svc); tok.Confidential {
			t.Fatalf("%s recorded a confidential client", svc)
		}
	}
}

// private_key_jwt with a key generated here: each request
// carries a fresh assertion, iss = sub = the client, aud = the token
// endpoint (and the issuer, which zitadel requires), exp within 5 minutes.
func TestPrivateKeyJWT(t *testing.T) {
	c := newCIWorld(t)
	subject := filepath.Join(c.home, "subject.jwt")
	os.WriteFile(subject, []byte(c.github.sign(t, c.op.Issuer, time.Now().Add(10*time.Minute))), 0o600)
	args := []string{"--service", "pk", "--issuer", c.op.Issuer, "--client-id", op.KeyClientID, "--client-key-file", c.keyFile,
		"--client-key-id", op.KeyClientKeyID, "--flow", "token-exchange", "--subject-token-file", subject, "--scope", "openid"}
	for range 2 {
		if r := c.runWith(cmdOpts{env: c.env}, append([]string{"token"}, args...)...); r.code != 0 || !c.op.Valid(t.Context(), strings.TrimSpace(r.stdout)) {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	}
	seen := c.op.Assertions()
	if len(seen) != 2 || seen[0] == seen[1] {
		t.Fatalf("assertions: %d, distinct %v", len(seen), len(seen) == 2 && seen[0] != seen[1])
	}
	for _, a := range seen {
		tok, err := jwt.ParseSigned(a, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		var cl jwt.Claims
		if err := tok.Claims(&c.clientKey.PublicKey, &cl); err != nil {
			t.Fatal(err)
		}
		life := cl.Expiry.Time().Sub(cl.IssuedAt.Time())
		if cl.Issuer != op.KeyClientID || cl.Subject != op.KeyClientID || !cl.Audience.Contains(c.op.Issuer+"/oauth/token") || cl.ID == "" || life > 5*time.Minute || life <= 0 {
			t.Fatalf("assertion claims %+v (lifetime %v)", cl, life)
		}
	}
}

// an assertion file that rotates (a projected service-account
// token) is read anew for every request.
func TestRotatingAssertionFile(t *testing.T) {
	c := newCIWorld(t)
	file := filepath.Join(c.home, "assertion.jwt")
	subject := filepath.Join(c.home, "subject.jwt")
	os.WriteFile(subject, []byte(c.github.sign(t, c.op.Issuer, time.Now().Add(10*time.Minute))), 0o600)
	args := []string{"--service", "rot", "--issuer", c.op.Issuer, "--client-id", op.KeyClientID, "--client-assertion-file", file,
		"--flow", "token-exchange", "--subject-token-file", subject, "--scope", "openid", "--no-save"}
	var written []string
	for range 3 {
		a := signJWT(t, c.clientKey, op.KeyClientKeyID, jwt.Claims{Issuer: op.KeyClientID, Subject: op.KeyClientID,
			Audience: jwt.Audience{c.op.Issuer}, IssuedAt: jwt.NewNumericDate(time.Now()), Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour)), ID: randomID()})
		c.addSecret(a)
		os.WriteFile(file, []byte(a+"\n"), 0o600)
		written = append(written, a)
		if r := c.runWith(cmdOpts{env: c.env}, append([]string{"token"}, args...)...); r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	}
	if got := c.op.Assertions(); strings.Join(got, ",") != strings.Join(written, ",") {
		t.Fatalf("the provider saw %d assertions, not the 3 written in turn", len(got))
	}
}

// a missing or expired credential is one clear line naming the
// variable or file (exit 3: nothing a person can do here); a refusal by
// the server is exit 1. None of them is printed.
func TestKeylessErrors(t *testing.T) {
	c := newCIWorld(t)
	expired := filepath.Join(c.home, "expired.jwt")
	os.WriteFile(expired, []byte(c.github.sign(t, c.op.Issuer, time.Now().Add(-time.Minute))), 0o600)
	untrustedKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged := filepath.Join(c.home, "forged.jwt")
	forgedTok := signJWT(t, untrustedKey, "", jwt.Claims{Issuer: c.github.URL, Subject: "repo:evil/x", Audience: jwt.Audience{c.op.Issuer}, Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))})
	c.addSecret(forgedTok)
	os.WriteFile(forged, []byte(forgedTok), 0o600)
	der, _ := x509.MarshalPKCS8PrivateKey(untrustedKey)
	wrongKey := filepath.Join(c.home, "wrong.pem")
	os.WriteFile(wrongKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	good := filepath.Join(c.home, "good.jwt")
	os.WriteFile(good, []byte(c.github.sign(t, c.op.Issuer, time.Now().Add(10*time.Minute))), 0o600)
	base := []string{"token", "--service", "e", "--issuer", c.op.Issuer, "--client-id", op.PublicCIClient, "--flow", "token-exchange"}
	for _, tc := range []struct {
		env  []string
		args []string
		code int
		want string
	}{
		{[]string{"CI=true", "ACTIONS_ID_TOKEN_REQUEST_URL=", "ACTIONS_ID_TOKEN_REQUEST_TOKEN="}, []string{"--subject-token-source", "github-actions"}, 3, "$ACTIONS_ID_TOKEN_REQUEST_URL and $ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set; give the workflow job 'permissions: id-token: write'"},
		{[]string{"CI=true"}, []string{"--subject-token-file", filepath.Join(c.home, "nothing.jwt")}, 3, "cannot read the subject token file " + filepath.Join(c.home, "nothing.jwt")},
		{[]string{"CI=true"}, []string{"--subject-token-file", expired}, 3, "the subject token from " + expired + " expired at"},
		{[]string{"CI=true", "CI_JOB_JWT_V2="}, []string{"--subject-token-source", "gitlab", "--subject-token-env", "CI_JOB_JWT_V2"}, 3, "$CI_JOB_JWT_V2 is empty or unset"},
		{[]string{"CI=true"}, []string{"--subject-token-file", forged}, 1, "token endpoint " + c.op.Issuer + "/oauth/token answered 400 Bad Request"},
		{[]string{"CI=true"}, []string{"--subject-token-file", forged, "--client-id", op.KeyClientID, "--client-assertion-file", filepath.Join(c.home, "none")}, 3, "cannot read the client assertion file"},
		// The provider checks assertions: one signed with an unregistered key is refused.
		{[]string{"CI=true"}, []string{"--subject-token-file", good, "--client-id", op.KeyClientID, "--client-key-file", wrongKey, "--client-key-id", op.KeyClientKeyID}, 1, "invalid signature (go-jose/go-jose: error in cryptographic primitive)); the server refused the token to exchange or the client's assertion"},
	} {
		r := c.runWith(cmdOpts{env: append(append([]string{}, c.env...), tc.env...)}, append(base, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("%v: exit %d, want %d and %q\n%s", tc.args, r.code, tc.code, tc.want, r.stderr)
		}
	}
}

// the README's GitHub Actions and GitLab CI snippets, their shell
// lines run as the CI job would, against the provider and the GitHub
// stand-in (which also plays GitLab's ID-token issuer here).
func TestReadmeCISnippets(t *testing.T) {
	snippets := map[string][]string{}
	for _, b := range readmeBlocks(t) {
		text := strings.Join(b.lines, "\n")
		switch {
		case b.lang == "yaml" && strings.Contains(text, "id-token: write"):
			snippets["github"] = yamlShellLines(b.lines, "run: |")
		case b.lang == "yaml" && strings.Contains(text, "id_tokens:"):
			snippets["gitlab"] = yamlShellLines(b.lines, "script:")
		}
	}
	for _, name := range []string{"github", "gitlab"} {
		lines := snippets[name]
		if len(lines) < 2 {
			t.Fatalf("README has no %s snippet with shell lines: %q", name, lines)
		}
		t.Run(name, func(t *testing.T) {
			c := newCIWorld(t)
			gitlabToken := c.github.sign(t, "https://login.example.com", time.Now().Add(5*time.Minute))
			c.addSecret(gitlabToken)
			env := append(append([]string{}, c.env...), "OAUTH2CRED_ID_TOKEN="+gitlabToken, "GIT_TERMINAL_PROMPT=0")
			var last result
			for _, line := range lines {
				line = strings.ReplaceAll(line, "https://login.example.com", c.op.Issuer)
				last = c.bash(t, env, line)
				if last.code != 0 {
					t.Fatalf("%s\nexit %d: %s", line, last.code, last.stderr)
				}
			}
			if !strings.HasPrefix(last.stdout, "Authorization: Bearer ") {
				t.Fatalf("the snippet's last line printed %q", last.stdout)
			}
			// The git helper the snippet configured answers for its host.
			r := c.bash(t, env, `printf 'protocol=https\nhost=git.example.com\n\n' | git credential fill`)
			if r.code != 0 || !strings.Contains(r.stdout, "password=") {
				t.Fatalf("git credential fill: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// yamlShellLines returns the shell lines of a CI snippet: the block under
// GitHub's "run: |", or the "- " items under GitLab's "script:".
func yamlShellLines(lines []string, key string) []string {
	var out []string
	indent := -1
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, key) || strings.HasPrefix(trimmed, "- "+key) {
			indent = len(l) - len(strings.TrimLeft(l, " "))
			continue
		}
		if indent < 0 || trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if len(l)-len(strings.TrimLeft(l, " ")) <= indent {
			indent = -1
			continue
		}
		out = append(out, strings.TrimPrefix(trimmed, "- "))
	}
	return out
}

// private_key_jwt for every grant we send. With zitadel's OP:
// a browser sign-in (authorization code) and a refresh, each authenticated
// by a fresh assertion, no secret anywhere.
func TestPrivateKeyJWTSignInAndRefresh(t *testing.T) {
	c := newCIWorld(t)
	svc := []string{"--service", "pkb", "--issuer", c.op.Issuer, "--client-id", op.KeyClientID, "--client-key-file", c.keyFile,
		"--client-key-id", op.KeyClientKeyID, "--scope", "openid offline_access", "--flow", "browser"}
	env := []string{"BROWSER=" + bin.browser}
	if r := c.runWith(cmdOpts{env: env}, append([]string{"login", "--save"}, svc...)...); r.code != 0 {
		t.Fatalf("sign-in: %s", r.stderr)
	}
	c.age("pkb")
	r := c.runWith(cmdOpts{env: env}, append([]string{"token"}, svc...)...)
	if r.code != 0 || !c.op.Valid(t.Context(), strings.TrimSpace(r.stdout)) || c.op.Count("/oauth/token refresh_token") != 1 {
		t.Fatalf("refresh: exit %d\n%s", r.code, r.stderr)
	}
	if n := len(c.op.Assertions()); n != 2 {
		t.Fatalf("%d assertions for a code exchange and a refresh, want 2", n)
	}
}

// keycloakClientCredentials stands in for Keycloak's token endpoint with a
// client set to "Signed JWT" authentication, for the client-credentials
// grant (zitadel's example OP does not check assertions on that grant):
// as Keycloak documents it, the assertion must be signed by the registered
// key, iss = sub = the client id, aud the token endpoint or the realm URL,
// not expired, and its jti used once only.
func keycloakClientCredentials(t *testing.T, clientID string, key *rsa.PublicKey) *httptest.Server {
	var mu sync.Mutex
	seen := map[string]bool{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		refuse := func(why string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": why})
		}
		if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			refuse("Client authentication with signed JWT failed: no assertion")
			return
		}
		tok, err := jwt.ParseSigned(r.Form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
		var cl jwt.Claims
		if err != nil || tok.Claims(key, &cl) != nil {
			refuse("Client authentication with signed JWT failed: Signature on JWT token by client: " + clientID + " failed validation")
			return
		}
		realm := srv.URL + "/realms/ci"
		if cl.Issuer != clientID || cl.Subject != clientID || (!cl.Audience.Contains(realm+"/protocol/openid-connect/token") && !cl.Audience.Contains(realm)) ||
			cl.Expiry == nil || time.Now().After(cl.Expiry.Time()) || cl.ID == "" {
			refuse("Client authentication with signed JWT failed: Token is not active or invalid audience")
			return
		}
		mu.Lock()
		reused := seen[cl.ID]
		seen[cl.ID] = true
		mu.Unlock()
		if reused {
			refuse("Client authentication with signed JWT failed: Token reuse detected")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "kc-access-" + cl.ID, "token_type": "Bearer", "expires_in": 300})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPrivateKeyJWTClientCredentials(t *testing.T) {
	c := newCIWorld(t)
	kc := keycloakClientCredentials(t, "ci-bot", &c.clientKey.PublicKey)
	args := []string{"token", "--service", "kc", "--flow", "client-credentials", "--client-id", "ci-bot", "--client-key-file", c.keyFile,
		"--token-url", kc.URL + "/realms/ci/protocol/openid-connect/token", "--no-save"}
	var tokens []string
	for range 2 {
		r := c.runWith(cmdOpts{env: c.env}, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "kc-access-") {
			t.Fatalf("exit %d %q\n%s", r.code, r.stdout, r.stderr)
		}
		tokens = append(tokens, r.stdout)
	}
	if tokens[0] == tokens[1] {
		t.Fatal("the two calls reused one assertion")
	}
	wrong, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(wrong)
	wrongFile := filepath.Join(c.home, "wrong.pem")
	os.WriteFile(wrongFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	args[slices.Index(args, "--client-key-file")+1] = wrongFile
	if r := c.runWith(cmdOpts{env: c.env}, args...); r.code != 1 || !strings.Contains(r.stderr, "invalid_client") {
		t.Fatalf("a key the server does not know: exit %d\n%s", r.code, r.stderr)
	}
}
