package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Settings are made once: by the flag parser (settingsFrom) and, for a
// call routed to another service or account, as a copy (Settings.For,
// ForAccount). No other
// code assigns an exported field of a Settings (checked over the syntax of
// the product's code; a variable's type is read from its declaration).
func TestSettingsAreAssignedOnlyWhereMade(t *testing.T) {
	fields := settingsFields(t)
	allowed := map[string]bool{"settingsFrom": true, "For": true, "ForAccount": true}
	checked := 0
	productFiles(t, func(path string, f *ast.File) {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || allowed[fn.Name.Name] {
				continue
			}
			checked++
			vars := settingsVars(fn)
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok {
					return true
				}
				for _, lhs := range as.Lhs {
					sel, ok := lhs.(*ast.SelectorExpr)
					if !ok {
						continue
					}
					if x, ok := sel.X.(*ast.Ident); ok && vars[x.Name] && fields[sel.Sel.Name] {
						t.Errorf("%s: %s assigns %s.%s after the Settings were made", path, fn.Name.Name, x.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
	})
	if checked < 200 {
		t.Fatalf("only %d functions checked", checked)
	}
}

// productFiles calls fn with the syntax of each file of the product's
// code: no tests, no integration harness, no benchmark.
func productFiles(t *testing.T, fn func(path string, f *ast.File)) {
	t.Helper()
	filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() && (path == "integration" || path == "bench") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		fn(path, f)
		return nil
	})
}

// settingsFields are the exported fields of lifecycle.Settings.
func settingsFields(t *testing.T) map[string]bool {
	f, err := parser.ParseFile(token.NewFileSet(), "helper/lifecycle/settings.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Settings" {
			return true
		}
		for _, fl := range ts.Type.(*ast.StructType).Fields.List {
			for _, name := range fl.Names {
				if name.IsExported() {
					out[name.Name] = true
				}
			}
		}
		return false
	})
	if len(out) < 15 {
		t.Fatalf("found %d fields of Settings", len(out))
	}
	return out
}

// settingsVars are the names a function declares as Settings: receiver,
// parameters, and variables made from a Settings literal or value.
func settingsVars(fn *ast.FuncDecl) map[string]bool {
	out := map[string]bool{}
	isSettings := func(e ast.Expr) bool {
		if s, ok := e.(*ast.StarExpr); ok {
			e = s.X
		}
		switch v := e.(type) {
		case *ast.Ident:
			return v.Name == "Settings"
		case *ast.SelectorExpr:
			return v.Sel.Name == "Settings"
		}
		return false
	}
	var lists []*ast.FieldList
	if fn.Recv != nil {
		lists = append(lists, fn.Recv)
	}
	lists = append(lists, fn.Type.Params)
	for _, l := range lists {
		for _, f := range l.List {
			if isSettings(f.Type) {
				for _, n := range f.Names {
					out[n.Name] = true
				}
			}
		}
	}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != len(as.Rhs) {
			return true
		}
		for i, rhs := range as.Rhs {
			id, ok := as.Lhs[i].(*ast.Ident)
			if !ok {
				continue
			}
			switch r := rhs.(type) {
			case *ast.UnaryExpr:
				if cl, ok := r.X.(*ast.CompositeLit); ok && isSettings(cl.Type) {
					out[id.Name] = true
				}
			case *ast.CompositeLit:
				if isSettings(r.Type) {
					out[id.Name] = true
				}
			case *ast.StarExpr:
				if x, ok := r.X.(*ast.Ident); ok && out[x.Name] {
					out[id.Name] = true
				}
			}
		}
		return true
	})
	return out
}
