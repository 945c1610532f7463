package persist

import (
	"errors"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// winKeyring refuses what Windows' Credential Manager refuses: a secret
// over 2560 bytes (go-keyring v0.2.8's keyring_windows.go), the same
// ErrSetDataTooBig macOS gives past its 4096-byte command line.
type winKeyring struct{ entries map[string]string }

func (k *winKeyring) Get(s, u string) (string, error) {
	v, ok := k.entries[s+"/"+u]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *winKeyring) Set(s, u, p string) error {
	if len(p) > 2560 {
		return keyring.ErrSetDataTooBig
	}
	k.entries[s+"/"+u] = p
	return nil
}

func (k *winKeyring) Delete(s, u string) error { delete(k.entries, s+"/"+u); return nil }

// a token set too large for the keyring keeps what restores
// it (refresh token and origin record), and says why; it is not "no
// keyring". Without a refresh token the real cause is reported.
func TestKeyringKeepsWhatFits(t *testing.T) {
	k := Keyring{Backend: &winKeyring{entries: map[string]string{}}}
	big := sample()
	big.RefreshToken = "rt-keep-me"
	big.IDToken = strings.Repeat("i", 3000) // a Keycloak ID token with its claims
	big.Issuer, big.ClientID, big.Bound = "https://kc.example.com/realms/r", "c", true
	err := k.Save("svc", big)
	var slim *KeptSlimError
	if !errors.As(err, &slim) || errors.Is(err, ErrNoKeyring) {
		t.Fatalf("save: %v", err)
	}
	got, err := k.Load("svc")
	if err != nil {
		t.Fatal(err)
	}
	if got.RefreshToken != "rt-keep-me" || got.AccessToken != "" || got.IDToken != "" || got.Issuer != big.Issuer || got.ClientID != "c" || !got.Bound {
		t.Fatalf("kept %+v", got)
	}
	noRefresh := *big
	noRefresh.RefreshToken = ""
	if err := k.Save("svc2", &noRefresh); !errors.Is(err, ErrKeyringTooBig) || errors.Is(err, ErrNoKeyring) {
		t.Fatalf("save without refresh token: %v", err)
	}
	if err := k.Save("small", sample()); err != nil {
		t.Fatalf("a token that fits: %v", err)
	}
}
