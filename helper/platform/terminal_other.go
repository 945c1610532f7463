//go:build !unix && !windows

package platform

import (
	"errors"
	"os"
)

func openTerminal() (in, out *os.File, err error) {
	return nil, nil, errors.New("no terminal on this system")
}
