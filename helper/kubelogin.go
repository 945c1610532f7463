package helper

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// setup kubectl --from-kubelogin: every kubeconfig user whose exec plugin
// is kubelogin (kubectl oidc-login get-token …, kubelogin get-token …)
// becomes an oauth2cred exec entry, with one service per distinct set of
// settings in the config file. kubelogin's flags (its
// pkg/cmd/get_token.go, authentication.go, tls.go) are carried over or
// named in a warning; a secret never is. Both files are edited through
// their parsers (kubeconfig.go, configedit.go).

// kubeloginUser is one user to convert.
type kubeloginUser struct {
	execBlock
	service   string
	def       service.Definition
	caPEM     []byte // --certificate-authority-data, for a file beside the config file
	hasSecret bool   // --oidc-client-secret was given
	newTable  bool   // the service is added to the config file
}

// FromKubelogin converts the kubeconfig at path (dryRun: prints the
// change, with secrets as [redacted], and writes nothing).
func FromKubelogin(set *lifecycle.Settings, path string, dryRun bool, stdout io.Writer) error {
	if path == "" {
		path = defaultKubeconfig(set)
	}
	target, mode, data, err := readThroughLink(path, 0o600)
	if err == nil && data == nil {
		err = os.ErrNotExist
	}
	if err != nil {
		return Usagef("cannot read the kubeconfig %s: %v", path, err)
	}
	users, err := kubeloginUsers(data, set)
	if err != nil {
		return Usagef("%s: %v; it was left untouched", path, err)
	}
	if len(users) == 0 {
		fmt.Fprintf(set.Stderr, "oauth2cred: %s has no user whose exec plugin is kubelogin\n", path)
		return nil
	}
	cfg, err := set.Config()
	if err != nil {
		return err
	}
	tables := nameServices(set, cfg, users)
	blocks, newBlocks, err := newExecBlocks(set, users)
	if err != nil {
		return err
	}
	out, err := replaceExecs(data, blocks, newBlocks)
	if err != nil {
		return Usagef("%s: %v", path, err)
	}
	if dryRun {
		return printConversion(set, stdout, path, users, newBlocks, tables)
	}
	if err := writeCAFiles(set, users); err != nil {
		return err
	}
	if err := addServices(set, tables); err != nil {
		return err
	}
	if err := writeAtomic(path+".bak", data, mode); err != nil {
		return err
	}
	if err := writeAtomic(target, out, mode); err != nil {
		return fmt.Errorf("cannot write the kubeconfig %s (%v); the original is %s.bak", path, err, path)
	}
	for _, u := range users {
		fmt.Fprintf(set.Stderr, "oauth2cred: user %q of %s now runs oauth2cred --service %s (the original is %s.bak)\n", u.name, path, u.service, path)
	}
	return nil
}

// defaultKubeconfig is the first file of $KUBECONFIG, else ~/.kube/config.
func defaultKubeconfig(set *lifecycle.Settings) string {
	if k := set.Env("KUBECONFIG"); k != "" {
		return filepath.SplitList(k)[0]
	}
	return filepath.Join(set.Home(), ".kube", "config")
}

// kubeloginUsers finds the users to convert and what their flags define.
func kubeloginUsers(data []byte, set *lifecycle.Settings) ([]kubeloginUser, error) {
	blocks, err := kubeconfigExecs(data, func(command string, args []string) bool {
		_, ok := kubeloginArgs(command, args)
		return ok
	})
	if err != nil {
		return nil, err
	}
	var out []kubeloginUser
	for _, b := range blocks {
		u := kubeloginUser{execBlock: b}
		kl, _ := kubeloginArgs(b.command, b.args)
		if err := u.define(kl, set); err != nil {
			return nil, fmt.Errorf("user %q: %v", u.name, err)
		}
		out = append(out, u)
	}
	return out, nil
}

