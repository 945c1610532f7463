// Package protocol reads and writes the wire formats oauth2cred speaks: git's
// credential-helper attribute lines (gitcredentials(7)) and client-go's
// ExecCredential JSON. It holds no policy and does no I/O beyond the
// reader and writer it is given.
package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on git input: a credential request is a handful of short lines.
const (
	MaxLineBytes  = 64 << 10
	MaxInputBytes = 1 << 20
)

// Attr is one key=value line. Keys ending in [] may repeat.
type Attr struct {
	Key, Value string
}

// Credential is an ordered list of attributes.
type Credential []Attr

// Get returns the last value of key, or "".
func (c Credential) Get(key string) string {
	for i := len(c) - 1; i >= 0; i-- {
		if c[i].Key == key {
			return c[i].Value
		}
	}
	return ""
}

// All returns every value of a multi-valued key such as "capability[]".
func (c Credential) All(key string) []string {
	var vs []string
	for _, a := range c {
		if a.Key == key {
			vs = append(vs, a.Value)
		}
	}
	return vs
}

// Has reports whether the multi-valued key holds value.
func (c Credential) Has(key, value string) bool {
	for _, a := range c {
		if a.Key == key && a.Value == value {
			return true
		}
	}
	return false
}

// ReadCredential reads attribute lines until a blank line or EOF. An empty
// value of a multi-valued key resets it, as git does.
func ReadCredential(r io.Reader) (Credential, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, MaxInputBytes+1), 4096)
	var c Credential
	// resetAt[key] is how many attributes came before key's last reset: the
	// values before it are dropped once, at the end, so a megabyte of
	// resets parses in linear time.
	resetAt := map[string]int{}
	total := 0
	for {
		line, err := readLine(br)
		total += len(line) + 1
		if total > MaxInputBytes {
			return nil, fmt.Errorf("credential input is larger than %d bytes", MaxInputBytes)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return applyResets(c, resetAt), nil
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("credential input line %q is not key=value", truncate(line))
		}
		if strings.ContainsRune(value, 0) || strings.ContainsRune(key, 0) {
			return nil, errors.New("credential input contains a NUL byte")
		}
		if strings.HasSuffix(key, "[]") && value == "" {
			resetAt[key] = len(c)
		} else {
			c = append(c, Attr{key, value})
		}
		if errors.Is(err, io.EOF) {
			return applyResets(c, resetAt), nil
		}
	}
}

func readLine(br *bufio.Reader) (string, error) {
	frag, err := br.ReadSlice('\n')
	if err == nil || (err != bufio.ErrBufferFull) {
		return string(bytes.TrimSuffix(frag, []byte("\n"))), err
	}
	// A line longer than the buffer: gather it, within the line limit.
	buf := append([]byte(nil), frag...)
	for err == bufio.ErrBufferFull {
		if len(buf) > MaxLineBytes {
			return "", fmt.Errorf("credential input has a line longer than %d bytes", MaxLineBytes)
		}
		frag, err = br.ReadSlice('\n')
		buf = append(buf, frag...)
	}
	if len(buf) > MaxLineBytes+1 {
		return "", fmt.Errorf("credential input has a line longer than %d bytes", MaxLineBytes)
	}
	return string(bytes.TrimSuffix(buf, []byte("\n"))), err
}

// applyResets drops every value given before its key's last reset.
func applyResets(c Credential, resetAt map[string]int) Credential {
	if len(resetAt) == 0 {
		return c
	}
	out := c[:0]
	for i, a := range c {
		if at, ok := resetAt[a.Key]; !ok || i >= at {
			out = append(out, a)
		}
	}
	return out
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// WriteCredential writes attributes as git expects them. It refuses values
// that would inject another line.
func WriteCredential(w io.Writer, c Credential) error {
	var b strings.Builder
	for _, a := range c {
		// IndexByte, not ContainsAny: a value is a token of kilobytes, and
		// IndexByte scans it many bytes at a time.
		if strings.ContainsAny(a.Key, "=\n\x00") || strings.IndexByte(a.Value, '\n') >= 0 || strings.IndexByte(a.Value, 0) >= 0 {
			return fmt.Errorf("credential attribute %q holds a newline or NUL", a.Key)
		}
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
