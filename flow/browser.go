package flow

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Browser is what the authorization-code flow needs from the person.
type Browser struct {
	// Port of the loopback listener; 0 picks a free one. Ignored when
	// RedirectURLs is set.
	Port int
	// RedirectURLs are exact loopback redirect URIs registered at the
	// provider (http://127.0.0.1:PORT/PATH or http://localhost:PORT/PATH),
	// tried in order until one's port is free.
	RedirectURLs []string
	// Open shows the URL in a browser; nil leaves it to the person. It runs
	// in the background: an opener that lingers never holds up the flow.
	Open func(url string) error
	// Label names the service (and account) in the browser's pages.
	Label string
	// Out receives the URL and the instructions.
	Out io.Writer
	// Paste, when set, is the terminal: a person whose browser cannot reach
	// the loopback listener (SSH) pastes the address it ended on, or the code.
	Paste Terminal
	// PasteHint says so on Out; leave it off where it cannot help (a local
	// browser was opened).
	PasteHint bool
	// AskKeep asks in the page whether to keep the sign-in (there is no
	// terminal to ask on); the answer comes back as Token.Keep.
	AskKeep bool
	// OnlyOnceNote is what the page adds after "Only this time" (what
	// later calls will do).
	OnlyOnceNote string
}

// ErrTimeout reports that the person did not finish in time.
var ErrTimeout = errors.New("timed out")

// AuthCode runs the authorization-code flow with PKCE (S256) and state on a
// loopback redirect (RFC 8252 §7.3). ctx bounds the person's part.
func (c *Config) AuthCode(ctx context.Context, b Browser) (*Token, error) {
	if c.Endpoints.AuthURL == "" {
		return nil, fmt.Errorf("no authorization endpoint; set --auth-url or --issuer")
	}
	ln, redirect, err := listen(b)
	if err != nil {
		return nil, err
	}
	ru, _ := url.Parse(redirect)
	state := oauth2.GenerateVerifier()
	verifier := oauth2.GenerateVerifier()
	authURL := c.authCodeURL(redirect, state, verifier)

	cb := &callback{
		state: state, issuer: c.Endpoints.Issuer, authURL: c.Endpoints.AuthURL,
		issRequired: c.Endpoints.IssParameter, host: ru.Host, path: listenPath(ru),
		results: make(chan result, 2), label: b.Label, terminal: b.Paste != nil,
	}
	if b.AskKeep {
		cb.keep = &keepQuestion{token: oauth2.GenerateVerifier(), answers: make(chan string, 1), onlyOnce: b.OnlyOnceNote}
	}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	// Let the page of the answer reach the browser before the listener goes.
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}()

	r := cb.await(ctx, b, authURL)
	if r.err != nil {
		return nil, r.err
	}
	fmt.Fprintf(b.Out, "Signed in; fetching the token.\n")
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.requestTimeout())
	defer cancel()
	t, err := c.exchange(tctx, r.code, verifier, redirect)
	if t != nil && c.Endpoints.Issuer == "" {
		t.Issuer = r.iss
	}
	if t != nil && cb.keep != nil {
		t.Keep = cb.awaitKeep(ctx)
	}
	return t, err
}

// await shows the person the address (and opens the browser on it, in a
// goroutine of its own: an opener that lingers never holds the flow up),
// then waits for the one valid answer: from the browser, a pasted address,
// or ctx's end.
func (cb *callback) await(ctx context.Context, b Browser, authURL string) result {
	fmt.Fprintf(b.Out, "Sign in with your browser at:\n\n  %s\n\n", authURL)
	left := ""
	if d, ok := ctx.Deadline(); ok {
		left = fmt.Sprintf(" (up to %v)", time.Until(d).Round(time.Second))
	}
	if b.Open != nil {
		fmt.Fprintf(b.Out, "Opening your browser; waiting for the sign-in to finish there%s…\n", left)
		go func() {
			if err := b.Open(authURL); err != nil {
				fmt.Fprintf(b.Out, "Could not open a browser (%s); open the address above yourself.\n", Sanitize(err.Error()))
			}
		}()
	} else {
		fmt.Fprintf(b.Out, "Open this address in a browser; waiting for the sign-in to finish there%s…\n", left)
	}
	stopPaste := func() {}
	if b.Paste != nil {
		if b.PasteHint {
			fmt.Fprintf(b.Out, "If the browser runs on another machine, paste the address it ended on (or the code) here and press Enter.\n")
		}
		stopPaste = cb.readPaste(b.Paste)
	}
	defer stopPaste()
	select {
	case r := <-cb.results:
		return r
	case <-ctx.Done():
		return result{err: fmt.Errorf("gave up waiting for the browser sign-in: %w", ErrTimeout)}
	}
}

