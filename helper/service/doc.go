// Package service says what a service is: its definition from presets,
// the config file, the environment, git's configuration and flags (one
// description per field, fields.go), resolved and checked into a Service,
// and which hosts it answers for.
package service
