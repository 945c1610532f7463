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

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"oauth2cred/helper/exit"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// setup kubectl --from-kubelogin: every kubeconfig user whose exec plugin
// is kubelogin (kubectl oidc-login get-token …, kubelogin get-token …)
// becomes an oauth2cred exec entry, with one service per (issuer, client
// id) in the config file. Only those exec blocks change: every other
// user, cluster and context stays byte for byte. kubelogin's flags (its
// pkg/cmd/get_token.go, authentication.go, tls.go) are carried over or
// named in a warning; a secret never is.

// kubeloginUser is one user to convert: where its exec block is and what
// its kubelogin flags define.
type kubeloginUser struct {
	name         string
	first, last  int // the exec block's lines, 0-based, inclusive
	indent       int // the exec key's column, 0-based
	service      string
	def          service.Definition
	secretValues []string
}

// FromKubelogin converts the kubeconfig at path (dryRun: prints the
// change, with secrets as [redacted], and writes nothing).
func FromKubelogin(set *lifecycle.Settings, path string, dryRun bool, stdout io.Writer) error {
	if path == "" {
		path = defaultKubeconfig(set)
	}
	st, err := os.Stat(path)
	if err != nil {
		return exit.Usagef("cannot read the kubeconfig %s: %v", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return exit.Usagef("cannot read the kubeconfig %s: %v", path, err)
	}
	users, err := kubeloginUsers(data, set)
	if err != nil {
		return exit.Usagef("%s: %v", path, err)
	}
	if len(users) == 0 {
		fmt.Fprintf(set.Stderr, "oauth2cred: %s has no user whose exec plugin is kubelogin\n", path)
		return nil
	}
	lines := strings.SplitAfter(string(data), "\n")
	out, diff := rewriteExec(lines, users)
	if dryRun {
		fmt.Fprintf(stdout, "# %s\n%s", path, diff)
		for _, u := range users {
			fmt.Fprintf(stdout, "# config file: [services.%q] %s\n", u.service, strings.Join(u.def.Args(), " "))
		}
		return nil
	}
	for _, u := range users {
		if err := addService(set, u.service, u.def); err != nil {
			return err
		}
	}
	if err := writeAtomic(path+".bak", data, st.Mode().Perm()); err != nil {
		return exit.Fail(err)
	}
	if err := writeAtomic(path, []byte(out), st.Mode().Perm()); err != nil {
		return exit.Fail(err)
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
	home := set.Env("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".kube", "config")
}

// kubeloginUsers finds the users to convert.
func kubeloginUsers(data []byte, set *lifecycle.Settings) ([]kubeloginUser, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n") // the rest quotes the file
		return nil, fmt.Errorf("not YAML: %s", first)
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil, nil
	}
	var out []kubeloginUser
	for _, item := range seq(field(file.Docs[0].Body, "users")) {
		user := field(item, "user")
		execKey, execVal := fieldKV(user, "exec")
		if execVal == nil || flowStyle(execVal) {
			continue
		}
		var args []string
		for _, a := range seq(field(execVal, "args")) {
			args = append(args, scalar(a))
		}
		kl, ok := kubeloginArgs(scalar(field(execVal, "command")), args)
		if !ok {
			continue
		}
		pos := execKey.GetToken().Position
		u := kubeloginUser{name: scalar(field(item, "name")), first: pos.Line - 1, last: lastLine(execVal) - 1, indent: pos.Column - 1}
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

// The kubeconfig is read with goccy/go-yaml's parser, which keeps each
// node's line and column. go.yaml.in/yaml/v3 did too, but compiled its
// regular expressions at start-up: 0.16 M instructions of every cached call.

// value is n without the tag or anchor written before it.
func value(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

// pairs are the key-value pairs of a mapping; the parser gives a mapping
// of one key as that pair alone.
func pairs(n ast.Node) []*ast.MappingValueNode {
	switch v := value(n).(type) {
	case *ast.MappingNode:
		return v.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}
	}
	return nil
}

func field(n ast.Node, key string) ast.Node {
	_, v := fieldKV(n, key)
	return v
}

func fieldKV(n ast.Node, key string) (ast.Node, ast.Node) {
	for _, p := range pairs(n) {
		if scalar(p.Key) == key {
			return p.Key, p.Value
		}
	}
	return nil, nil
}

func seq(n ast.Node) []ast.Node {
	if s, ok := value(n).(*ast.SequenceNode); ok {
		return s.Values
	}
	return nil
}

// scalar is the text of a scalar node, "" for anything else.
func scalar(n ast.Node) string {
	switch v := value(n).(type) {
	case nil:
		return ""
	case *ast.StringNode:
		return v.Value
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode, *ast.NullNode:
		return ""
	default:
		if tk := v.GetToken(); tk != nil {
			return tk.Value
		}
	}
	return ""
}

func flowStyle(n ast.Node) bool {
	switch v := value(n).(type) {
	case *ast.MappingNode:
		return v.IsFlowStyle
	case *ast.MappingValueNode:
		return v.IsFlowStyle
	}
	return false
}

// lastLine is the last line a node's value stands on.
func lastLine(n ast.Node) int {
	last := 0
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		last = tk.Position.Line
	}
	var children []ast.Node
	switch v := n.(type) {
	case *ast.TagNode:
		children = []ast.Node{v.Value}
	case *ast.AnchorNode:
		children = []ast.Node{v.Value}
	case *ast.MappingNode:
		for _, p := range v.Values {
			children = append(children, p)
		}
	case *ast.MappingValueNode:
		children = []ast.Node{v.Key, v.Value}
	case *ast.SequenceNode:
		children = v.Values
	}
	for _, c := range children {
		if c != nil {
			last = max(last, lastLine(c))
		}
	}
	return last
}

// rewriteExec replaces each user's exec block, and says what changed.
func rewriteExec(lines []string, users []kubeloginUser) (string, string) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		exe = "oauth2cred"
	}
	var out, diff strings.Builder
	next := 0
	for _, u := range users {
		for ; next < u.first; next++ {
			out.WriteString(lines[next])
		}
		pad := strings.Repeat(" ", u.indent)
		block := fmt.Sprintf("%sexec:\n%s  apiVersion: client.authentication.k8s.io/v1\n%s  command: %s\n%s  args:\n%s  - kubectl\n%s  - --service\n%s  - %s\n%s  interactiveMode: IfAvailable\n",
			pad, pad, pad, exe, pad, pad, pad, pad, u.service, pad)
		for _, l := range lines[u.first : u.last+1] {
			diff.WriteString("-" + redactLine(l, u.secretValues))
		}
		for _, l := range strings.SplitAfter(block, "\n") {
			if l != "" {
				diff.WriteString("+" + l)
			}
		}
		out.WriteString(block)
		next = u.last + 1
	}
	for ; next < len(lines); next++ {
		out.WriteString(lines[next])
	}
	return out.String(), diff.String()
}

func redactLine(l string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			l = strings.ReplaceAll(l, s, "[redacted]")
		}
	}
	if !strings.HasSuffix(l, "\n") {
		l += "\n"
	}
	return l
}

// addService adds the service to the config file unless it has it.
func addService(set *lifecycle.Settings, name string, d service.Definition) error {
	if cfg, err := set.Config(); err == nil {
		if _, ok, _ := cfg.Service(name); ok {
			return nil
		}
	}
	return appendServiceTable(set, name, d)
}

// serviceFor names the service of an issuer and client id.
func serviceFor(issuer, clientID string) string {
	host := issuer
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		host = u.Host + strings.TrimSuffix(u.Path, "/")
	}
	return service.ServiceName("kube-" + host + "-" + clientID)
}

// caFile keeps certificate-authority-data in a file beside the config file.
func caFile(set *lifecycle.Settings, name, b64 string) (string, error) {
	pem, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
		return "", fmt.Errorf("--certificate-authority-data is not a base64 PEM certificate")
	}
	path, _ := set.ConfigFile()
	p := filepath.Join(filepath.Dir(path), name+"-ca.pem")
	return p, writeAtomic(p, pem, 0o600)
}
