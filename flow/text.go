package flow

// Server-supplied text on its way to a person: secrets scrubbed in every
// encoding, terminal escapes and control characters stripped, shortened
// last.

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scrub removes secrets of the request from an error: a hostile or buggy
// server may echo them back in its error_description, in any encoding. It
// runs on the whole text, before anything is shortened for display, so a
// secret cut in half at the end cannot slip through.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var r Redactor
	r.Add(secrets...)
	replace := r.Redact
	var se *ServerError
	if errors.As(err, &se) {
		c := *se
		c.Code, c.Description = replace(c.Code), replace(c.Description)
		return &c
	}
	var re *RejectedError
	if errors.As(err, &re) {
		return &RejectedError{Err: errors.New(replace(re.Err.Error())), RefreshToken: re.RefreshToken}
	}
	if msg := replace(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// clean makes server-supplied text safe for one terminal line: terminal
// escape sequences go whole, other control characters become spaces. It
// does not shorten (see short), so secrets can still be scrubbed from it.
func clean(s string) string { return Sanitize(s) }

// short cuts cleaned text for display.
func short(s string) string {
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Sanitize strips terminal escape sequences (CSI, OSC and the rest of
// ECMA-48's) and control characters from server-supplied text, so that an
// error_description or a scope cannot repaint or retitle a terminal.
func Sanitize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b || r == 0x9b || r == 0x9d:
			i += escapeLen(s[i:])
			continue
		case r == utf8.RuneError && n == 1:
			b.WriteByte('?')
		case unicode.IsControl(r) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Bidi_Control, r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return strings.TrimSpace(b.String())
}

// escapeLen is the length of the escape sequence at the start of s.
func escapeLen(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	kind := r
	if r == 0x1b && len(s) > 1 {
		kind = rune(s[1])
		n++
		switch kind {
		case '[':
			kind = 0x9b
		case ']', 'P', '_', '^', 'X':
			kind = 0x9d
		default:
			return n // a two-byte escape
		}
	}
	for i := n; i < len(s); i++ {
		c := s[i]
		if kind == 0x9b && c >= 0x40 && c <= 0x7e {
			return i + 1 // CSI ends at its final byte
		}
		if kind == 0x9d && (c == 0x07 || (c == 0x1b && i+1 < len(s) && s[i+1] == '\\')) {
			if c == 0x1b {
				return i + 2
			}
			return i + 1 // OSC and strings end at BEL or ST
		}
	}
	return len(s)
}
