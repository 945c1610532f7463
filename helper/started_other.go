//go:build !linux

package helper

import "time"

func processStart() (time.Time, bool) { return time.Time{}, false }
