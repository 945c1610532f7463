package flow

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hydra answers as Ory Hydra v26 does for a client registered with exactly
// one token_endpoint_auth_method: that method is enforced at the token,
// device authorization and revocation endpoints alike, and the other one
// is refused with 401 invalid_client and Hydra's own description, although
// its discovery lists both.
type hydra struct {
	registered string // client_secret_basic or client_secret_post
	mu         sync.Mutex
	seen       []string // "endpoint method" per request
	polls      int
}

func (h *hydra) method(r *http.Request) string {
	if _, _, ok := r.BasicAuth(); ok {
		return AuthSecretBasic
	}
	if r.PostForm.Get("client_secret") != "" {
		return AuthSecretPost
	}
	return "none"
}

func (h *hydra) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		m := h.method(r)
		h.mu.Lock()
		h.seen = append(h.seen, r.URL.Path+" "+m)
		h.mu.Unlock()
		if m != h.registered {
			jsonAnswer(w, 401, map[string]any{"error": "invalid_client", "error_description": fmt.Sprintf(
				"Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method). The OAuth 2.0 Client supports client authentication method '%s', but method '%s' was requested. You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept '%s'.",
				h.registered, m, m)})
			return
		}
		switch r.URL.Path {
		case "/oauth2/device/auth":
			// fosite's device_request_handler.go: the authenticated
			// client must be the form's client_id, Basic or not.
			if r.PostForm.Get("client_id") != "c" {
				jsonAnswer(w, 400, map[string]any{"error": "invalid_request", "error_description": "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed. Provided client_id mismatch."})
				return
			}
			jsonAnswer(w, 200, map[string]any{"device_code": "ory_dc_x", "user_code": "ABCDEFGH", "verification_uri": "http://" + r.Host + "/oauth2/fallbacks/device",
				"verification_uri_complete": "http://" + r.Host + "/oauth2/fallbacks/device?user_code=ABCDEFGH", "expires_in": 600, "interval": 1})
		case "/oauth2/token":
			h.mu.Lock()
			h.polls++
			n := h.polls
			h.mu.Unlock()
			if r.PostForm.Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code" && n < 2 {
				jsonAnswer(w, 400, map[string]any{"error": "authorization_pending", "error_description": "The authorization request is still pending as the end user hasn't yet completed the user-interaction steps."})
				return
			}
			jsonAnswer(w, 200, map[string]any{"access_token": "ory_at_x", "token_type": "bearer", "expires_in": 3599, "refresh_token": "ory_rt_x", "scope": "offline_access"})
		case "/oauth2/revoke":
			w.WriteHeader(200)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// One flow uses one client authentication method for every request —
// device authorization, polls, refresh and revocation — whichever of the
// two the client is registered with at Hydra.
func TestClientAuthOneMethodPerFlowLikeHydra(t *testing.T) {
	for _, registered := range []string{AuthSecretBasic, AuthSecretPost} {
		t.Run(registered, func(t *testing.T) {
			h := &hydra{registered: registered}
			srv := h.serve(t)
			ep := Endpoints{DeviceURL: srv.URL + "/oauth2/device/auth", TokenURL: srv.URL + "/oauth2/token", RevokeURL: srv.URL + "/oauth2/revoke",
				AuthMethods: []string{AuthSecretBasic, AuthSecretPost, "private_key_jwt", "none"}}
			cfg := &Config{ClientID: "c", ClientSecret: "hydra-secret", Endpoints: ep}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tok, err := cfg.Device(ctx, func(DeviceCode) {})
			if err != nil {
				t.Fatalf("device flow: %v (requests %v)", err, h.seen)
			}
			want := map[string]string{AuthSecretBasic: AuthBasic, AuthSecretPost: AuthPost}[registered]
			if cfg.SettledAuth() != want {
				t.Fatalf("settled on %q, want %q", cfg.SettledAuth(), want)
			}
			// A later call refreshes and revokes with the recorded method.
			later := &Config{ClientID: "c", ClientSecret: "hydra-secret", Endpoints: ep, ClientAuth: cfg.SettledAuth()}
			if _, err := later.Refresh(ctx, tok.RefreshToken); err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if err := later.Revoke(ctx, tok.RefreshToken, "refresh_token"); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			refused := 0
			for _, s := range h.seen {
				if !strings.HasSuffix(s, " "+registered) {
					refused++
				}
			}
			// At most the very first request may try the other method.
			if refused > 1 || !strings.HasSuffix(h.seen[len(h.seen)-1], registered) {
				t.Fatalf("requests: %v", h.seen)
			}
		})
	}
}

// An explicit --client-auth is used from the first request, with no probe.
func TestClientAuthExplicit(t *testing.T) {
	h := &hydra{registered: AuthSecretPost}
	srv := h.serve(t)
	cfg := &Config{ClientID: "c", ClientSecret: "hydra-secret", ClientAuth: AuthPost, Endpoints: Endpoints{TokenURL: srv.URL + "/oauth2/token"}}
	if _, err := cfg.Refresh(context.Background(), "ory_rt_x"); err != nil {
		t.Fatal(err)
	}
	if len(h.seen) != 1 {
		t.Fatalf("requests: %v", h.seen)
	}
	wrong := &Config{ClientID: "c", ClientSecret: "hydra-secret", ClientAuth: AuthBasic, Endpoints: Endpoints{TokenURL: srv.URL + "/oauth2/token"}}
	if _, err := wrong.Refresh(context.Background(), "ory_rt_x"); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("explicit basic at a post client: %v", err)
	}
}
