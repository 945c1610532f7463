package lifecycle

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"oauth2cred/flow"
	"oauth2cred/helper/service"
)

// Keyless CI: the client proves who it is with a signed JWT instead of a
// long-lived secret (RFC 7523 §2.2), and a CI job's own ID token can be
// exchanged for a token (RFC 8693). A JWT comes from a file (re-read every
// time: Kubernetes projected tokens and AZURE_FEDERATED_TOKEN_FILE rotate),
// from GitHub Actions' ID-token endpoint, from a variable (GitLab CI's
// id_tokens), or is signed here with the client's key (private_key_jwt).

// jwtSource names where a JWT comes from, for both client assertions and
// subject tokens.
type jwtSource struct {
	what     string // "client assertion" or "subject token"
	file     string
	source   string // github-actions, gitlab, env
	envName  string
	audience string
	red      *flow.Redactor // learns every JWT fetched
}

// assertion returns the client's assertion maker, or nil when the client
// authenticates otherwise.
//
// client makes every request, GitHub's ID-token endpoint included: the
// call's one HTTP client, with --timeout, the CA and the proxy rules.
func (s *Session) assertion(client *http.Client, issuer string) (flow.Assertion, error) {
	switch {
	case s.svc.ClientKeyFile != "":
		signer, err := loadSigner(s.svc.ClientKeyFile, s.svc.ClientKeyID)
		if err != nil {
			return nil, err
		}
		return func(_ context.Context, aud string) (string, error) {
			a, err := signer.sign(s.svc.ClientID, aud, issuer)
			s.set.Redact.Add(a)
			return a, err
		}, nil
	case s.svc.ClientAssertionFile != "" || s.svc.ClientAssertionSource != "":
		src := jwtSource{what: "client assertion", file: s.svc.ClientAssertionFile, source: s.svc.ClientAssertionSource,
			envName: s.svc.ClientAssertionEnv, audience: s.svc.ClientAssertionAudience, red: s.set.Redact}
		return func(ctx context.Context, aud string) (string, error) {
			return src.get(ctx, client, s.set.Env, cmp.Or(src.audience, issuer))
		}, nil
	}
	return nil, nil
}

// get fetches the JWT and refuses one that has expired.
func (j jwtSource) get(ctx context.Context, client *http.Client, env func(string) string, audience string) (string, error) {
	var tok string
	var err error
	switch {
	case j.file != "":
		var b []byte
		b, err = os.ReadFile(j.file)
		if err != nil {
			return "", needCI("cannot read the %s file %s (%v); the job must provide it", j.what, j.file, pathErr(err))
		}
		tok = strings.TrimSpace(string(b))
		if tok == "" {
			return "", needCI("the %s file %s is empty", j.what, j.file)
		}
	case j.source == "github-actions":
		tok, err = githubIDToken(ctx, client, env, audience)
	case j.source == "gitlab" || j.source == "env":
		if j.envName == "" {
			return "", service.Settingf("the %s source %q needs the variable's name (--client-assertion-env or --subject-token-env), e.g. an id_tokens: entry of .gitlab-ci.yml", j.what, j.source)
		}
		tok = strings.TrimSpace(env(j.envName))
		if tok == "" {
			return "", needCI("$%s is empty or unset, so there is no %s; in GitLab CI define it under id_tokens:", j.envName, j.what)
		}
	default:
		return "", service.Settingf("unknown %s source %q; choose github-actions, gitlab or env", j.what, j.source)
	}
	if err != nil {
		return "", err
	}
	j.red.Add(tok)
	if exp := jwtExpiry(tok); !exp.IsZero() && time.Now().After(exp) {
		return "", needCI("the %s from %s expired at %s; its source must renew it", j.what, j.origin(), exp.UTC().Format(time.RFC3339))
	}
	return tok, nil
}

func (j jwtSource) origin() string {
	switch {
	case j.file != "":
		return j.file
	case j.envName != "":
		return "$" + j.envName
	}
	return j.source
}

// needCI is a missing or expired credential that no person here can mend:
// exit 3 with what is missing.
func needCI(format string, a ...any) error {
	return noPersonf(format, a...)
}

func pathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// githubIDToken asks GitHub Actions for the job's ID token, with the
// request URL and token the job's environment gives.
func githubIDToken(ctx context.Context, client *http.Client, env func(string) string, audience string) (string, error) {
	reqURL, reqToken := env("ACTIONS_ID_TOKEN_REQUEST_URL"), env("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL == "" || reqToken == "" {
		return "", needCI("$ACTIONS_ID_TOKEN_REQUEST_URL and $ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set; give the workflow job 'permissions: id-token: write'")
	}
	tok, err := flow.GitHubIDToken(ctx, client, reqURL, reqToken, audience)
	if errors.Is(err, flow.ErrNotURL) {
		return "", needCI("%v", err)
	}
	return tok, err
}

// signer signs private_key_jwt assertions with the client's key.
type signer struct {
	jose.Signer
}

// loadSigner reads a PEM private key (PKCS #8, PKCS #1 RSA or SEC 1 EC):
// RSA signs RS256, P-256 ES256.
func loadSigner(path, keyID string) (*signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, service.Settingf("cannot read --client-key-file: %v", pathErr(err))
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, service.Settingf("--client-key-file %s holds no PEM block", path)
	}
	var key crypto.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key = k
	} else if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		key = k
	} else if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		key = k
	} else {
		return nil, service.Settingf("--client-key-file %s is not an RSA or EC private key", path)
	}
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		if k.Curve.Params().BitSize != 256 {
			return nil, service.Settingf("--client-key-file %s is an EC key on %s; use P-256 (ES256)", path, k.Curve.Params().Name)
		}
		alg = jose.ES256
	default:
		return nil, service.Settingf("--client-key-file %s is neither RSA nor EC", path)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if keyID != "" {
		opts = opts.WithHeader("kid", keyID)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return nil, service.Settingf("--client-key-file %s: %v", path, err)
	}
	return &signer{sig}, nil
}

// sign makes a short-lived assertion: iss = sub = the client, aud = the
// endpoint and (where known) the issuer, which servers differ on, a fresh
// jti, and an expiry well within 5 minutes.
func (s *signer) sign(clientID, endpoint, issuer string) (string, error) {
	now := time.Now()
	jti := make([]byte, 16)
	rand.Read(jti)
	aud := jwt.Audience{endpoint}
	if issuer != "" && issuer != endpoint {
		aud = append(aud, issuer)
	}
	claims := jwt.Claims{
		Issuer: clientID, Subject: clientID, Audience: aud, ID: hex.EncodeToString(jti),
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-30 * time.Second)),
		Expiry: jwt.NewNumericDate(now.Add(4 * time.Minute)),
	}
	tok, err := jwt.Signed(s.Signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("cannot sign the client assertion: %v", err)
	}
	return tok, nil
}
