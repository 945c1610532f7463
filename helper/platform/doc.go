// Package platform holds what differs by operating system, one concern to
// a file: where files live (paths.go), which program opens a browser
// (opener.go), the person's terminal (terminal*.go) and when this process
// started (started*.go). Each decision is a plain function of the system
// and its environment, tested for every system on every system; only the
// calls into the system sit behind build tags. File privacy, which the
// token store enforces, lives with it in persist (private*.go).
package platform
