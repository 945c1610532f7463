package flow

import (
	"strings"
	"testing"
)

// The server-strings gate: only an absolute https address (http for this
// machine) on an expected origin is ever opened.
func TestOpenableURL(t *testing.T) {
	origin := "https://idp.example.com/device"
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://idp.example.com/device?user_code=AB", true},
		{"https://IDP.example.com:443/x", true},
		{"http://127.0.0.1:8080/device", false}, // another origin than the one given
		{"https://idp.example.com.evil.test/x", false},
		{"https://idp.example.com:8443/x", false},
		{"--renderer-cmd-prefix=touch /tmp/x", false},
		{"-https://idp.example.com/", false},
		{"file:///etc/passwd", false},
		{"javascript:alert(1)", false},
		{"http://idp.example.com/device", false},
		{"https://user:pw@idp.example.com/x", false},
		{"https://idp.example.com/a b", false},
		{"https://idp.example.com/\x1b]0;x\x07", false},
		{"https://idp.example.com/" + strings.Repeat("a", MaxServerURL), false},
	} {
		if err := OpenableURL(tc.url, origin); (err == nil) != tc.ok {
			t.Errorf("OpenableURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
	if err := OpenableURL("http://127.0.0.1:8080/device"); err != nil {
		t.Errorf("loopback http without origins: %v", err)
	}
	if err := OpenableURL("http://example.com/"); err == nil {
		t.Error("plain http to another machine accepted")
	}
}
