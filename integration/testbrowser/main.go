// Command testbrowser stands in for a person's browser: oauth2cred runs it as
// $BROWSER with the authorization URL, and it signs in to the example
// provider as the test user. TESTBROWSER_LOG, when set, names a file that
// receives the URL it was given (to prove the browser was opened).
package main

import (
	"fmt"
	"net/url"
	"os"

	"oauth2cred/integration/op"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: testbrowser URL")
		os.Exit(2)
	}
	if f := os.Getenv("TESTBROWSER_LOG"); f != "" {
		os.WriteFile(f, []byte(os.Args[1]+"\n"), 0o600)
	}
	// The person signs in as TESTBROWSER_USER, or as the account the
	// provider's page preselects from login_hint, or as the test user.
	user := os.Getenv("TESTBROWSER_USER")
	if u, err := url.Parse(os.Args[1]); user == "" && err == nil {
		user = u.Query().Get("login_hint")
	}
	if user == "" {
		user = op.User + "@127.0.0.1"
	}
	// The page's question whether to keep the sign-in (asked when there is
	// no terminal): TESTBROWSER_SAVE, by default "no", as a person who
	// signs in only this time; "silent" leaves it unanswered.
	keep := os.Getenv("TESTBROWSER_SAVE")
	switch keep {
	case "":
		keep = "no"
	case "silent":
		keep = ""
	}
	// TESTBROWSER_FORGE=1: another site first tries to answer for the person.
	if _, err := op.PlayBrowserKeep(os.Args[1], user, op.Password, keep, os.Getenv("TESTBROWSER_FORGE") == "1"); err != nil {
		fmt.Fprintln(os.Stderr, "testbrowser:", err)
		os.Exit(1)
	}
}
