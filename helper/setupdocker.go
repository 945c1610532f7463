package helper

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"oauth2cred/helper/exit"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/persist"
)

// Set-up for container tools: credHelpers entries "HOST": "oauth2cred" in
// docker's config.json (which podman and skopeo read too), for the
// service's hosts. Every other key and entry stays as it was, in its
// place; the file is replaced atomically and keeps its mode.

// dockerHelper is the credHelpers value that names us (docker runs
// docker-credential-oauth2cred).
const dockerHelper = "oauth2cred"

// SetupDocker adds the service's credHelpers entries (add), or removes
// exactly those (!add).
func SetupDocker(set *lifecycle.Settings, dryRun bool, stdout io.Writer, add bool) error {
	s, err := lifecycle.Open(set, lifecycle.Use{})
	if err != nil {
		return err
	}
	defer s.Close()
	path := dockerConfigPath(set)
	data, err := os.ReadFile(path)
	mode := os.FileMode(0o600)
	switch {
	case os.IsNotExist(err):
		data = []byte("{}")
	case err != nil:
		return exit.Fail(fmt.Errorf("cannot read %s: %v", path, err))
	default:
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
	}
	top, err := parseObject(data)
	if err != nil {
		return exit.Usagef("%s is not a JSON object (%v); fix or move it first", path, err)
	}
	helpers, _ := parseObject(top.get("credHelpers"))
	changed := false
	for _, h := range s.Service().Hosts {
		have := helpers.get(h)
		switch {
		case add && have == nil:
			helpers, changed = append(helpers, member{h, json.RawMessage(`"` + dockerHelper + `"`)}), true
		case add && string(have) != `"`+dockerHelper+`"`:
			s.Warn("%s already names the helper %s for %s; left as it is", path, have, h)
		case !add && string(have) == `"`+dockerHelper+`"`:
			helpers, changed = helpers.without(h), true
		}
	}
	if !changed {
		fmt.Fprintf(set.Stderr, "oauth2cred: nothing to change in %s\n", path)
		return nil
	}
	if len(helpers) == 0 {
		top = top.without("credHelpers")
	} else {
		top = top.set("credHelpers", helpers.encode(1))
	}
	out := top.encode(0)
	if dryRun {
		_, err := fmt.Fprintf(stdout, "# %s would be:\n%s", path, out)
		return err
	}
	if err := writeAtomic(path, out, mode); err != nil {
		return exit.Fail(err)
	}
	verb := "now asks"
	if !add {
		verb = "no longer asks"
	}
	fmt.Fprintf(set.Stderr, "oauth2cred: %s %s oauth2cred for %v\n", path, verb, s.Service().Hosts)
	return nil
}

// dockerConfigPath is docker's config file: $DOCKER_CONFIG/config.json,
// else ~/.docker/config.json.
func dockerConfigPath(set *lifecycle.Settings) string {
	if d := set.Env("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home := set.Env("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker", "config.json")
}

// member is one key of a JSON object, in the file's order.
type member struct {
	key   string
	value json.RawMessage
}

type object []member

// parseObject reads a JSON object keeping its keys' order (nil is {}).
func parseObject(data []byte) (object, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var o object
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o = append(o, member{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return o, nil
}

func (o object) get(key string) json.RawMessage {
	for _, m := range o {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

func (o object) set(key string, v json.RawMessage) object {
	for i, m := range o {
		if m.key == key {
			o[i].value = v
			return o
		}
	}
	return append(o, member{key, v})
}

func (o object) without(key string) object {
	var out object
	for _, m := range o {
		if m.key != key {
			out = append(out, m)
		}
	}
	return out
}

// encode writes o as docker does (tab-indented), at the given depth.
func (o object) encode(depth int) []byte {
	var b bytes.Buffer
	pad := bytes.Repeat([]byte("\t"), depth)
	b.WriteString("{")
	for i, m := range o {
		if i > 0 {
			b.WriteString(",")
		}
		k, _ := json.Marshal(m.key)
		var v bytes.Buffer
		if json.Indent(&v, m.value, string(pad)+"\t", "\t") != nil {
			v.Write(m.value)
		}
		fmt.Fprintf(&b, "\n%s\t%s: %s", pad, k, v.Bytes())
	}
	if len(o) > 0 {
		fmt.Fprintf(&b, "\n%s", pad)
	}
	b.WriteString("}")
	if depth == 0 {
		b.WriteString("\n")
	}
	return b.Bytes()
}

// writeAtomic makes path's directory if need be and replaces path with data
// the one way persist replaces a file.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return persist.WriteAtomic(path, data, mode)
}
