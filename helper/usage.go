package helper

import "fmt"

// UsageError says the call itself is wrong (an operation, a format, what
// the tool wrote on stdin, a file the person must mend first), so nothing
// was tried. main maps it to its exit status.
type UsageError struct{ err error }

func (e *UsageError) Error() string { return e.err.Error() }

// Unwrap lets errors.Is and errors.As see what the message wraps (%w).
func (e *UsageError) Unwrap() error { return e.err }

// Usagef is a UsageError; %w keeps the wrapped error visible.
func Usagef(format string, a ...any) error {
	return &UsageError{fmt.Errorf(format, a...)}
}
