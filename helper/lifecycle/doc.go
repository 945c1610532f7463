// Package lifecycle is one account's token over time: opened for a call
// (Open), handed out while valid, refreshed under the service's lock
// (read → refresh → write, one refresh for N parallel calls), obtained by
// a sign-in when no token can be, saved as the person chooses, dropped and
// revoked. Every token carries the configuration it was issued for, and
// is used only with that configuration (binding.go).
package lifecycle
