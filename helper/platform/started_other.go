//go:build !linux

package platform

import "time"

func ProcessStart() (time.Time, bool) { return time.Time{}, false }
