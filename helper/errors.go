package helper

import "errors"

// Exit codes of SPEC §2.
const (
	ExitFailure     = 1 // talking to the server or the store failed
	ExitUsage       = 2 // usage or configuration error
	ExitInteraction = 3 // a person is needed and none can be asked
)

// ExitError is an error with the exit status it deserves. Msg is one line
// that says what happened and what to do.
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string { return e.Msg }

func usageErr(format string, a ...any) *ExitError { return errorf(ExitUsage, format, a...) }

// failure wraps err as a server or store failure unless it already has a code.
func failure(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: ExitFailure, Msg: err.Error()}
}
