package lifecycle

import (
	"strings"

	"oauth2cred/helper/gitconf"
)

// As a git helper, the requests of a refresh or sign-in follow git's own
// network settings for the provider's URL, as `git fetch` to that URL would:
// http.proxy, http.sslCAInfo (or GIT_SSL_CAINFO), http.sslVerify (or
// GIT_SSL_NO_VERIFY), each per URL with http.<url>.*. Flags and config
// still win. Never on the cached path: only flowConfig asks.
type gitNetwork struct {
	proxy, caFile string
	insecure      bool
}

func (s *Session) gitNetwork(providerURL string) gitNetwork {
	var n gitNetwork
	// One git config call for every http.* key that applies to the URL.
	http, _ := gitconf.URLMatch("http", providerURL)
	n.proxy = strings.TrimSpace(http["proxy"])
	n.caFile = s.set.Env("GIT_SSL_CAINFO")
	if n.caFile == "" {
		n.caFile = strings.TrimSpace(http["sslcainfo"])
	}
	switch strings.ToLower(strings.TrimSpace(http["sslverify"])) {
	case "false", "no", "off", "0":
		n.insecure = true
	}
	if s.set.Env("GIT_SSL_NO_VERIFY") != "" {
		n.insecure = true
	}
	return n
}

// ProviderURL is the URL whose git settings apply: the issuer, else the
// token endpoint.
func (s *Session) ProviderURL() string {
	if s.svc.Issuer != "" {
		return s.svc.Issuer
	}
	return s.svc.TokenURL
}
