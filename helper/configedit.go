package helper

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// Editing the config file: new service tables are written by the TOML
// encoder after the file's own text, the whole result is parsed again
// and each new table must read back as written before anything is
// replaced. The file is replaced atomically through a symbolic link (a
// dotfiles repository), which stays a link.

// namedService is one service table to add.
type namedService struct {
	name string
	def  service.Definition
}

// addServices adds the tables to the config file; a name the file already
// has is a mistake of the caller, and is refused rather than written twice.
func addServices(set *lifecycle.Settings, add []namedService) error {
	if len(add) == 0 {
		return nil
	}
	path, _ := set.ConfigFile()
	target, mode, data, err := readThroughLink(path, 0o600)
	if err != nil {
		return fmt.Errorf("cannot read the config file %s: %v", path, err)
	}
	out, err := withServices(path, data, add)
	if err != nil {
		return err
	}
	if err := writeAtomic(target, out, mode); err != nil {
		return fmt.Errorf("cannot write the config file %s: %v", path, err)
	}
	for _, s := range add {
		fmt.Fprintf(set.Stderr, "oauth2cred: wrote the service %q to %s\n", s.name, path)
	}
	return nil
}

// withServices is data with the tables added, checked by parsing it again.
func withServices(path string, data []byte, add []namedService) ([]byte, error) {
	before, err := service.Parse(path, data)
	if err != nil {
		return nil, Usagef("%v; fix the config file before setup adds to it", err)
	}
	out := bytes.Clone(data)
	for _, s := range add {
		if before.Has(s.name) {
			return nil, fmt.Errorf("config file %s already has a service %q; not written twice", path, s.name)
		}
		t, err := serviceTable(s.name, s.def)
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		if len(out) > 0 {
			out = append(out, '\n')
		}
		out = append(out, t...)
	}
	after, err := service.Parse(path, out)
	if err != nil {
		return nil, fmt.Errorf("adding to the config file %s would break it (%v); nothing was written", path, err)
	}
	for _, s := range add {
		got, ok, err := after.Service(s.name)
		want, _ := serviceTable(s.name, s.def)
		if have, _ := serviceTable(s.name, got); !ok || err != nil || have != want {
			return nil, fmt.Errorf("the service %q does not read back from the config file %s as written; nothing was written", s.name, path)
		}
	}
	return out, nil
}

// readThroughLink reads the file at path, following a symbolic link:
// target is the file to replace, mode its permission bits (def for a
// file that does not exist yet), data its text (nil when absent).
func readThroughLink(path string, def os.FileMode) (target string, mode os.FileMode, data []byte, err error) {
	target, mode = path, def
	if t, err := filepath.EvalSymlinks(path); err == nil {
		target = t
	} else if l, lerr := os.Readlink(path); lerr == nil {
		// A link to a file not there yet: write where it points.
		if !filepath.IsAbs(l) {
			l = filepath.Join(filepath.Dir(path), l)
		}
		target = l
	}
	data, err = os.ReadFile(target)
	if errors.Is(err, fs.ErrNotExist) {
		return target, mode, nil, nil
	}
	if err != nil {
		return "", 0, nil, err
	}
	if st, err := os.Stat(target); err == nil {
		mode = st.Mode().Perm()
	}
	return target, mode, data, nil
}

// writeAtomic makes path's directory if need be, replaces path with data
// the one way persist replaces a file, and reads it back: every file of
// another program that setup edits is written here.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := persist.WriteAtomic(path, data, mode); err != nil {
		return err
	}
	if back, err := os.ReadFile(path); err != nil || !bytes.Equal(back, data) {
		return fmt.Errorf("%s does not read back as written", path)
	}
	return nil
}
