package op

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"
)

// Clients for keyless CI, served by StartCI.
const (
	KeyClientID    = "ci-key"    // authenticates with private_key_jwt
	PublicCIClient = "ci-public" // no client credentials at all: the job's token is the proof
	KeyClientKeyID = "ci-key-1"
	// SubjectUser is whom a trusted CI token stands for. The example OP
	// lets only an admin user be the subject of an exchange.
	SubjectUser = "id1"
)

// CI is what StartCI's provider trusts: the CI client's public key (the
// test generates the pair) and the public key of the CI platform's ID-token
// issuer (a GitHub Actions stand-in), as an identity provider is set up for
// federation.
type CI struct {
	ClientKey     crypto.PublicKey
	SubjectKey    crypto.PublicKey
	SubjectIssuer string
}

// StartCI serves the example OP through zitadel's LegacyServer, the one of
// its two front ends that verifies client assertions (private_key_jwt) on
// the token exchange grant, and configured for federated CI.
func StartCI(accessTTL time.Duration, ci CI) (*Server, error) {
	return start(accessTTL, true, &ci)
}

// ExactClientID is a confidential web client whose one redirect URI is
// compared exactly (set with RegisterExactRedirect).
const (
	ExactClientID = "exact"
	ExactSecret   = "exact-secret-1234"
)

// RegisterExactRedirect registers uri as the exact client's only redirect URI.
func (s *Server) RegisterExactRedirect(uri string) { s.Storage.exactRedirect.Store(uri) }

// devClient lets a web client use an http://localhost redirect, as
// providers allow for development registrations.
type devClient struct{ zop.Client }

func (devClient) DevMode() bool { return true }

// ciClient is a registered client with another authentication method and
// the token-exchange grant.
type ciClient struct {
	zop.Client
	id     string
	method oidc.AuthMethod
}

func (c ciClient) GetID() string               { return c.id }
func (c ciClient) AuthMethod() oidc.AuthMethod { return c.method }
func (c ciClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeTokenExchange, oidc.GrantTypeRefreshToken, oidc.GrantTypeCode}
}

func (s *Storage) ciClient(id string) (zop.Client, bool) {
	if uri, _ := s.exactRedirect.Load().(string); id == ExactClientID && uri != "" {
		return devClient{storage.WebClient(ExactClientID, ExactSecret, uri)}, true
	}
	if s.ci == nil {
		return nil, false
	}
	switch id {
	case KeyClientID:
		return ciClient{storage.NativeClient(id, RedirectURI), id, oidc.AuthMethodPrivateKeyJWT}, true
	case PublicCIClient:
		return ciClient{storage.NativeClient(id, RedirectURI), id, oidc.AuthMethodNone}, true
	}
	return nil, false
}

// GetKeyByIDAndClientID gives zitadel the CI client's registered key for
// checking its private_key_jwt assertions.
func (s *Storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	if s.ci != nil && clientID == KeyClientID {
		if keyID != KeyClientKeyID {
			return nil, fmt.Errorf("key %q is not registered", keyID)
		}
		return &jose.JSONWebKey{KeyID: keyID, Use: "sig", Key: s.ci.ClientKey}, nil
	}
	return s.Storage.GetKeyByIDAndClientID(ctx, keyID, clientID)
}

// VerifyExchangeSubjectToken accepts a JWT from the trusted CI issuer,
// signed by its key and not expired, as standing for SubjectUser.
func (s *Storage) VerifyExchangeSubjectToken(ctx context.Context, token string, tokenType oidc.TokenType) (string, string, map[string]any, error) {
	if s.ci == nil {
		return "", "", nil, errors.New("no trusted subject token issuer")
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return "", "", nil, err
	}
	var claims jwt.Claims
	var all map[string]any
	if err := parsed.Claims(s.ci.SubjectKey, &claims, &all); err != nil {
		return "", "", nil, err
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: s.ci.SubjectIssuer, Time: time.Now()}, 0); err != nil {
		return "", "", nil, err
	}
	return token, SubjectUser, all, nil
}

// VerifyExchangeActorToken: no actor tokens here.
func (s *Storage) VerifyExchangeActorToken(context.Context, string, oidc.TokenType) (string, string, map[string]any, error) {
	return "", "", nil, errors.New("actor tokens are not accepted")
}

// AuthorizeClientIDSecret checks the exact client's secret, which the
// example storage's own client map does not hold.
func (s *Storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	if uri, _ := s.exactRedirect.Load().(string); id == ExactClientID && uri != "" {
		if secret != ExactSecret {
			return errors.New("invalid client secret")
		}
		return nil
	}
	return s.Storage.AuthorizeClientIDSecret(ctx, id, secret)
}
