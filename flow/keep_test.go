package flow

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The save question in the page: a post without the sign-in's form token,
// or from another site, is refused (403); the person's answer comes back
// with the token.
func TestKeepQuestionInThePage(t *testing.T) {
	for _, answer := range []string{KeepYes, KeepNo} {
		ts := tokenServer(t)
		cfg := &Config{ClientID: "c", Endpoints: Endpoints{AuthURL: "https://idp.example.com/auth", TokenURL: ts.URL}}
		u, done := startFlowTok(t, cfg, Browser{AskKeep: true})
		redirect := u.Query().Get("redirect_uri")
		status, body := get(t, redirect+"?code=c0de&state="+url.QueryEscape(u.Query().Get("state")))
		m := regexp.MustCompile(`action="(/[^"]+)"><input type="hidden" name="token" value="([^"]+)"`).FindStringSubmatch(body)
		if status != 200 || m == nil || !strings.Contains(body, "Keep me signed in on this computer") || !strings.Contains(body, "Only this time") {
			t.Fatalf("page %d:\n%s", status, body)
		}
		ru, _ := url.Parse(redirect)
		keep := "http://" + ru.Host + m[1]
		post := func(form url.Values, origin string) int {
			req, _ := http.NewRequest(http.MethodPost, keep, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if s := post(url.Values{"save": {answer}}, ""); s != http.StatusForbidden {
			t.Fatalf("without the form token: %d", s)
		}
		if s := post(url.Values{"save": {answer}, "token": {m[2]}}, "https://evil.example"); s != http.StatusForbidden {
			t.Fatalf("from another site: %d", s)
		}
		if s, _ := get(t, keep); s != http.StatusMethodNotAllowed {
			t.Fatalf("GET: %d", s)
		}
		if s := post(url.Values{"save": {answer}, "token": {m[2]}}, "http://"+ru.Host); s != http.StatusOK {
			t.Fatalf("the person's answer: %d", s)
		}
		r := <-done
		if r.err != nil || r.tok.Keep != answer {
			t.Fatalf("%s: %v, keep %q", answer, r.err, r.tok.Keep)
		}
	}
}

// The page after a sign-in names the service and account, and tells the
// person to return to a terminal only when there is one.
func TestSignedInPageSaysForWhom(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       Browser
		want    string
		mustNot string
	}{
		{"no terminal", Browser{Label: `"work" (account bob)`}, "Signed in to &#34;work&#34; (account bob)", "terminal"},
		{"a terminal", Browser{Label: `"work"`, Paste: pipeTerminal(t)}, "return to the terminal", ""},
	} {
		ts := tokenServer(t)
		cfg := &Config{ClientID: "c", Endpoints: Endpoints{AuthURL: "https://idp.example.com/auth", TokenURL: ts.URL}}
		u, done := startFlowTok(t, cfg, tc.b)
		_, body := get(t, u.Query().Get("redirect_uri")+"?code=c0de&state="+url.QueryEscape(u.Query().Get("state")))
		if !strings.Contains(body, tc.want) || (tc.mustNot != "" && strings.Contains(body, tc.mustNot)) {
			t.Errorf("%s: page:\n%s", tc.name, body)
		}
		<-done
	}
}

// pipeTerminal stands for a terminal nobody types on.
func pipeTerminal(t *testing.T) Terminal {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r
}
