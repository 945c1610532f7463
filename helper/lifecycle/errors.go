package lifecycle

import "fmt"

// NoPersonError says the call needs a person (to sign in, or to finish a
// sign-in under way) and none can be asked from it; the message says what
// to run where a person is. Commands map it to their exit status.
type NoPersonError struct{ err error }

func (e *NoPersonError) Error() string { return e.err.Error() }

// Unwrap lets errors.Is and errors.As see what the message wraps (%w).
func (e *NoPersonError) Unwrap() error { return e.err }

func noPersonf(format string, a ...any) error {
	return &NoPersonError{fmt.Errorf(format, a...)}
}
