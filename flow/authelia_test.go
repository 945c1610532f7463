package flow

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// authelia answers as Authelia (master) does for a client with exactly one
// client authentication method, enforced at every endpoint although its
// discovery lists five: at the device authorization endpoint the other
// method gets 401 with the body {} — no OAuth error at all; at the token
// endpoint 401 invalid_client.
type authelia struct {
	registered string
	mu         sync.Mutex
	seen       []string
}

func (a *authelia) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		m := (&hydra{}).method(r)
		a.mu.Lock()
		a.seen = append(a.seen, r.URL.Path+" "+m)
		a.mu.Unlock()
		switch {
		case m != a.registered && r.URL.Path == "/api/oidc/device-authorization":
			jsonAnswer(w, 401, map[string]any{})
		case m != a.registered:
			jsonAnswer(w, 401, map[string]any{"error": "invalid_client", "error_description": "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."})
		case r.URL.Path == "/api/oidc/device-authorization":
			jsonAnswer(w, 200, map[string]any{"device_code": "authelia_dc", "user_code": "BCDFGHJK", "verification_uri": "http://" + r.Host + "/consent/device",
				"verification_uri_complete": "http://" + r.Host + "/consent/device?user_code=BCDFGHJK", "expires_in": 600, "interval": 1})
		case r.URL.Path == "/api/oidc/token":
			jsonAnswer(w, 200, map[string]any{"access_token": "authelia_at_x", "token_type": "bearer", "expires_in": 3599, "refresh_token": "authelia_rt_x", "scope": "offline_access"})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The confidential device flow completes at Ory Hydra and Authelia for a
// client registered for either method: any 401 at the device endpoint
// tries the other method once, client_id in the body both times.
func TestConfidentialDeviceFlowAtHydraAndAuthelia(t *testing.T) {
	for _, registered := range []string{AuthSecretBasic, AuthSecretPost} {
		for _, server := range []string{"hydra", "authelia"} {
			t.Run(server+" "+registered, func(t *testing.T) {
				var ep Endpoints
				var seen func() []string
				if server == "hydra" {
					h := &hydra{registered: registered}
					srv := h.serve(t)
					ep = Endpoints{DeviceURL: srv.URL + "/oauth2/device/auth", TokenURL: srv.URL + "/oauth2/token"}
					seen = func() []string { return h.seen }
				} else {
					a := &authelia{registered: registered}
					srv := a.serve(t)
					ep = Endpoints{DeviceURL: srv.URL + "/api/oidc/device-authorization", TokenURL: srv.URL + "/api/oidc/token"}
					seen = func() []string { return a.seen }
				}
				ep.AuthMethods = []string{AuthSecretBasic, AuthSecretPost, "client_secret_jwt", "private_key_jwt", "none"}
				cfg := &Config{ClientID: "c", ClientSecret: "s3cret", Endpoints: ep}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if _, err := cfg.Device(ctx, func(DeviceCode) {}); err != nil {
					t.Fatalf("device flow: %v (requests %v)", err, seen())
				}
			})
		}
	}
}
