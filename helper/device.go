package helper

import (
	"fmt"

	"oauth2cred/flow"
)

// showDeviceCode tells the person how to approve a device sign-in: the
// address and code always, and where there is a desktop the complete
// address opened in the browser.
func (s *Session) showDeviceCode(who asker) flow.DevicePrompt {
	return func(dc flow.DeviceCode) {
		out := s.ui.out()
		fmt.Fprintf(out, "To sign in, open %s and enter the code %s\n", dc.VerificationURI, dc.UserCode)
		if dc.VerificationURIComplete != "" {
			fmt.Fprintf(out, "(or open %s)\n", dc.VerificationURIComplete)
			if who.open != nil {
				go func() {
					if err := who.open(dc.VerificationURIComplete); err == nil {
						fmt.Fprintf(out, "Opened your browser at that address.\n")
					}
				}()
			}
		}
		fmt.Fprintf(out, "Waiting for approval…\n")
	}
}
