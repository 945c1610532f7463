//go:build !linux

package lifecycle

import "time"

func processStart() (time.Time, bool) { return time.Time{}, false }
