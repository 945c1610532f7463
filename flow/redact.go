package flow

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Redactor knows the secrets of one call — flag values, files, variables,
// tokens — and takes them out of any text meant for a person, in every
// encoding a server or a header may give them: as they are, %-encoded in
// either case, JSON-escaped (with or without "\/"), and base64 of any
// alignment and either alphabet (a Basic header carries "id:secret"). Every
// message, error, hint and --verbose line passes through one (its Writer
// wraps stderr and the terminal). The zero value is ready to use.
type Redactor struct {
	mu      sync.Mutex
	pending []string // added, forms not made yet: a call that prints nothing pays nothing
	known   []string
	plain   []string // forms replaced as they stand, longest first
	base64  []string // stable middles of base64 forms: their whole run goes
}

// minSecret: shorter values (a port, "yes") are not told apart from text.
const minSecret = 4

// Add registers secrets.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sec := range secrets {
		if len(sec) >= minSecret {
			r.pending = append(r.pending, sec)
		}
	}
}

// prepare makes the forms of the secrets added since the last call.
func (r *Redactor) prepare() {
	if len(r.pending) == 0 {
		return
	}
	for _, sec := range r.pending {
		if slices.Contains(r.known, sec) {
			continue
		}
		r.known = append(r.known, sec)
		forms := textForms(sec)
		r.plain = append(r.plain, forms...)
		for _, f := range slices.Compact(slices.Sorted(slices.Values(forms))) {
			r.base64 = append(r.base64, base64Cores(f)...) // Basic carries the %-encoded form
		}
	}
	r.pending = r.pending[:0]
	slices.SortFunc(r.plain, func(a, b string) int { return len(b) - len(a) })
	r.plain = slices.Compact(r.plain)
	slices.SortFunc(r.base64, func(a, b string) int { return len(b) - len(a) })
	r.base64 = slices.Compact(r.base64)
}

// Redact returns s with every form of every secret replaced by [redacted].
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prepare()
	for _, core := range r.base64 {
		for {
			i := strings.Index(s, core)
			if i < 0 {
				break
			}
			start, end := i, i+len(core)
			for start > 0 && isBase64(s[start-1]) {
				start--
			}
			for end < len(s) && isBase64(s[end]) {
				end++
			}
			s = s[:start] + "[redacted]" + s[end:]
		}
	}
	for _, f := range r.plain {
		s = strings.ReplaceAll(s, f, "[redacted]")
	}
	return s
}

// Writer returns w behind the redactor: each Write is redacted whole, and
// every message is written in one Write (fmt.Fprintf).
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactWriter{r, w} }

type redactWriter struct {
	r *Redactor
	w io.Writer
}

func (rw redactWriter) Write(p []byte) (int, error) {
	out := rw.r.Redact(string(p))
	if _, err := io.WriteString(rw.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// lowerEscapes writes the hex digits of %XX escapes in lower case, as
// some servers do (%2f).
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// textForms are the forms of sec that stand in text as they are.
func textForms(sec string) []string {
	forms := []string{sec}
	for _, esc := range []string{url.QueryEscape(sec), url.PathEscape(sec)} {
		forms = append(forms, esc, lowerEscapes(esc))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(sec)
	plainJSON := strings.Trim(strings.TrimSpace(b.String()), `"`)
	htmlJSON, _ := json.Marshal(sec)
	for _, j := range []string{plainJSON, strings.Trim(string(htmlJSON), `"`)} {
		forms = append(forms, j, strings.ReplaceAll(j, "/", `\/`))
	}
	return forms
}

// base64Cores are, for each alignment of sec within a base64 stream (0, 1
// or 2 bytes before it) and each alphabet, the characters that depend on
// sec's bytes alone. Whatever surrounds them in a message, the run they
// stand in is the encoding of something that holds the secret.
func base64Cores(sec string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for k := range 3 {
			b := enc.EncodeToString(append(make([]byte, k), sec...))
			start, end := (8*k+5)/6, 8*(k+len(sec))/6
			if end-start >= 6 {
				out = append(out, b[start:end])
			}
		}
	}
	return out
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

// SecretEnv are the variables of ours that carry secrets: redacted from
// every message, and no browser, opener or other child inherits them.
var SecretEnv = []string{"OAUTH2CRED_CLIENT_SECRET", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"}
