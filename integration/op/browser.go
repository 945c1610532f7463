package op

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// PlayBrowser does what a person's browser does with an authorization URL of
// the example provider: follow it to the login page, sign in with the test
// user, and follow the redirects to the loopback address (which oauth2cred
// serves). It returns the final loopback response status.
func PlayBrowser(authURL, user, password string) (int, error) {
	status, _, err := play(authURL, user, password, false)
	return status, err
}

// SignInElsewhere signs in like PlayBrowser but stops before the loopback,
// as a browser on another machine would (SSH): it returns the address the
// browser ended on, for the person to paste.
func SignInElsewhere(authURL, user, password string) (string, error) {
	_, last, err := play(authURL, user, password, true)
	return last, err
}

func play(authURL, user, password string, stopAtLoopback bool) (status int, loopback string, err error) {
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
			return 0, next, nil
		}
		u, err := url.Parse(next)
		if err != nil {
			return 0, "", err
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
			return 0, "", err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			if isLoopback(next) {
				return resp.StatusCode, next, nil
			}
			return resp.StatusCode, "", fmt.Errorf("%s answered %d without a redirect", u.Path, resp.StatusCode)
		}
		ref, err := u.Parse(loc)
		if err != nil {
			return 0, "", err
		}
		next = ref.String()
	}
	return 0, "", fmt.Errorf("too many redirects")
}

func issuerOf(authURL string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		return authURL
	}
	return u.Scheme + "://" + u.Host
}
