package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Discover reads the server's metadata: OpenID Connect discovery first, then
// RFC 8414. The document must name the issuer that was asked for, or a
// hostile document could send tokens elsewhere.
func Discover(ctx context.Context, client *http.Client, issuer string) (Endpoints, error) {
	if client == nil {
		client = http.DefaultClient
	}
	issuer = strings.TrimSuffix(issuer, "/")
	urls := []string{issuer + "/.well-known/openid-configuration"}
	if i := strings.Index(issuer, "://"); i >= 0 {
		// RFC 8414 §3.1 inserts the well-known segment before the issuer's path.
		rest := issuer[i+3:]
		host, path, _ := strings.Cut(rest, "/")
		if path != "" {
			path = "/" + path
		}
		urls = append(urls, issuer[:i+3]+host+"/.well-known/oauth-authorization-server"+path)
	}
	var lastErr error
	for _, u := range urls {
		ep, err := discover(ctx, client, u, issuer)
		if err == nil {
			return ep, nil
		}
		lastErr = err
		if _, notFound := err.(notFoundError); !notFound {
			break
		}
	}
	return Endpoints{}, lastErr
}

type notFoundError struct{ error }

func discover(ctx context.Context, client *http.Client, u, issuer string) (Endpoints, error) {
	endpoint := describe("discovery document", u)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Endpoints{}, fmt.Errorf("bad issuer URL: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Endpoints{}, wrap(endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Endpoints{}, wrap(endpoint, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return Endpoints{}, notFoundError{fmt.Errorf("%s not found (404); check --issuer", endpoint)}
	}
	if resp.StatusCode != http.StatusOK {
		return Endpoints{}, fmt.Errorf("%s answered %d %s; check --issuer", endpoint, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var doc struct {
		Issuer       string   `json:"issuer"`
		AuthURL      string   `json:"authorization_endpoint"`
		TokenURL     string   `json:"token_endpoint"`
		DeviceURL    string   `json:"device_authorization_endpoint"`
		RevokeURL    string   `json:"revocation_endpoint"`
		IssParameter bool     `json:"authorization_response_iss_parameter_supported"`
		AuthMethods  []string `json:"token_endpoint_auth_methods_supported"`
		GrantTypes   []string `json:"grant_types_supported"`
		UserinfoURL  string   `json:"userinfo_endpoint"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return Endpoints{}, fmt.Errorf("%s is not valid JSON; check --issuer", endpoint)
	}
	if strings.TrimSuffix(doc.Issuer, "/") != issuer {
		return Endpoints{}, fmt.Errorf("%s names issuer %q, not %q; refusing it (RFC 8414 §3.3)", endpoint, clean(doc.Issuer), issuer)
	}
	if doc.TokenURL == "" {
		return Endpoints{}, fmt.Errorf("%s has no token_endpoint", endpoint)
	}
	return Endpoints{
		Issuer:       issuer,
		AuthURL:      doc.AuthURL,
		TokenURL:     doc.TokenURL,
		DeviceURL:    doc.DeviceURL,
		RevokeURL:    doc.RevokeURL,
		IssParameter: doc.IssParameter,
		AuthMethods:  doc.AuthMethods,
		GrantTypes:   doc.GrantTypes,
		UserinfoURL:  doc.UserinfoURL,
	}, nil
}

// Merge fills every endpoint of e that is empty from d.
func (e Endpoints) Merge(d Endpoints) Endpoints {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&e.Issuer, d.Issuer)
	fill(&e.AuthURL, d.AuthURL)
	fill(&e.TokenURL, d.TokenURL)
	fill(&e.RefreshURL, d.RefreshURL)
	fill(&e.DeviceURL, d.DeviceURL)
	fill(&e.RevokeURL, d.RevokeURL)
	fill(&e.UserinfoURL, d.UserinfoURL)
	e.IssParameter = e.IssParameter || d.IssParameter
	if len(e.AuthMethods) == 0 {
		e.AuthMethods = d.AuthMethods
	}
	if len(e.GrantTypes) == 0 {
		e.GrantTypes = d.GrantTypes
	}
	return e
}