// listen opens the loopback listener on 127.0.0.1 only (RFC 8252 §8.3),
// on the first free port of the registered redirect URIs or on b.Port.
func listen(b Browser) (net.Listener, string, error) {
	if len(b.RedirectURLs) == 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b.Port)))
		if err != nil {
			return nil, "", fmt.Errorf("cannot listen on 127.0.0.1:%d for the browser's redirect: %v; choose another --redirect-port", b.Port, err)
		}
		return ln, fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port), nil
	}
	var errs []string
	for _, raw := range b.RedirectURLs {
		u, err := ParseRedirectURL(raw)
		if err != nil {
			return nil, "", err
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", u.Port()))
		if err == nil {
			return ln, u.String(), nil
		}
		errs = append(errs, fmt.Sprintf("%s: %v", u.Host, err))
	}
	return nil, "", fmt.Errorf("no port of --redirect-url is free (%s); close what uses it or register another", strings.Join(errs, "; "))
}

// ParseRedirectURL checks a registered loopback redirect URI: plain http to
// 127.0.0.1 or localhost, with a fixed port and no query or fragment.
func ParseRedirectURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	bad := func(why string) error {
		return fmt.Errorf("--redirect-url %q %s; write http://127.0.0.1:PORT/PATH or http://localhost:PORT/PATH", raw, why)
	}
	switch {
	case err != nil || u.Scheme != "http":
		return nil, bad("is not an http URL")
	case u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost":
		return nil, bad("is not on 127.0.0.1 or localhost")
	case u.Port() == "":
		return nil, bad("has no port")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, bad("has a query, fragment or user")
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		return nil, bad("has no valid port")
	}
	return u, nil // as registered: http://localhost:8000 stays without "/"
}

// listenPath is the path the listener answers on for a redirect URI: a
// browser asks for "/" where the URI has no path.
func listenPath(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

func (c *Config) requestTimeout() time.Duration {
	if c.Client != nil && c.Client.Timeout > 0 {
		return c.Client.Timeout
	}
	return 30 * time.Second
}

type result struct {
	code, iss string
	err       error
}

// callback serves the loopback redirect. Only an answer with the right
// state ends the sign-in; anything else (a wrong state, a foreign Host
// header as in DNS rebinding, a stray favicon request) gets 400 and the
// wait goes on, so no web page can cut a sign-in short.
type callback struct {
	state, issuer, authURL string
	issRequired            bool
	host, path             string
	mu                     sync.Mutex
	done                   bool
	results                chan result
	keep                   *keepQuestion // nil: the page asks nothing
	label                  string        // the service (and account), for the pages
	terminal               bool          // a terminal follows the sign-in
}

func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Host == cb.host && r.URL.Path == keepPath {
		cb.serveKeep(w, r)
		return
	}
	if r.Host != cb.host || r.URL.Path != cb.path || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
		http.Error(w, "not an OAuth redirect", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		// response_mode=form_post (OAuth 2.0 Form Post Response Mode).
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "not an OAuth redirect", http.StatusBadRequest)
			return
		}
		q = r.PostForm
	}
	if q.Get("state") != cb.state {
		http.Error(w, "this is not the answer to the sign-in under way (wrong state)", http.StatusBadRequest)
		return
	}
	cb.mu.Lock()
	if cb.done {
		cb.mu.Unlock()
		http.Error(w, "this sign-in has already been handled", http.StatusBadRequest)
		return
	}
	cb.done = true
	cb.mu.Unlock()
	res := cb.check(q)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if res.err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, page, "Sign-in failed", html.EscapeString(res.err.Error())+"<br>Return to the terminal for details.")
	} else {
		title := "Signed in"
		if cb.label != "" {
			title = "Signed in to " + cb.label
		}
		switch {
		case cb.keep != nil:
			fmt.Fprintf(w, page, html.EscapeString(title), "Keep this sign-in, so that later calls on this computer refresh it silently?"+cb.keepForm())
		case cb.terminal:
			fmt.Fprintf(w, page, html.EscapeString(title), "You can close this tab and return to the terminal.")
		default:
			fmt.Fprintf(w, page, html.EscapeString(title), "You can close this tab.")
		}
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // the page is out before the flow moves on and closes the listener
	}
	cb.results <- res
}

