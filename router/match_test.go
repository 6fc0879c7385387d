package router

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/osckit/osc/wire"
)

type patternCase struct {
	Pattern     string `json:"pattern"`
	Address     string `json:"address"`
	ShouldMatch bool   `json:"should_match"`
	Construct   string `json:"construct"`
	Note        string `json:"note"`
}

func loadPatternVectors(t testing.TB) []patternCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/patterns.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Count int           `json:"count"`
		Cases []patternCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cases) == 0 || len(v.Cases) != v.Count {
		t.Fatalf("vectors: %d cases, count says %d", len(v.Cases), v.Count)
	}
	return v.Cases
}

func TestMatchVectors(t *testing.T) {
	for _, c := range loadPatternVectors(t) {
		if got := Match(c.Pattern, c.Address); got != c.ShouldMatch {
			t.Errorf("Match(%q, %q) = %v, want %v (%s %s)", c.Pattern, c.Address, got, c.ShouldMatch, c.Construct, c.Note)
		}
		if got := Match([]byte(c.Pattern), []byte(c.Address)); got != c.ShouldMatch {
			t.Errorf("Match(%q, %q) = %v, want %v", c.Pattern, c.Address, got, c.ShouldMatch)
		}
		if got := slowMatch(c.Pattern, c.Address); got != c.ShouldMatch {
			t.Errorf("slowMatch(%q, %q) = %v, want %v", c.Pattern, c.Address, got, c.ShouldMatch)
		}
	}
}

func TestMatchMore(t *testing.T) {
	cases := []struct {
		p, a string
		want bool
	}{
		{"/a", "/a", true},
		{"/", "/", true},
		{"/", "/a", false},
		{"/a/", "/a/", true},
		{"/a/", "/a", false},
		{"/a/*", "/a/", true},
		{"//", "/", true},
		{"//", "/x/", true},
		{"//", "/x", false},
		{"///b", "/x/y/b", true},
		{"/a//", "/a", false},
		{"/a//b//c", "/a/x/b/y/z/c", true},
		{"/a//b//c", "/a/b/c", true},
		{"/a//b//c", "/a/c", false},
		{"//x//y", "/x/x/y", true},
		{"//*", "/a/b", true},
		{"//{a,b}", "/q/b", true},
		{"/[!]", "/a", false},
		{"/[!a-]", "/-", false},
		{"/[!a-]", "/b", true},
		{"/[a-c-e]", "/-", true},
		{"/[a-c-e]", "/d", false},
		{"/[--0]", "/.", true},
		{"/[{]", "/{", true},
		{"/{[,*}", "/[", true},
		{"/{[,*}", "/*", true},
		{"/{[,*}", "/x", false},
		{"/{,x}y", "/y", true},
		{"/{,x}y", "/xy", true},
		{"/{a,}", "/", true},
		{"/{a,ab}{b,}c", "/abc", true},
		{"/*{a,ab}*b", "/xxabab", true},
		{"/*{a,ab}", "/xab", true},
		{"/*{a,ab}", "/xb", false},
		{"/a]", "/a]", false},
		{"/a}", "/a}", false},
		{"/a", "a", false},
		{"a", "/a", false},
		{"", "", false},
		{"/a", "", false},
		{"/\\", "/\\", true},
		{"/a b", "/a b", true},
		{"/é", "/é", true},
		{"/?", "/é", false}, // two bytes
		{"/??", "/é", true},
		{"/*a*a*a*a*a*b", "/" + strings.Repeat("a", 1000), false},
		{"/" + strings.Repeat("{a,aa}", 100) + "b", "/" + strings.Repeat("a", 150), false},
		{"/" + strings.Repeat("a", MaxLen), "/" + strings.Repeat("a", MaxLen), false}, // too long
		{"/" + strings.Repeat("a", MaxLen-1), "/" + strings.Repeat("a", MaxLen-1), true},
		{strings.Repeat("/", MaxLen), "/a/b/", true},
	}
	for _, c := range cases {
		if got := Match(c.p, c.a); got != c.want {
			t.Errorf("Match(%.40q, %.40q) = %v, want %v", c.p, c.a, got, c.want)
		}
		if got := slowMatch(c.p, c.a); got != c.want {
			t.Errorf("slowMatch(%.40q, %.40q) = %v, want %v", c.p, c.a, got, c.want)
		}
	}
}

func TestValidPattern(t *testing.T) {
	checkValid(t, "validPattern", validPattern, []validCase{
		{"/a/b", 0, nil},
		{"//a/{b,c}/[!x-z]*?", 0, nil},
		{"", 0, errAddress},
		{"a", 0, errAddress},
		{"/[]", 1, errEmptySet},
		{"/x[!]", 2, errEmptySet},
		{"/[abc", 1, errUnclosedSet},
		{"/[a/b]", 1, errUnclosedSet},
		{"/{a,b", 1, errUnclosedBrace},
		{"/{a,{b,c}}", 4, errNestedBrace},
		{"/{a/b,c}", 3, errSlashInBrace},
		{"/a]", 2, errUnmatched},
		{"/a}", 2, errUnmatched},
		{"/" + strings.Repeat("a", MaxLen), MaxLen, errTooLong},
	})
}

func TestValidAddress(t *testing.T) {
	checkValid(t, "ValidAddress", ValidAddress, []validCase{
		{"/a/b", 0, nil},
		{"/synth/1/freq", 0, nil},
		{"/é-_.~!$", 0, nil},
		{"", 0, errAddress},
		{"a/b", 0, errAddress},
		{"/", 1, errEmptyPart},
		{"/a/", 3, errEmptyPart},
		{"/a//b", 3, errEmptyPart},
		{"/a b", 2, errReserved},
		{"/a#", 2, errReserved},
		{"/a,b", 2, errReserved},
		{"/a\x00", 2, errReserved},
		{"/foo/*", 5, errPatternChar},
		{"/foo/{a,b}", 5, errPatternChar},
		{"/a?", 2, errPatternChar},
		{"/a]", 2, errPatternChar},
		{"/" + strings.Repeat("a", MaxLen), MaxLen, errTooLong},
	})
}

// validCase is an input to validPattern or ValidAddress and the error it
// must get (nil for none), at byte offset off.
type validCase struct {
	s   string
	off int
	err error
}

// checkValid runs valid, validPattern or ValidAddress, over the cases.
func checkValid(t *testing.T, name string, valid func(string) error, cases []validCase) {
	t.Helper()
	for _, c := range cases {
		err := valid(c.s)
		if c.err == nil {
			if err != nil {
				t.Errorf("%s(%q) = %v, want nil", name, c.s, err)
			}
			continue
		}
		var pe *wire.ParseError
		if !errors.As(err, &pe) || !errors.Is(err, c.err) || pe.Off != c.off {
			t.Errorf("%s(%.20q) = %v, want %v at offset %d", name, c.s, err, c.err, c.off)
		}
	}
}
