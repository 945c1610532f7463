package flow

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// ClientOptions shape the HTTP client used for every request to a server.
type ClientOptions struct {
	Timeout  time.Duration // per request
	CAFile   string        // extra PEM roots for the OAuth server
	Insecure bool          // skip TLS verification (the caller warns)
	Log      io.Writer     // when set, one redacted line per request
	// Proxy, when set, is the proxy for every request (git's http.proxy);
	// otherwise HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply.
	Proxy string
}

// NewClient returns a client that honours HTTPS_PROXY, HTTP_PROXY and
// NO_PROXY, verifies TLS (unless told not to), times out every request, and
// refuses redirects to another host, which would carry credentials away.
func NewClient(o ClientOptions) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	proxy, err := proxyFunc(o.Proxy)
	if err != nil {
		return nil, err
	}
	tr.Proxy = proxy
	if o.CAFile != "" || o.Insecure {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("cannot read --ca-file: %v", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", o.CAFile)
			}
			cfg.RootCAs = pool
		}
		cfg.InsecureSkipVerify = o.Insecure
		tr.TLSClientConfig = cfg
	}
	var rt http.RoundTripper = tr
	if o.Log != nil {
		rt = logTransport{next: tr, out: o.Log}
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{
		Transport: rt,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				return fmt.Errorf("redirected to another host (%s); refusing to follow", req.URL.Host)
			}
			return nil
		},
	}, nil
}

// proxyFunc is the one proxy rule of every request to a server, as curl's
// (and so git's) and Go's: HTTPS_PROXY / HTTP_PROXY, or git's http.proxy
// (gitProxy) in their place; NO_PROXY and loopback hosts bypass either.
func proxyFunc(gitProxy string) (func(*http.Request) (*url.URL, error), error) {
	cfg := httpproxy.FromEnvironment()
	if gitProxy != "" {
		raw := gitProxy
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw // git takes host:port
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("git's http.proxy %q is not a proxy URL", Sanitize(gitProxy))
		}
		cfg.HTTPProxy, cfg.HTTPSProxy = raw, raw
	}
	pf := cfg.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return pf(r.URL) }, nil
}

type logTransport struct {
	next http.RoundTripper
	out  io.Writer
}

func (t logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	d := time.Since(start).Round(time.Millisecond)
	where := Redact(req.URL)
	if req.Response != nil {
		// A redirect's target is the server's choice: its path or query may
		// carry anything, so only its origin is shown.
		where = req.URL.Scheme + "://" + req.URL.Host + "/… (redirected)"
	}
	if err != nil {
		fmt.Fprintf(t.out, "oauth2cred: %s %s failed after %v\n", req.Method, where, d)
		return nil, err
	}
	fmt.Fprintf(t.out, "oauth2cred: %s %s -> %d (%v)\n", req.Method, where, resp.StatusCode, d)
	return resp, nil
}

// publicParams are query parameters safe to show; every other value is
// replaced, since GET token requests carry codes and secrets in the query.
var publicParams = map[string]bool{
	"grant_type": true, "response_type": true, "scope": true, "client_id": true,
	"redirect_uri": true, "code_challenge_method": true, "token_type_hint": true,
	"access_type": true, "prompt": true,
}

// Redact returns u without user info and with secret query values replaced.
func Redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.Fragment = ""
	if c.RawQuery != "" {
		q := c.Query()
		for k, vs := range q {
			if !publicParams[k] {
				for i := range vs {
					vs[i] = "REDACTED"
				}
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}
