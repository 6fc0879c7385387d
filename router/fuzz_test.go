package router

import (
	"testing"
)

var fuzzSeeds = [][2]string{
	{"/foo", "/foo"},
	{"/fo?", "/foo"},
	{"/*/bar", "/x/y/bar"},
	{"/*ab", "/aab"},
	{"/[!a-c]", "/d"},
	{"/[a-]", "/-"},
	{"/[z-a]", "/m"},
	{"/{foo,foobar}x", "/foobarx"},
	{"/{}x", "/x"},
	{"/{a,{b,c}}", "/b"},
	{"//bar", "/foo/bar"},
	{"/foo//baz", "/foo/x/y/baz"},
	{"//x//y", "/x/x/y"},
	{"/*a*a*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	{"/*{a,ab}*b", "/xxabab"},
	{"/[{]{[,]}", "/{]"},
}

// FuzzMatch checks Match against the regular-expression reference in
// match_slow_test.go, and validPattern against the reference's idea of a
// malformed pattern.
func FuzzMatch(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, address string) {
		got := Match(pattern, address)
		if want := slowMatch(pattern, address); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, address, got, want)
		}
		if b := Match([]byte(pattern), []byte(address)); b != got {
			t.Fatalf("Match(%q, %q) on bytes = %v, on strings %v", pattern, address, b, got)
		}
		err := validPattern(pattern)
		if len(pattern) > 0 && pattern[0] == '/' && len(pattern) <= MaxLen {
			if _, ok := slowRegexp(pattern); ok != (err == nil) {
				t.Fatalf("validPattern(%q) = %v, reference well-formed = %v", pattern, err, ok)
			}
		} else if err == nil {
			t.Fatalf("validPattern(%q) = nil", pattern)
		}
		if err := ValidAddress(address); err == nil && !Match(address, address) {
			t.Fatalf("valid address %q does not match itself", address)
		}
	})
}
