package lifecycle

import (
	"fmt"
	"net/url"

	"oauth2cred/flow"
)

// maxQR bounds the address drawn as a QR code: a phone reads a code of a
// few hundred bytes from a terminal, and the drawing of a longer one fails.
const maxQR = 512

// showDeviceCode tells the person how to approve a device sign-in: the
// address and code always; on a terminal the address as a QR code too, so a
// phone can approve; where there is a desktop, the complete address opened
// in the browser when it is an https address on the server's own origin.
func (s *Session) showDeviceCode(who asker, issuer string) flow.DevicePrompt {
	return func(dc flow.DeviceCode) {
		out := s.ui.out()
		fmt.Fprintf(out, "To sign in to %s at %s, open %s and enter the code %s\n", s.Label(), hostOf(issuer, dc.VerificationURI), dc.VerificationURI, dc.UserCode)
		if dc.Expires > 0 {
			fmt.Fprintf(out, "The code expires in %v.\n", dc.Expires)
		}
		target := dc.VerificationURI
		if dc.VerificationURIComplete != "" {
			target = dc.VerificationURIComplete
			fmt.Fprintf(out, "(or open %s, which carries the code)\n", dc.VerificationURIComplete)
		}
		if tty := s.ui.terminal(); tty != nil && len(target) <= maxQR {
			if code, err := qrCode(target); err == nil {
				fmt.Fprintf(tty, "Or scan this with a phone:\n%s", code)
			}
		}
		if who.open != nil && dc.VerificationURIComplete != "" {
			origins := []string{issuer}
			if flow.OpenableURL(dc.VerificationURI) == nil {
				origins = append(origins, dc.VerificationURI)
			}
			if err := flow.OpenableURL(dc.VerificationURIComplete, origins...); err != nil {
				s.ui.warn("the server's verification address is not opened in a browser (%v); open the address above yourself", err)
			} else {
				fmt.Fprintf(out, "Opening your browser at that address.\n")
				go who.open(dc.VerificationURIComplete, origins...)
			}
		}
		fmt.Fprintf(out, "Waiting for approval…\n")
	}
}

// hostOf is the host a sign-in is at: the issuer's, else the address's.
func hostOf(issuer, address string) string {
	for _, u := range []string{issuer, address} {
		if p, err := url.Parse(u); err == nil && p.Host != "" {
			return p.Host
		}
	}
	return "the provider"
}
