package router

import (
	"strings"
	"testing"
	"unsafe"
)

// TestExactEntryEquality probes an exact table with the hash of its key
// and the bytes of another address of the same length, as a hash collision
// would: the entry's words (and, past 16 bytes, its key) must tell them
// apart at every length and byte position.
func TestExactEntryEquality(t *testing.T) {
	for n := 2; n <= 40; n++ {
		a := "/" + strings.Repeat("x", n-1)
		h, xa, ya := hashWords(1, a)
		var x exactTable
		x = x.with(h, xa, ya, a, &leaf{bindings: []*Binding{{method: a}}})
		if _, xa, ya := hashWords(1, a); get(&x, h, xa, ya, a) == nil {
			t.Fatalf("%q: not found", a)
		}
		for i := 1; i < n; i++ {
			b := []byte(a)
			b[i] = 'y'
			_, xb, yb := hashWords(1, b)
			if e := get(&x, h, xb, yb, b); e != nil {
				t.Fatalf("%q taken for %q (byte %d differs) on equal hashes", b, a, i)
			}
		}
		// One byte shorter or longer: "/x" and "/xx" have the same words.
		for _, b := range []string{a[:n-1], a + "x"} {
			_, xb, yb := hashWords(1, b)
			if e := get(&x, h, xb, yb, b); e != nil {
				t.Fatalf("%q taken for %q on equal hashes", b, a)
			}
		}
	}
}

// An exact entry fills one cache line, so that a hit loads one line.
func TestExactEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(exactEntry{}); n != 64 {
		t.Fatalf("exactEntry is %d bytes, want 64", n)
	}
}
