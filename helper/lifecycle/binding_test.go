package lifecycle

import (
	"testing"
	"time"

	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// The origin gate: a token saved for one configuration is refused by every
// other one, field by field, and accepted by its own.
func TestOriginMismatch(t *testing.T) {
	base := service.Definition{ClientID: "c", Issuer: "https://a.example", Scopes: []string{"openid"}, Flow: "auto"}
	saved := persist.Token{AccessToken: "at", RefreshToken: "rt", ClientID: "c", Issuer: "https://a.example",
		TokenURL: "https://a.example/token", RevokeURL: "https://a.example/revoke", RequestedScopes: []string{"openid"},
		Bound: true, Grant: service.GrantPerson, Expiry: time.Now().Add(time.Hour)}
	exchange := saved
	exchange.Grant, exchange.Audience, exchange.Resource = service.GrantExchange, "api-a", "https://api-a.example"
	exDef := base
	exDef.Flow, exDef.Audience, exDef.Resource, exDef.SubjectTokenFile = "token-exchange", "api-a", "https://api-a.example", "/f"
	old := saved
	old.Grant = "" // a file of an older version
	for _, tc := range []struct {
		name  string
		def   func(*service.Definition)
		token persist.Token
		want  string
	}{
		{"same", func(*service.Definition) {}, saved, ""},
		{"client id", func(d *service.Definition) { d.ClientID = "other" }, saved, "client id"},
		{"issuer", func(d *service.Definition) { d.Issuer = "https://b.example" }, saved, "issuer"},
		{"token endpoint", func(d *service.Definition) { d.TokenURL = "https://b.example/token" }, saved, "token endpoint"},
		{"refresh endpoint added", func(d *service.Definition) { d.RefreshURL = "https://b.example/refresh" }, saved, "refresh endpoint"},
		{"refresh endpoint equal to the token endpoint", func(d *service.Definition) { d.RefreshURL = "https://a.example/token" }, saved, ""},
		{"revocation endpoint", func(d *service.Definition) { d.RevokeURL = "https://b.example/revoke" }, saved, "revocation endpoint"},
		{"revocation endpoint as saved", func(d *service.Definition) { d.RevokeURL = "https://a.example/revoke" }, saved, ""},
		{"scopes", func(d *service.Definition) { d.Scopes = []string{"openid", "email"} }, saved, "scopes"},
		{"grant", func(d *service.Definition) { d.Flow = "client-credentials" }, saved, "kind of grant"},
		{"exchange same", func(d *service.Definition) { *d = exDef }, exchange, ""},
		{"exchange audience", func(d *service.Definition) { *d = exDef; d.Audience = "api-b" }, exchange, "audience"},
		{"exchange resource", func(d *service.Definition) { *d = exDef; d.Resource = "https://api-b.example" }, exchange, "resource"},
		{"exchange requested type", func(d *service.Definition) {
			*d = exDef
			d.RequestedTokenType = "urn:ietf:params:oauth:token-type:id_token"
		}, exchange, "requested token type"},
		{"older file, person", func(*service.Definition) {}, old, ""},
		{"older file, exchange", func(d *service.Definition) { *d = exDef }, old, "kind of grant (the token was saved by an older version)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := base
			tc.def(&d)
			s := &Session{svc: &service.Service{Name: "s", Definition: d}, set: &Settings{}}
			tok := tc.token
			if got := s.Mismatch(&tok); got != tc.want {
				t.Fatalf("mismatch = %q, want %q", got, tc.want)
			}
			if got := s.usable(&tok); got != (tc.want == "") {
				t.Fatalf("usable = %v with mismatch %q", got, tc.want)
			}
		})
	}
}
