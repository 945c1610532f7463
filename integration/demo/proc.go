package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// processAge is how long ago the kernel created process pid (Linux).
func processAge(pid int) (time.Duration, bool) {
	stat, err1 := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	uptime, err2 := os.ReadFile("/proc/uptime")
	if err1 != nil || err2 != nil {
		return 0, false
	}
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 20 {
		return 0, false
	}
	ticks, err := strconv.ParseFloat(fields[19], 64)
	up, err2 := strconv.ParseFloat(strings.Fields(string(uptime))[0], 64)
	if err != nil || err2 != nil {
		return 0, false
	}
	return time.Duration((up - ticks/100) * float64(time.Second)), true
}