const page = `<!doctype html><html><head><meta charset="utf-8"><title>oauth2cred</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>%s</h1><p>%s</p></body></html>
`

// check validates an authorization response, from the listener or pasted.
// The state is checked first: error= is only believed from the real answer.
func (cb *callback) check(q url.Values) result {
	if q.Get("state") != cb.state {
		return result{err: errors.New("the browser's answer has a wrong state parameter (a stale or forged sign-in); run the command again")}
	}
	iss, err := cb.checkIss(q)
	if err != nil {
		return result{err: err}
	}
	if e := q.Get("error"); e != "" {
		se := &ServerError{Endpoint: "authorization server", Code: clean(e), Description: clean(q.Get("error_description"))}
		return result{err: se}
	}
	code := q.Get("code")
	if code == "" {
		return result{err: errors.New("the browser's answer has no code; run the command again")}
	}
	return result{code: code, iss: iss}
}

// checkIss applies RFC 9207: iss must equal the issuer when it is known;
// when only endpoints were given it must share the authorization endpoint's
// scheme, host and port. Anything else is a mix-up attack.
func (cb *callback) checkIss(q url.Values) (string, error) {
	iss, sent := q["iss"]
	if !sent && !cb.issRequired {
		return "", nil
	}
	mismatch := errors.New("the browser's answer came from a different issuer (RFC 9207 iss mismatch); refusing it")
	if len(iss) != 1 || iss[0] == "" {
		return "", mismatch
	}
	if cb.issuer != "" {
		if strings.TrimSuffix(iss[0], "/") != strings.TrimSuffix(cb.issuer, "/") {
			return "", mismatch
		}
		return iss[0], nil
	}
	iu, err1 := url.Parse(iss[0])
	au, err2 := url.Parse(cb.authURL)
	if err1 != nil || err2 != nil || !sameOrigin(iu, au) {
		return "", mismatch
	}
	return iss[0], nil
}

func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// Terminal is what the person types on: a terminal that can be polled
// takes a read deadline (a Windows console cannot, and fails it).
type Terminal interface {
	io.Reader
	SetReadDeadline(time.Time) error
}

// readPaste reads lines from the terminal until one is an authorization
// response. The returned stop unblocks the reader and waits for it.
func (cb *callback) readPaste(tty Terminal) (stop func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(tty)
		sc.Buffer(make([]byte, 4096), 64<<10)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			res := cb.pasted(line)
			cb.mu.Lock()
			if cb.done {
				cb.mu.Unlock()
				return
			}
			cb.done = true
			cb.mu.Unlock()
			cb.results <- res
			return
		}
	}()
	return func() {
		// A terminal is pollable, so a past deadline wakes the blocked read.
		if tty.SetReadDeadline(time.Now()) == nil {
			wg.Wait()
			tty.SetReadDeadline(time.Time{})
		}
	}
}

func (cb *callback) pasted(line string) result {
	if u, err := url.Parse(line); err == nil && u.Scheme != "" && u.RawQuery != "" {
		return cb.check(u.Query())
	}
	if strings.ContainsAny(line, " \t?&=") {
		return result{err: errors.New("the pasted text is neither the address the browser ended on nor a code")}
	}
	return result{code: line}
}
