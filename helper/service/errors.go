package service

import "fmt"

// SettingError says a service's settings (its flags, environment or config
// file) are wrong or missing: a person must change them, and nothing was
// asked of a server. Commands map it to their exit status at their edge.
type SettingError struct{ err error }

func (e *SettingError) Error() string { return e.err.Error() }

// Unwrap lets errors.Is and errors.As see what the message wraps (%w).
func (e *SettingError) Unwrap() error { return e.err }

// Settingf is a SettingError; %w keeps the wrapped error visible.
func Settingf(format string, a ...any) error {
	return &SettingError{fmt.Errorf(format, a...)}
}
