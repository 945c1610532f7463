package helper

import (
	"fmt"

	"github.com/mdp/qrterminal/v3"

	"oauth2cred/flow"
)

// showDeviceCode tells the person how to approve a device sign-in: the
// address and code always; on a terminal the address as a QR code too, so a
// phone can approve; where there is a desktop, the complete address opened
// in the browser.
func (s *Session) showDeviceCode(who asker) flow.DevicePrompt {
	return func(dc flow.DeviceCode) {
		out := s.ui.out()
		fmt.Fprintf(out, "To sign in, open %s and enter the code %s\n", dc.VerificationURI, dc.UserCode)
		target := dc.VerificationURI
		if dc.VerificationURIComplete != "" {
			target = dc.VerificationURIComplete
			fmt.Fprintf(out, "(or open %s, which carries the code)\n", dc.VerificationURIComplete)
		}
		if tty := s.ui.terminal(); tty != nil {
			fmt.Fprintf(tty, "Or scan this with a phone:\n")
			qrterminal.GenerateWithConfig(target, qrterminal.Config{Level: qrterminal.L, Writer: tty, HalfBlocks: true, QuietZone: 2})
		}
		if who.open != nil && dc.VerificationURIComplete != "" {
			fmt.Fprintf(out, "Opening your browser at that address.\n")
			go who.open(dc.VerificationURIComplete)
		}
		fmt.Fprintf(out, "Waiting for approval…\n")
	}
}
