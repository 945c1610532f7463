package exit

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

// Each error carries the exit status it deserves, and what it wraps stays
// visible to errors.Is and errors.As.
func TestCodes(t *testing.T) {
	wrapped := Fail(fmt.Errorf("cannot read: %w", fs.ErrNotExist))
	for _, tc := range []struct {
		err  error
		want int
	}{
		{Usagef("bad %s", "flag"), Usage},
		{Failf("server said no"), Failure},
		{Errorf(Interaction, "nobody here"), Interaction},
		{Fail(Usagef("kept")), Usage},
		{wrapped, Failure},
		{fmt.Errorf("context: %w", Errorf(Interaction, "x")), Interaction},
		{errors.New("plain"), Failure},
	} {
		if got := Code(tc.err); got != tc.want {
			t.Errorf("%v: code %d, want %d", tc.err, got, tc.want)
		}
	}
	if !errors.Is(wrapped, fs.ErrNotExist) {
		t.Error("Fail hides the error it wraps")
	}
	if Fail(nil) != nil {
		t.Error("Fail(nil) is not nil")
	}
}
