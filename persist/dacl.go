package persist

import "fmt"

// Windows file privacy as a plain decision, tested on every system: a
// token file, directory or lock file must belong to the user (or SYSTEM or
// Administrators, who own what an elevated process makes), and its access
// list must let no other principal read or write it — the rule
// Win32-OpenSSH applies to private keys. Mode bits mean nothing there.

// ace is one entry of an access list, as Windows reports it.
type ace struct {
	Type  byte   // 0: allow, 1: deny
	Flags byte   // 0x08: inherit only (it applies to children, not here)
	Mask  uint32 // the rights
	SID   string // S-1-…
}

// Well-known SIDs.
const (
	sidSystem         = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
	sidCreatorOwner   = "S-1-3-0"
)

// Rights that read or write a file's (or list or add to a directory's)
// content, or hand such rights out.
const (
	readRights  = 0x1 | 0x80000000 | 0x10000000                                       // FILE_READ_DATA/LIST_DIRECTORY, GENERIC_READ, GENERIC_ALL
	writeRights = 0x2 | 0x4 | 0x40000000 | 0x10000000 | 0x40000 | 0x80000 | 0x2000000 // WRITE_DATA/ADD_FILE, APPEND, GENERIC_WRITE/ALL, WRITE_DAC, WRITE_OWNER, MAXIMUM_ALLOWED
)

// daclProblem says what is wrong with an owner and access list for user,
// "" when they are private; acl nil is no access list at all (everyone
// may do anything).
func daclProblem(owner, user string, acl []ace, forbidRead, forbidWrite bool) string {
	trusted := func(sid string) bool { return sid == user || sid == sidSystem || sid == sidAdministrators }
	if !trusted(owner) {
		return "belongs to " + sidName(owner)
	}
	if acl == nil {
		return "has no access list, so everyone may read and write it"
	}
	for _, a := range acl {
		if a.Type != 0 || a.Flags&0x08 != 0 || trusted(a.SID) || a.SID == sidCreatorOwner {
			continue
		}
		switch {
		case forbidWrite && a.Mask&writeRights != 0:
			return "writable by " + sidName(a.SID)
		case forbidRead && a.Mask&readRights != 0:
			return "readable by " + sidName(a.SID)
		}
	}
	return ""
}

func sidName(sid string) string {
	switch sid {
	case "S-1-1-0":
		return "Everyone"
	case "S-1-5-11":
		return "Authenticated Users"
	case "S-1-5-32-545":
		return "Users"
	case "S-1-5-32-546":
		return "Guests"
	}
	return "another account (" + sid + ")"
}

// icaclsFix is the command that makes path the user's alone; a directory's
// grant is inherited by what is made in it.
func icaclsFix(path string, dir bool) string {
	grant := "%USERNAME%:F"
	if dir {
		grant = "%USERNAME%:(OI)(CI)F"
	}
	return fmt.Sprintf(`icacls "%s" /inheritance:r /grant:r "%s"`, path, grant)
}
