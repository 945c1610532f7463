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
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Browser is what the authorization-code flow needs from the person.
type Browser struct {
	// Port of the loopback listener; 0 picks a free one.
	Port int
	// Open shows the URL in a browser; nil or an error leaves it to the person.
	Open func(url string) error
	// Out receives the URL and the instructions.
	Out io.Writer
	// Paste, when set, is the terminal: a person whose browser cannot reach
	// the loopback listener (SSH) pastes the address it ended on, or the code.
	Paste *os.File
}

// ErrTimeout reports that the person did not finish in time.
var ErrTimeout = errors.New("timed out")

// AuthCode runs the authorization-code flow with PKCE (S256) and state on a
// loopback redirect (RFC 8252 §7.3). ctx bounds the person's part.
func (c *Config) AuthCode(ctx context.Context, b Browser) (*Token, error) {
	if c.Endpoints.AuthURL == "" {
		return nil, fmt.Errorf("no authorization endpoint; set --auth-url or --issuer")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b.Port)))
	if err != nil {
		return nil, fmt.Errorf("cannot listen on 127.0.0.1:%d for the browser's redirect: %v; choose another --redirect-port", b.Port, err)
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port)
	state := oauth2.GenerateVerifier()
	verifier := oauth2.GenerateVerifier()
	opts := append(c.authParams(), oauth2.S256ChallengeOption(verifier))
	authURL := c.oauth2Config(c.Endpoints.TokenURL, redirect).AuthCodeURL(state, opts...)

	cb := &callback{state: state, issuer: c.Endpoints.Issuer, issRequired: c.Endpoints.IssParameter, results: make(chan result, 2)}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	fmt.Fprintf(b.Out, "Sign in with your browser at:\n\n  %s\n\n", authURL)
	if b.Open != nil {
		if err := b.Open(authURL); err != nil {
			fmt.Fprintf(b.Out, "Could not open a browser (%v); open the address above yourself.\n", err)
		}
	}
	stopPaste := func() {}
	if b.Paste != nil {
		fmt.Fprintf(b.Out, "If the browser runs on another machine, paste the address it ended on (or the code) here and press Enter.\n")
		stopPaste = cb.readPaste(b.Paste)
	}
	var r result
	select {
	case r = <-cb.results:
	case <-ctx.Done():
		r.err = fmt.Errorf("gave up waiting for the browser sign-in: %w", ErrTimeout)
	}
	stopPaste()
	if r.err != nil {
		return nil, r.err
	}
	fmt.Fprintf(b.Out, "Signed in; fetching the token.\n")
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.requestTimeout())
	defer cancel()
	return c.exchange(tctx, r.code, verifier, redirect)
}

func (c *Config) requestTimeout() time.Duration {
	if c.Client != nil && c.Client.Timeout > 0 {
		return c.Client.Timeout
	}
	return 30 * time.Second
}

type result struct {
	code string
	err  error
}

// callback serves the loopback redirect: one valid answer, then 400 for
// everything else.
type callback struct {
	state, issuer string
	issRequired   bool
	mu            sync.Mutex
	done          bool
	results       chan result
}

func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/" {
		http.Error(w, "not an OAuth redirect", http.StatusBadRequest)
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
	res := cb.check(r.URL.Query())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if res.err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, page, "Sign-in failed", html.EscapeString(res.err.Error())+"<br>Return to the terminal for details.")
	} else {
		fmt.Fprintf(w, page, "Signed in", "You can close this tab and return to the terminal.")
	}
	cb.results <- res
}

const page = `<!doctype html><html><head><meta charset="utf-8"><title>oauth2cred</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>%s</h1><p>%s</p></body></html>
`

// check validates an authorization response, from the listener or pasted.
func (cb *callback) check(q url.Values) result {
	if e := q.Get("error"); e != "" {
		se := &ServerError{Endpoint: "authorization server", Code: clean(e), Description: clean(q.Get("error_description"))}
		return result{err: se}
	}
	if q.Get("state") != cb.state {
		return result{err: errors.New("the browser's answer has a wrong state parameter (a stale or forged sign-in); run the command again")}
	}
	if iss, ok := q["iss"]; ok || cb.issRequired {
		if cb.issuer == "" || len(iss) != 1 || strings.TrimSuffix(iss[0], "/") != strings.TrimSuffix(cb.issuer, "/") {
			return result{err: errors.New("the browser's answer came from a different issuer (RFC 9207 iss mismatch); refusing it")}
		}
	}
	code := q.Get("code")
	if code == "" {
		return result{err: errors.New("the browser's answer has no code; run the command again")}
	}
	return result{code: code}
}

// readPaste reads lines from the terminal until one is an authorization
// response. The returned stop unblocks the reader and waits for it.
func (cb *callback) readPaste(tty *os.File) (stop func()) {
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
