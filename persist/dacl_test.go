package persist

import "testing"

// Which owners and access lists are private (SPEC §7's Windows rule), as
// Windows and Wine report them.
func TestDACLProblem(t *testing.T) {
	const me, other = "S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-1002"
	full := uint32(0x1f01ff)
	for _, tc := range []struct {
		name        string
		owner       string
		acl         []ace
		read, write bool
		wantProblem string
	}{
		{"the profile's inheritance: me, SYSTEM, Administrators", me, []ace{{0, 0x10, full, me}, {0, 0x10, full, sidSystem}, {0, 0x10, full, sidAdministrators}}, true, true, ""},
		{"Wine's view of mode 0600", me, []ace{{0, 0, full, me}, {0, 0, full, sidSystem}}, true, true, ""},
		{"Wine's view of mode 0644", me, []ace{{0, 0, full, me}, {0, 0, 0x1200a9, "S-1-1-0"}}, true, true, "readable by Everyone"},
		{"Users may write", me, []ace{{0, 0, full, me}, {0, 0, 0x116, "S-1-5-32-545"}}, false, true, "writable by Users"},
		{"Users may read, only writing forbidden", me, []ace{{0, 0, full, me}, {0, 0, 0x1200a9, "S-1-5-32-545"}}, false, true, ""},
		{"another user may read", me, []ace{{0, 0, full, me}, {0, 0, 0x120089, other}}, true, false, "readable by another account (" + other + ")"},
		{"a deny entry for Everyone", me, []ace{{1, 0, full, "S-1-1-0"}, {0, 0, full, me}}, true, true, ""},
		{"inherit-only entry for Users (a folder's default for children)", me, []ace{{0, 0, full, me}, {0, 0x08 | 0x01, full, "S-1-5-32-545"}}, true, true, ""},
		{"CREATOR OWNER", me, []ace{{0, 0, full, me}, {0, 0, full, sidCreatorOwner}}, true, true, ""},
		{"owned by Administrators (an elevated process made it)", sidAdministrators, []ace{{0, 0, full, me}}, true, true, ""},
		{"owned by another user", other, []ace{{0, 0, full, me}}, true, true, "belongs to another account (" + other + ")"},
		{"no access list", me, nil, true, true, "has no access list, so everyone may read and write it"},
	} {
		if got := daclProblem(tc.owner, me, tc.acl, tc.read, tc.write); got != tc.wantProblem {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.wantProblem)
		}
	}
	if got := icaclsFix(`C:\Users\me\AppData\Local\oauth2cred`, true); got != `icacls "C:\Users\me\AppData\Local\oauth2cred" /inheritance:r /grant:r "%USERNAME%:(OI)(CI)F"` {
		t.Errorf("icacls fix: %s", got)
	}
}
