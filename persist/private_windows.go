//go:build windows

package persist

import (
	"fmt"
	"io/fs"
	"os"
	gounsafe "unsafe"

	"golang.org/x/sys/windows"
)

// checkOwned refuses a file or directory owned by another account or whose
// access list lets another principal read (forbidden has 0o044 bits) or
// write (0o022 bits) it: mode bits mean nothing on Windows, the decision is
// daclProblem's; the fix is icacls, not chmod.
func checkOwned(path string, st fs.FileInfo, forbidden fs.FileMode, _ string) error {
	owner, user, acl, err := securityOf(path)
	if err != nil {
		return fmt.Errorf("cannot read the permissions of %s: %v", path, err)
	}
	if why := daclProblem(owner, user, acl, forbidden&0o044 != 0, forbidden&0o022 != 0); why != "" {
		return unsafeFor(st, "%s %s; run '%s'%s", path, why, icaclsFix(path, st.IsDir()), leakAdvice(st))
	}
	return nil
}

// securityOf reads path's owner and access list, and this process's user.
func securityOf(path string) (owner, user string, acl []ace, err error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return "", "", nil, err
	}
	o, _, err := sd.Owner()
	if err != nil {
		return "", "", nil, err
	}
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", "", nil, err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return "", "", nil, err
	}
	if dacl == nil {
		return o.String(), tu.User.Sid.String(), nil, nil
	}
	acl = []ace{}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var a *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &a); err != nil {
			return "", "", nil, err
		}
		sid := (*windows.SID)(gounsafe.Pointer(&a.SidStart))
		acl = append(acl, ace{Type: a.Header.AceType, Flags: a.Header.AceFlags, Mask: uint32(a.Mask), SID: sid.String()})
	}
	return o.String(), tu.User.Sid.String(), acl, nil
}

// mkdirPrivate makes the directory. In the profile (%LOCALAPPDATA%) what
// it inherits grants only the user, SYSTEM and Administrators; where the
// inherited access is not private (a folder under C:\), the new directory
// gets a protected access list of its own granting those three alone,
// which its files inherit.
func mkdirPrivate(path string) error {
	_, statErr := os.Stat(path)
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	if statErr == nil {
		return nil // not ours to change: checkDir judges it
	}
	st, err := os.Stat(path)
	if err != nil || checkOwned(path, st, 0o066, "") == nil {
		return err
	}
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;" + tu.User.Sid.String() + ")(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
