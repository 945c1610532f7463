package helper

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"oauth2cred/helper/lifecycle"
)

// Set-up for container tools: credHelpers entries "HOST": "oauth2cred" in
// docker's config.json (which podman and skopeo read too), for the
// service's hosts. Only those entries are spliced in or cut out (gjson
// finds them, sjson cuts): every other byte of the file stays, its
// indentation included. The result is decoded again and must equal the
// original with exactly those entries changed. The file is replaced
// atomically, through a symbolic link, keeping its mode.

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
	target, mode, data, err := readThroughLink(path, 0o600)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", path, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}\n")
	}
	if !gjson.ValidBytes(data) || !gjson.ParseBytes(data).IsObject() {
		return Usagef("%s is not a JSON object; fix or move it first", path)
	}
	out, changes, err := editCredHelpers(data, s.Service().Hosts, add, func(host, other string) {
		s.Warn("%s already names the helper %s for %s; left as it is", path, other, host)
	})
	if err != nil {
		return fmt.Errorf("cannot edit %s: %v", path, err)
	}
	if len(changes) == 0 {
		fmt.Fprintf(set.Stderr, "oauth2cred: nothing to change in %s\n", path)
		return nil
	}
	if err := checkDockerEdit(data, out, changes, add); err != nil {
		return fmt.Errorf("%s: %v; nothing was written", path, err)
	}
	sign, verb := "+", "now asks"
	if !add {
		sign, verb = "-", "no longer asks"
	}
	if dryRun {
		// Only the entries: the rest of the file holds other registries'
		// credentials.
		fmt.Fprintf(stdout, "# %s, credHelpers:\n", path)
		for _, h := range changes {
			fmt.Fprintf(stdout, "%s %q: %q\n", sign, h, dockerHelper)
		}
		return nil
	}
	if err := writeAtomic(target, out, mode); err != nil {
		return err
	}
	fmt.Fprintf(set.Stderr, "oauth2cred: %s %s oauth2cred for %v\n", path, verb, changes)
	if _, err := exec.LookPath("docker-credential-" + dockerHelper); err != nil && add {
		s.Warn("docker-credential-%s is not on PATH, so docker, podman and skopeo will not find the helper; link it: ln -s \"$(command -v oauth2cred)\" ~/.local/bin/docker-credential-%s (a directory on PATH)", dockerHelper, dockerHelper)
	}
	return nil
}

// editCredHelpers adds (or removes) the hosts' entries in data, and says
// which hosts changed; another helper's entry is left, and reported to taken.
func editCredHelpers(data []byte, hosts []string, add bool, taken func(host, other string)) ([]byte, []string, error) {
	var changes []string
	out := data
	for _, h := range hosts {
		have := gjson.GetBytes(out, "credHelpers."+jsonPathKey(h))
		var err error
		switch {
		case add && !have.Exists():
			out, err = addCredHelper(out, h)
		case add && have.String() != dockerHelper:
			taken(h, have.Raw)
			continue
		case !add && have.Exists() && have.Type == gjson.String && have.String() == dockerHelper:
			out, err = removeCredHelper(out, h)
		default:
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		changes = append(changes, h)
	}
	return out, changes, nil
}

// dockerConfigPath is docker's config file: $DOCKER_CONFIG/config.json,
// else ~/.docker/config.json.
func dockerConfigPath(set *lifecycle.Settings) string {
	if d := set.Env("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	return filepath.Join(set.Home(), ".docker", "config.json")
}

// jsonPathKey escapes a key for a gjson/sjson path (a host has dots).
func jsonPathKey(k string) string {
	var b strings.Builder
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// addCredHelper splices "host": "oauth2cred" into credHelpers, making that
// object when the file has none, in the file's own indentation.
func addCredHelper(data []byte, host string) ([]byte, error) {
	unit := indentUnit(data)
	entry, _ := json.Marshal(host)
	member := string(entry) + ": " + `"` + dockerHelper + `"`
	if unit == "" {
		member = string(entry) + `:"` + dockerHelper + `"`
	}
	helpers := gjson.GetBytes(data, "credHelpers")
	if helpers.Exists() {
		if !helpers.IsObject() {
			return nil, fmt.Errorf("credHelpers is not an object")
		}
		return insertMember(data, helpers.Index, helpers.Index+len(helpers.Raw), member, 2, unit), nil
	}
	obj := "{" + nl(unit) + strings.Repeat(unit, 2) + member + nl(unit) + unit + "}"
	key := `"credHelpers": `
	if unit == "" {
		key = `"credHelpers":`
	}
	start, end := bytes.IndexByte(data, '{'), bytes.LastIndexByte(data, '}')+1
	return insertMember(data, start, end, key+obj, 1, unit), nil
}

// removeCredHelper cuts the entry out, and credHelpers when it is then empty.
func removeCredHelper(data []byte, host string) ([]byte, error) {
	out, err := sjson.DeleteBytes(data, "credHelpers."+jsonPathKey(host))
	if err != nil {
		return nil, err
	}
	if h := gjson.GetBytes(out, "credHelpers"); h.IsObject() && len(h.Map()) == 0 {
		return sjson.DeleteBytes(out, "credHelpers")
	}
	return out, nil
}

// insertMember puts member last in the object data[start:end] ({…}), at
// depth, after a comma where the object has members.
func insertMember(data []byte, start, end int, member string, depth int, unit string) []byte {
	closing := end - 1 // the object's }
	last := closing - 1
	for last > start && (data[last] == ' ' || data[last] == '\t' || data[last] == '\n' || data[last] == '\r') {
		last--
	}
	var b bytes.Buffer
	b.Write(data[:last+1])
	if data[last] != '{' {
		b.WriteByte(',')
	}
	b.WriteString(nl(unit) + strings.Repeat(unit, depth) + member)
	if ws := data[last+1 : closing]; len(bytes.TrimSpace(ws)) == 0 && bytes.Contains(ws, []byte("\n")) {
		b.Write(ws)
	} else {
		b.WriteString(nl(unit) + strings.Repeat(unit, depth-1))
	}
	b.Write(data[closing:])
	return b.Bytes()
}

func nl(unit string) string {
	if unit == "" {
		return ""
	}
	return "\n"
}

// indentUnit is the file's indentation: the white space before its first
// indented key; "" for a file on one line; a tab, as docker writes, for
// an empty object.
func indentUnit(data []byte) string {
	s := string(bytes.TrimSpace(data))
	if s == "{}" {
		return "\t"
	}
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return ""
	}
	rest := s[i+1:]
	return rest[:len(rest)-len(strings.TrimLeft(rest, " \t"))]
}

// checkDockerEdit decodes before and after: after must be before with the
// hosts' entries added (or removed), and nothing else changed.
func checkDockerEdit(before, after []byte, hosts []string, add bool) error {
	var want, got map[string]any
	if err := json.Unmarshal(before, &want); err != nil {
		return err
	}
	if err := json.Unmarshal(after, &got); err != nil {
		return fmt.Errorf("the edited file would not parse (%v)", err)
	}
	helpers, _ := want["credHelpers"].(map[string]any)
	if helpers == nil {
		helpers = map[string]any{}
	}
	for _, h := range hosts {
		if add {
			helpers[h] = dockerHelper
		} else {
			delete(helpers, h)
		}
	}
	want["credHelpers"] = helpers
	if len(helpers) == 0 {
		delete(want, "credHelpers")
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("the edit would change more than the credHelpers entries")
	}
	return nil
}
