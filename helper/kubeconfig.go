package helper

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Editing a kubeconfig through its parser: goccy/go-yaml's node tree says
// where each exec block is, down to the token that follows it; only those
// lines are replaced, so every other user, cluster and context stays byte
// for byte. The new block is written by the YAML encoder, and the result is
// decoded again and compared with the original: anything but the replaced
// exec blocks differing refuses the edit. What the parser cannot edit
// safely (an anchor or alias on a converted user, several documents, an
// exec key that shares its line) is refused with the reason.

// execBlock is where a user's exec block stands and what it holds.
type execBlock struct {
	name        string // the user's name
	index       int    // its place in users:
	first, last int    // the block's lines, 0-based, inclusive
	indent      int    // the exec key's column, 0-based
	command     string
	args        []string
	old         yaml.MapSlice // the block as decoded, in its order
}

// kubeconfigExecs are the exec blocks of the kubeconfig's users whose
// command and args pass want, or why one of them cannot be edited safely.
func kubeconfigExecs(data []byte, want func(command string, args []string) bool) ([]execBlock, error) {
	file, err := parser.ParseBytes(data, parser.ParseComments)
	if err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n") // the rest quotes the file
		return nil, fmt.Errorf("not YAML: %s", first)
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil, nil
	}
	var out []execBlock
	for i, item := range seq(field(file.Docs[0].Body, "users")) {
		execKey, execVal := fieldKV(field(item, "user"), "exec")
		if execVal == nil {
			continue
		}
		b := execBlock{name: scalar(field(item, "name")), index: i, command: scalar(field(execVal, "command"))}
		for _, a := range seq(field(execVal, "args")) {
			b.args = append(b.args, scalar(a))
		}
		if !want(b.command, b.args) {
			continue
		}
		if len(file.Docs) > 1 {
			return nil, fmt.Errorf("the file holds %d YAML documents; kubectl reads one; split it first", len(file.Docs))
		}
		if n := anchorOrAlias(item); n != "" {
			return nil, fmt.Errorf("user %q has the YAML %s; kubectl would share it with another entry, so it cannot be rewritten alone: convert this user by hand", b.name, n)
		}
		tk := execKey.GetToken()
		if prev := tk.Prev; prev != nil && prev.Position.Line == tk.Position.Line {
			return nil, fmt.Errorf("user %q: its exec block shares a line with other keys (flow style); write it as a block first", b.name)
		}
		b.first, b.indent = tk.Position.Line-1, tk.Position.Column-1
		b.last = blockEnd(tk, data)
		if err := yaml.NodeToValue(execVal, &b.old, yaml.UseOrderedMap()); err != nil {
			return nil, fmt.Errorf("user %q: its exec block does not decode: %v", b.name, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// anchorOrAlias names an anchor (&a) or alias (*a) within n, "" when none.
func anchorOrAlias(n ast.Node) string {
	found := ""
	ast.Walk(visitFunc(func(n ast.Node) bool {
		switch v := n.(type) {
		case *ast.AnchorNode:
			found = "anchor &" + scalar(v.Name)
		case *ast.AliasNode:
			found = "alias *" + scalar(v.Value)
		}
		return found == ""
	}), n)
	return found
}

type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if n == nil || !f(n) {
		return nil
	}
	return f
}

// blockEnd is the last line (0-based) of the block whose key is tk: the
// line before the first token outside flow brackets that stands on a
// later line at the key's column or left of it, less blank lines.
func blockEnd(tk *token.Token, data []byte) int {
	lines := strings.SplitAfter(string(data), "\n")
	last := len(lines) - 1
	if lines[last] == "" {
		last--
	}
	depth := 0
	for t := tk.Next; t != nil; t = t.Next {
		if depth == 0 && t.Position.Line > tk.Position.Line && t.Position.Column <= tk.Position.Column {
			last = t.Position.Line - 2
			break
		}
		switch t.Type {
		case token.LiteralType, token.FoldedType:
			// A block scalar's text is the next token, whatever column
			// the lexer gives it.
			if t.Next != nil {
				t = t.Next
			}
		case token.SequenceStartType, token.MappingStartType:
			depth++
		case token.SequenceEndType, token.MappingEndType:
			depth--
		}
	}
	for last > tk.Position.Line-1 && strings.TrimSpace(lines[last]) == "" {
		last--
	}
	return last
}

// renderExec is an exec block as the encoder writes it, at indent.
func renderExec(exec yaml.MapSlice, indent int) (string, error) {
	b, err := yaml.MarshalWithOptions(yaml.MapSlice{{Key: "exec", Value: exec}}, yaml.Indent(2), yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return "", err
	}
	pad := strings.Repeat(" ", indent)
	var out strings.Builder
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			out.WriteString(pad)
		}
		out.WriteString(l)
	}
	s := out.String()
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s, nil
}

// replaceExecs puts each new block in place of its old one and checks the
// result: it decodes, and equals the original with those exec values
// replaced and nothing else.
func replaceExecs(data []byte, blocks []execBlock, newBlocks []string) ([]byte, error) {
	lines := strings.SplitAfter(string(data), "\n")
	var out strings.Builder
	next := 0
	for i, b := range blocks {
		for ; next < b.first; next++ {
			out.WriteString(lines[next])
		}
		out.WriteString(newBlocks[i])
		next = b.last + 1
	}
	for ; next < len(lines); next++ {
		out.WriteString(lines[next])
	}
	result := []byte(out.String())
	return result, checkRewrite(data, result, blocks, newBlocks)
}

// checkRewrite decodes before and after: after must be before with the
// blocks' exec values replaced by the new ones, and differ in nothing else.
func checkRewrite(before, after []byte, blocks []execBlock, newBlocks []string) error {
	var want, got any
	if err := yaml.Unmarshal(before, &want); err != nil {
		return fmt.Errorf("the original does not decode: %v", err)
	}
	if err := yaml.Unmarshal(after, &got); err != nil {
		return fmt.Errorf("the rewritten file would not load (%v); nothing was written", firstLine(err))
	}
	for i, b := range blocks {
		var exec map[string]any
		if err := yaml.Unmarshal([]byte(strings.TrimLeft(newBlocks[i], " ")), &exec); err != nil {
			return fmt.Errorf("user %q: the new exec block does not decode: %v", b.name, firstLine(err))
		}
		user, ok := pathTo(want, "users", b.index, "user").(map[string]any)
		if !ok {
			return errors.New("the original's users are not a list of mappings")
		}
		user["exec"] = exec["exec"]
	}
	if !reflect.DeepEqual(want, got) {
		return errors.New("rewriting the exec blocks would change other entries too; nothing was written: convert by hand")
	}
	return nil
}

// pathTo walks decoded YAML by keys and indexes.
func pathTo(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func firstLine(err error) string {
	first, _, _ := strings.Cut(err.Error(), "\n")
	return first
}

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
