// Package exit holds the exit codes of SPEC §2 and the error that carries
// one: every failure a command reports is an *Error with one line that
// says what happened and what to do.
package exit

import (
	"errors"
	"fmt"
)

// Exit codes of SPEC §2.
const (
	Failure     = 1 // talking to the server or the store failed
	Usage       = 2 // usage or configuration error
	Interaction = 3 // a person is needed and none can be asked
)

// Error is an error with the exit status it deserves. Msg is one line that
// says what happened and what to do.
type Error struct {
	Code int
	Msg  string
	Err  error // what happened underneath, when it is an error of its own
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is and errors.As see the error underneath.
func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an *Error with code.
func Errorf(code int, format string, a ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, a...)}
}

// Usagef is a usage or configuration error (exit 2).
func Usagef(format string, a ...any) *Error { return Errorf(Usage, format, a...) }

// Failf is a server or store failure (exit 1).
func Failf(format string, a ...any) *Error { return Errorf(Failure, format, a...) }

// Fail wraps err as a server or store failure (exit 1) unless it already
// has a code.
func Fail(err error) error {
	if err == nil {
		return nil
	}
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	return &Error{Code: Failure, Msg: err.Error(), Err: err}
}

// Code is the exit status err deserves: its own, or 1.
func Code(err error) int {
	var ee *Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	return Failure
}
