package lifecycle

import (
	"fmt"
	"net/url"
	"strings"

	"oauth2cred/helper/service"
)

// Accounts: one service may hold several accounts (work and personal on
// one forge). The default account keeps the seed's file, .<service>-token;
// another account's files are .<service>@<account>-token: '@' never occurs
// in a service name, so no account can take another service's file, and the
// account is escaped so that no two accounts share one.

// Key names the service's store for this call's account.
func (s *Session) Key() string {
	if s.account == "" {
		return s.svc.Name
	}
	return s.svc.Name + "@" + accountKey(s.account)
}

// Label names the service and account for messages.
func (s *Session) Label() string {
	if s.account == "" {
		return fmt.Sprintf("%q", s.svc.Name)
	}
	return fmt.Sprintf("%q (account %s)", s.svc.Name, s.account)
}

// validAccount checks an account name from --account or git's username=.
func validAccount(a string) error {
	if len(a) > 128 || strings.IndexFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return service.Settingf("account %q is not allowed; use at most 128 printable characters", a)
	}
	return nil
}

// accountKey escapes every byte of the account that is not plainly safe in
// a file name (and '%' itself), so distinct accounts get distinct files.
func accountKey(a string) string {
	var b strings.Builder
	for _, c := range []byte(a) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._+-@", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// SplitKey turns a store key back into service and account.
func SplitKey(key string) (service, account string) {
	service, enc, ok := strings.Cut(key, "@")
	if !ok {
		return key, ""
	}
	account, err := url.PathUnescape(enc)
	if err != nil {
		account = enc
	}
	return service, account
}

// Accounts lists the accounts of the service that have a token file, the
// default account ("") first.
func (s *Session) Accounts() ([]string, error) {
	keys, err := s.dir.Services()
	if err != nil {
		return nil, err
	}
	out := []string{""}
	for _, k := range keys {
		if name, account := SplitKey(k); name == s.svc.Name && account != "" {
			out = append(out, account)
		}
	}
	return out, nil
}

// sameIdentity reports whether the identity the provider gave is the
// account asked for: the same name, or the same before an '@'.
func sameIdentity(account, identity string) bool {
	if identity == "" || strings.EqualFold(account, identity) {
		return true
	}
	local, _, _ := strings.Cut(identity, "@")
	return strings.EqualFold(account, local)
}
