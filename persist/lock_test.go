package persist

import (
	"oauth2cred/internal/testdir"

	"context"
	"errors"
	"testing"
	"time"
)

// A logout removes the lock file while it holds the lock: the call that
// waited then holds the lock, and a third call still waits for it (the
// waiter moved to the new file, never two holders at once).
func TestRemovedLockStaysExclusive(t *testing.T) {
	d := Dir{Path: testdir.New(t) + "/tokens"}
	ctx := context.Background()
	unlock, err := d.Lock(ctx, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func())
	go func() {
		u, err := d.Lock(ctx, "s", nil)
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	time.Sleep(100 * time.Millisecond) // the second call waits on the old file
	d.RemoveLock("s")
	unlock()
	second := <-got
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if u, err := d.Lock(short, "s", nil); !errors.Is(err, ErrLockWait) {
		if u != nil {
			u()
		}
		t.Fatalf("a third call got the lock while the second held it: %v", err)
	}
	second()
}
