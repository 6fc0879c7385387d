package apisurface

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// packages are the public packages counted, relative to the module root.
var packages = []string{".", "wire", "router", "router/routertest"}

// ceiling is the most exported identifiers the counted packages may hold
// together: lower it with every change that shrinks the API. The count
// was 598 before the API was folded (issue 11), whose target is 350; 609
// before sched and netio became internal, 391 after, 350 once the
// duplicates were folded; 347 once the ways to read arguments were
// folded, 348 with the package-level SendAny, 349 with Arg.Value (the
// owned copy of one argument, which oscquery had written again).
const ceiling = 349

// count returns the exported identifiers of the package in dir: types,
// functions, variables and constants, plus the exported methods and
// struct fields (and interface methods) of its exported types. Test files
// and files for other systems than the one building are all read; a name
// declared in several build-constrained files counts once.
func count(t *testing.T, dir string) (int, []string) {
	t.Helper()
	fset := token.NewFileSet()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	add := func(name string) {
		seen[name] = true
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					add(d.Name.Name)
					continue
				}
				if recv := recvName(d.Recv.List[0].Type); ast.IsExported(recv) {
					add(recv + "." + d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						add(s.Name.Name)
						members(s.Name.Name, s.Type, add)
					case *ast.ValueSpec:
						for _, id := range s.Names {
							if id.IsExported() {
								add(id.Name)
							}
						}
					}
				}
			}
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	return len(names), names
}

func members(typ string, x ast.Expr, add func(string)) {
	var list *ast.FieldList
	switch x := x.(type) {
	case *ast.StructType:
		list = x.Fields
	case *ast.InterfaceType:
		list = x.Methods
	default:
		return
	}
	for _, f := range list.List {
		for _, id := range f.Names {
			if id.IsExported() {
				add(typ + "." + id.Name)
			}
		}
	}
}

func recvName(x ast.Expr) string {
	for {
		switch y := x.(type) {
		case *ast.StarExpr:
			x = y.X
		case *ast.IndexExpr:
			x = y.X
		case *ast.IndexListExpr:
			x = y.X
		case *ast.Ident:
			return y.Name
		default:
			return ""
		}
	}
}

// TestAPISurface fails when the public packages together export more
// identifiers than ceiling. With -v it lists the count per package, and
// OSCKIT_API_LIST=1 prints every name.
func TestAPISurface(t *testing.T) {
	total := 0
	for _, p := range packages {
		n, names := count(t, filepath.Join("..", "..", p))
		t.Logf("%-18s %4d", p, n)
		if os.Getenv("OSCKIT_API_LIST") != "" {
			for _, s := range names {
				t.Logf("  %s.%s", filepath.Base(p), s)
			}
		}
		total += n
	}
	t.Logf("%-18s %4d (ceiling %d)", "total", total, ceiling)
	if total > ceiling {
		t.Errorf("the public packages export %d identifiers, more than the ceiling of %d", total, ceiling)
	}
}

// TestNoInternalTypes fails when an exported declaration of a public
// package names a type of an internal package: a field, parameter or
// result a caller could set or receive but not name (the Server's
// configuration is osc's own types for that reason).
func TestNoInternalTypes(t *testing.T) {
	for _, p := range packages {
		dir := filepath.Join("..", "..", p)
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, e := range ents {
			n := e.Name()
			if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			internal := map[string]bool{} // local names of imported internal packages
			for _, im := range f.Imports {
				path := strings.Trim(im.Path.Value, `"`)
				if !strings.Contains(path, "/internal/") {
					continue
				}
				name := path[strings.LastIndex(path, "/")+1:]
				if im.Name != nil {
					name = im.Name.Name
				}
				internal[name] = true
			}
			if len(internal) == 0 {
				continue
			}
			check := func(what string, x ast.Node) {
				if x == nil {
					return
				}
				ast.Inspect(x, func(n ast.Node) bool {
					if s, ok := n.(*ast.SelectorExpr); ok {
						if id, ok := s.X.(*ast.Ident); ok && internal[id.Name] {
							t.Errorf("%s: %s exposes %s.%s", fset.Position(s.Pos()), what, id.Name, s.Sel.Name)
						}
					}
					return true
				})
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() {
						continue
					}
					if d.Recv != nil && !ast.IsExported(recvName(d.Recv.List[0].Type)) {
						continue
					}
					check(d.Name.Name, d.Type)
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() {
								exportedMembers(s.Type, func(x ast.Node) { check(s.Name.Name, x) })
							}
						case *ast.ValueSpec:
							for _, id := range s.Names {
								if id.IsExported() {
									check(id.Name, s.Type)
								}
							}
						}
					}
				}
			}
		}
	}
}

// exportedMembers calls f with the type of every exported field or
// interface method of x, or with x itself when it is neither a struct nor
// an interface (an alias or a defined type over another).
func exportedMembers(x ast.Expr, f func(ast.Node)) {
	var list *ast.FieldList
	switch x := x.(type) {
	case *ast.StructType:
		list = x.Fields
	case *ast.InterfaceType:
		list = x.Methods
	default:
		f(x)
		return
	}
	for _, fl := range list.List {
		if len(fl.Names) == 0 { // embedded
			f(fl.Type)
			continue
		}
		for _, id := range fl.Names {
			if id.IsExported() {
				f(fl.Type)
				break
			}
		}
	}
}
