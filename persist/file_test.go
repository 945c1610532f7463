package persist

import (
	"io"
	"oauth2cred/internal/testdir"
	"runtime"

	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Token {
	return &Token{AccessToken: "at", TokenType: "Bearer", RefreshToken: "rt", Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), ClientID: "c"}
}

func TestSaveLoad(t *testing.T) {
	d := Dir{Path: filepath.Join(testdir.New(t), "state", "oauth2cred")}
	if _, err := d.Load("svc"); err != ErrNotFound {
		t.Fatalf("missing: %v", err)
	}
	if err := d.Save("svc", sample()); err != nil {
		t.Fatal(err)
	}
	got, err := d.Load("svc")
	if err != nil || got.AccessToken != "at" || !got.Expiry.Equal(sample().Expiry) {
		t.Fatalf("%+v %v", got, err)
	}
	st, _ := os.Stat(d.File("svc"))
	dst, _ := os.Stat(d.Path)
	if runtime.GOOS != "windows" && (st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700) {
		t.Fatalf("modes %v %v", st.Mode(), dst.Mode())
	}
	// Private by this system's rule (Windows: the access list).
	if err := checkOwned(d.File("svc"), st, 0o077, ""); err != nil {
		t.Fatal(err)
	}
	if err := checkOwned(d.Path, dst, 0o066, ""); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(d.File("svc"))
	for _, key := range []string{`"access_token"`, `"token_type"`, `"refresh_token"`, `"expiry": "2030-01-01T00:00:00Z"`, `"client_id"`} {
		if !strings.Contains(string(raw), key) {
			t.Fatalf("file lacks %s:\n%s", key, raw)
		}
	}
	names, _ := d.Services()
	if len(names) != 1 || names[0] != "svc" {
		t.Fatalf("services %v", names)
	}
	entries, _ := os.ReadDir(d.Path)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Fatalf("temporary file left: %s", e.Name())
		}
	}
	if err := d.Delete("svc"); err != nil || d.Delete("svc") != nil {
		t.Fatal("delete")
	}
}

// FuzzDecode: no token file content panics, and what decodes encodes and
// decodes to the same token.
func FuzzDecode(f *testing.F) {
	b, _ := sample().Encode()
	f.Add(b)
	f.Add([]byte(`{"refresh_token":"r","expiry":"not a time"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Decode(data)
		if err != nil {
			return
		}
		again, err := tok.Encode()
		if err != nil {
			t.Fatal(err)
		}
		tok2, err := Decode(again)
		if err != nil || tok2.AccessToken != tok.AccessToken || tok2.RefreshToken != tok.RefreshToken || !tok2.Expiry.Equal(tok.Expiry) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// the sweep of temporary files takes only this service's own
// temporary names, and Save keeps the 1 MiB bound that Load has.
func TestSweepAndSaveBound(t *testing.T) {
	d := privateDir(t)
	d.Save("x-token.tmp5", sample())
	own := filepath.Join(d.Path, ".x-token.tmp123")
	os.WriteFile(own, nil, 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(own, old, old)
	os.Chtimes(d.File("x-token.tmp5"), old, old)
	d.Save("x", sample())
	if _, err := os.Stat(own); err == nil {
		t.Fatal("a stale temporary file of x was left")
	}
	if _, err := d.Load("x-token.tmp5"); err != nil {
		t.Fatalf("the sweep of x took another service's file: %v", err)
	}
	big := sample()
	big.IDToken = strings.Repeat("i", maxFileSize)
	if err := d.Save("x", big); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("saved %d bytes: %v", maxFileSize, err)
	}
	if got, err := d.Load("x"); err != nil || got.IDToken != "" {
		t.Fatal("the refused save changed the file")
	}
}

// privateDir is a token directory as the store makes one: 0700 (a
// directory others can list is refused, and t.TempDir's is 0755).
func privateDir(t *testing.T) Dir {
	t.Helper()
	d := Dir{Path: testdir.New(t)}
	if err := os.Chmod(d.Path, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// A save replaces the token file while another process has it open for
// reading: the reader keeps the old content, the save succeeds (Windows
// refuses a plain rename over a file another process has open; Wine, which
// lacks the POSIX rename, lets the save through once the reader is done).
func TestSaveWhileAReaderHoldsTheFile(t *testing.T) {
	d := Dir{Path: testdir.New(t) + "/tokens"}
	if err := d.Save("svc", sample()); err != nil {
		t.Fatal(err)
	}
	f, err := openNoFollow(d.File("svc"), os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := io.ReadAll(f)
	go func() { time.Sleep(300 * time.Millisecond); f.Close() }()
	second := sample()
	second.AccessToken = "replaced"
	if err := d.Save("svc", second); err != nil {
		t.Fatalf("save while a reader holds the file: %v", err)
	}
	if got, err := d.Load("svc"); err != nil || got.AccessToken != "replaced" {
		t.Fatalf("after the save: %v %v", got, err)
	}
	if !strings.Contains(string(old), `"access_token": "at"`) {
		t.Fatalf("the reader saw %q", old)
	}
}
