package op

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// PlayBrowser does what a person's browser does with an authorization URL of
// the example provider: follow it to the login page, sign in with the test
// user, and follow the redirects to the loopback address (which oauth2cred
// serves). It returns the final loopback response status.
func PlayBrowser(authURL, user, password string) (int, error) {
	return PlayBrowserKeep(authURL, user, password, "", false)
}

// keepForm finds the save question of oauth2cred's page: where it posts,
// and the sign-in's form token.
var keepForm = regexp.MustCompile(`<form method="post" action="(/[^"]+)"><input type="hidden" name="token" value="([^"]+)">`)

// PlayBrowserKeep is PlayBrowser that then answers the page's question
// whether to keep the sign-in ("yes" or "no", as the person's click; ""
// leaves it unanswered), the way a browser posts a form: same origin.
//
// forge first posts "keep" as another site would (no form token, its own
// Origin), which must be refused with 403.
func PlayBrowserKeep(authURL, user, password, keep string, forge bool) (int, error) {
	status, last, body, err := play(authURL, user, password, false)
	if err != nil || keep == "" {
		return status, err
	}
	m := keepForm.FindStringSubmatch(body)
	if m == nil {
		return status, nil // nothing asked
	}
	u, err := url.Parse(last)
	if err != nil {
		return status, err
	}
	origin := u.Scheme + "://" + u.Host
	if forge {
		// Another site's page posting "keep" to the listener: it cannot
		// know the form's token, and its Origin is its own.
		req, _ := http.NewRequest(http.MethodPost, origin+m[1], strings.NewReader(url.Values{"save": {"yes"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return status, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			return resp.StatusCode, fmt.Errorf("a cross-site post was answered %d", resp.StatusCode)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, origin+m[1], strings.NewReader(url.Values{"save": {keep}, "token": {html.UnescapeString(m[2])}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return status, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("the save question answered %d", resp.StatusCode)
	}
	return status, nil
}

// SignInElsewhere signs in like PlayBrowser but stops before the loopback,
// as a browser on another machine would (SSH): it returns the address the
// browser ended on, for the person to paste.
func SignInElsewhere(authURL, user, password string) (string, error) {
	_, last, _, err := play(authURL, user, password, true)
	return last, err
}

func play(authURL, user, password string, stopAtLoopback bool) (status int, loopback, body string, err error) {
	client := &http.Client{
		Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	isLoopback := func(u string) bool {
		return (strings.HasPrefix(u, "http://127.0.0.1:") || strings.HasPrefix(u, "http://localhost:")) && !strings.HasPrefix(u, issuerOf(authURL))
	}
	next := authURL
	for range 10 {
		if stopAtLoopback && isLoopback(next) {
			return 0, next, "", nil
		}
		u, err := url.Parse(next)
		if err != nil {
			return 0, "", "", err
		}
		var resp *http.Response
		if strings.HasSuffix(u.Path, "/login/username") {
			id := u.Query().Get("authRequestID")
			form := url.Values{"id": {id}, "username": {user}, "password": {password}}
			u.RawQuery = ""
			resp, err = client.PostForm(u.String(), form)
		} else {
			resp, err = client.Get(next)
		}
		if err != nil {
			return 0, "", "", err
		}
		page, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			if isLoopback(next) {
				return resp.StatusCode, next, string(page), nil
			}
			return resp.StatusCode, "", "", fmt.Errorf("%s answered %d without a redirect", u.Path, resp.StatusCode)
		}
		ref, err := u.Parse(loc)
		if err != nil {
			return 0, "", "", err
		}
		next = ref.String()
	}
	return 0, "", "", fmt.Errorf("too many redirects")
}

func issuerOf(authURL string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		return authURL
	}
	return u.Scheme + "://" + u.Host
}
