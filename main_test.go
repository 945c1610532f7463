package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"oauth2cred/flow"
)

// BenchmarkCachedToken measures the in-process part of a cached `token`
// call (CLI parsing, config, token file); bench/run measures whole processes.
func BenchmarkCachedToken(b *testing.B) {
	dir := b.TempDir()
	tok := `{"access_token":"abc","token_type":"Bearer","refresh_token":"r","expiry":"2099-01-01T00:00:00Z","client_id":"c","token_url":"https://h.example.com/t"}`
	if err := os.WriteFile(filepath.Join(dir, ".b-token"), []byte(tok), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Setenv("XDG_CONFIG_HOME", dir)
	devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	stdout := os.Stdout
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()
	args := []string{"oauth2cred", "token", "--service", "b", "--client-id", "c", "--token-url", "https://h.example.com/t", "--auth-url", "https://h.example.com/a", "--token-dir", dir}
	b.ReportAllocs()
	for b.Loop() {
		app := newApp(time.Now(), &flow.Redactor{})
		onlyCommand(app, args)
		withUsageErrors(app.Commands)
		if err := app.RunContext(context.Background(), args); err != nil {
			b.Fatal(err)
		}
	}
}
