package osc_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// oscpyLines are the non-blank lines of oscpy's README examples, imports
// and comment-only lines left out (oscpy's README as of February 2025).
var oscpyLines = map[string]int{
	"Example_bind":       10,
	"Example_decorator":  7,
	"Example_pingPong":   20,
	"Example_clientLoop": 5,
	"Example_encoding":   12,
}

// osckitLines are the lines each port takes today: a ceiling, so that an
// example can only get shorter. The client loop takes oscpy's five lines:
// the package-level SendAny needs no Dial to check nor Close, as it keeps
// a client per destination the way oscpy's program keeps its OSCClient.
var osckitLines = map[string]int{
	"Example_bind":       12,
	"Example_decorator":  9,
	"Example_pingPong":   26,
	"Example_clientLoop": 5,
	"Example_encoding":   15,
}

// overLimit are the examples allowed more than 1.3 times oscpy's lines:
// none since the client loop sends with SendAny.
var overLimit = map[string]bool{}

// TestOscpyExampleLines holds each port of an oscpy README example to at
// most 1.3 times oscpy's lines (but for overLimit) and to at most the
// lines it takes today (osckitLines), counted alike: the lines of the
// function body that are not blank, not only a comment, and not the peer
// that oscpy's program leaves out (marked "(peer)").
func TestOscpyExampleLines(t *testing.T) {
	src, err := os.ReadFile("oscpy_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "oscpy_example_test.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	seen := 0
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || oscpyLines[fn.Name.Name] == 0 {
			continue
		}
		seen++
		from, to := fset.Position(fn.Body.Lbrace).Line, fset.Position(fn.Body.Rbrace).Line
		n := 0
		for _, l := range lines[from : to-1] {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "//") || strings.HasSuffix(l, "// (peer)") {
				continue
			}
			n++
		}
		want := oscpyLines[fn.Name.Name]
		t.Logf("%-20s oscpy %2d  osckit %2d  (%.2fx)", fn.Name.Name, want, n, float64(n)/float64(want))
		if ceil := osckitLines[fn.Name.Name]; n > ceil {
			t.Errorf("%s has %d lines, more than its ceiling of %d", fn.Name.Name, n, ceil)
		}
		if !overLimit[fn.Name.Name] && float64(n) > 1.3*float64(want) {
			t.Errorf("%s has %d lines, more than 1.3 times oscpy's %d", fn.Name.Name, n, want)
		}
	}
	if seen != len(oscpyLines) {
		t.Errorf("found %d of the %d examples", seen, len(oscpyLines))
	}
}
