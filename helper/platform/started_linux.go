package platform

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// ProcessStart is when the kernel created this process: calls that git or
// a CI runner starts together count as parallel even when the Go runtime of
// one of them comes up after another has finished a refresh. It reads
// /proc, so only the slow path asks for it.
func ProcessStart() (time.Time, bool) {
	stat, err1 := os.ReadFile("/proc/self/stat")
	uptime, err2 := os.ReadFile("/proc/uptime")
	now := time.Now()
	if err1 != nil || err2 != nil {
		return time.Time{}, false
	}
	// The command name (field 2) may hold spaces; fields count from ")".
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 20 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseFloat(fields[19], 64) // field 22: starttime
	up, err2 := strconv.ParseFloat(strings.Fields(string(uptime))[0], 64)
	if err != nil || err2 != nil {
		return time.Time{}, false
	}
	const clockTicks = 100 // USER_HZ, fixed at 100 in Linux's ABI
	age := time.Duration((up - ticks/clockTicks) * float64(time.Second))
	if age < 0 || age > time.Hour {
		return time.Time{}, false
	}
	return now.Add(-age), true
}