// kubeloginArgs returns kubelogin's get-token flags when command and args
// run it.
func kubeloginArgs(command string, args []string) ([]string, bool) {
	base := filepath.Base(command)
	switch {
	case base == "kubectl" && len(args) >= 2 && args[0] == "oidc-login" && args[1] == "get-token":
		return args[2:], true
	case (base == "kubelogin" || base == "kubectl-oidc_login") && len(args) >= 1 && args[0] == "get-token":
		return args[1:], true
	}
	return nil, false
}

// newExecBlocks are the users' exec blocks as oauth2cred runs them, with
// what the old block had for kubectl (env, installHint,
// provideClusterInfo, interactiveMode) carried over.
func newExecBlocks(set *lifecycle.Settings, users []kubeloginUser) ([]execBlock, []string, error) {
	var blocks []execBlock
	var out []string
	for _, u := range users {
		args := append([]string{"kubectl", "--service", u.service}, locatingArgs(set)...)
		exec := yaml.MapSlice{
			{Key: "apiVersion", Value: "client.authentication.k8s.io/v1"},
			{Key: "command", Value: program()},
			{Key: "args", Value: args},
		}
		for _, k := range []string{"env", "installHint", "provideClusterInfo"} {
			if v, ok := get(u.old, k); ok {
				exec = append(exec, yaml.MapItem{Key: k, Value: v})
			}
		}
		mode, ok := get(u.old, "interactiveMode")
		if !ok {
			mode = "IfAvailable" // v1 requires it; kubelogin's users are people
		}
		exec = append(exec, yaml.MapItem{Key: "interactiveMode", Value: mode})
		text, err := renderExec(exec, u.indent)
		if err != nil {
			return nil, nil, fmt.Errorf("user %q: %v", u.name, err)
		}
		blocks, out = append(blocks, u.execBlock), append(out, text)
	}
	return blocks, out, nil
}

func get(m yaml.MapSlice, key string) (any, bool) {
	for _, it := range m {
		if it.Key == key {
			return it.Value, true
		}
	}
	return nil, false
}

// printConversion shows, per user, the exec block before (secrets as
// [redacted]) and after, and the config file's new tables.
func printConversion(set *lifecycle.Settings, stdout io.Writer, path string, users []kubeloginUser, newBlocks []string, tables []namedService) error {
	for i, u := range users {
		old := make(yaml.MapSlice, len(u.old))
		copy(old, u.old)
		for j := range old {
			if old[j].Key == "args" {
				old[j].Value = redactKubeloginArgs(u.args)
			}
		}
		before, err := renderExec(old, u.indent)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "# %s, user %q:\n%s%s", path, u.name, prefixLines("-", before), prefixLines("+", newBlocks[i]))
	}
	cfgPath, _ := set.ConfigFile()
	for _, t := range tables {
		text, err := serviceTable(t.name, t.def)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "# %s gets:\n%s", cfgPath, text)
	}
	return nil
}

func prefixLines(p, text string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" {
			b.WriteString(p + l)
		}
	}
	return b.String()
}

// serviceFor names the service of an issuer and client id.
func serviceFor(issuer, clientID string) string {
	host := issuer
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		host = u.Host + strings.TrimSuffix(u.Path, "/")
	}
	return service.ServiceName("kube-" + host + "-" + clientID)
}

// caPEM decodes --certificate-authority-data.
func caPEM(b64 string) ([]byte, error) {
	pem, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
		return nil, fmt.Errorf("--certificate-authority-data is not a base64 PEM certificate")
	}
	return pem, nil
}

// caFilePath is where a service's certificate-authority-data is kept.
func caFilePath(set *lifecycle.Settings, name string) string {
	path, _ := set.ConfigFile()
	return filepath.Join(filepath.Dir(path), name+"-ca.pem")
}

// writeCAFiles writes the CA files of the services added to the config.
func writeCAFiles(set *lifecycle.Settings, users []kubeloginUser) error {
	for _, u := range users {
		if u.newTable && u.caPEM != nil {
			if err := writeAtomic(u.def.CAFile, u.caPEM, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}
