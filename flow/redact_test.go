package flow

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// The redactor takes a secret out in every form a server or a header can
// give it, and leaves no byte of a base64 run that carries it.
func TestRedactorForms(t *testing.T) {
	const rt = "rt/abc+def=ghi/jkl"
	var r Redactor
	r.Add(rt, "ab") // too short to tell from text: ignored
	lower := strings.ToLower(url.QueryEscape(rt))
	cases := map[string]string{
		"raw":               "token " + rt + " is dead",
		"query escaped":     "token " + url.QueryEscape(rt) + " is dead",
		"lower-case escape": "token " + lower + " is dead",
		"path escaped":      "token " + url.PathEscape(rt) + " is dead",
		"json slash":        `{"error_description":"token ` + strings.ReplaceAll(rt, "/", `\/`) + ` is dead"}`,
	}
	for k := range 3 {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			prefix := strings.Repeat("x", k)
			cases["base64 after "+prefix+"/"+enc.EncodeToString([]byte("a"))] = "Basic " + enc.EncodeToString([]byte(prefix+rt+"tail")) + " is dead"
		}
	}
	cases["basic of id:escaped"] = "Basic " + base64.StdEncoding.EncodeToString([]byte("client:"+url.QueryEscape(rt))) + " is dead"
	for name, text := range cases {
		got := r.Redact(text)
		if !strings.HasSuffix(got, " is dead") && !strings.HasSuffix(got, ` is dead"}`) || !strings.Contains(got, "[redacted]") {
			t.Errorf("%s: %q", name, got)
			continue
		}
		// Nothing of the run that carried it may stay: not even 1-2 bytes.
		if strings.Contains(text, "Basic ") && got != "Basic [redacted] is dead" {
			t.Errorf("%s: %q leaves part of the run", name, got)
		}
		for _, part := range []string{"abc", "jkl", "ghi"} {
			if strings.Contains(got, part) {
				t.Errorf("%s: %q survived in %q", name, part, got)
			}
		}
	}
	if got := r.Redact("port ab is fine"); got != "port ab is fine" {
		t.Errorf("a short value was redacted: %q", got)
	}
}
