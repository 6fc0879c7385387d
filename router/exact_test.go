package router_test

import (
	"strings"
	"testing"

	"github.com/osckit/osc/router"
)

// TestExactAddressLengths registers addresses of every length from 2 to
// 40 bytes and dispatches each, and each with one byte changed at every
// position: an exact hit compares short addresses by the words the hash
// mixes in last, which must stand for every byte.
func TestExactAddressLengths(t *testing.T) {
	rt := router.New()
	var l log
	var addrs []string
	for n := 2; n <= 40; n++ {
		a := "/" + strings.Repeat("x", n-1)
		addrs = append(addrs, a)
		if _, err := rt.Handle(a, l.handler(a)); err != nil {
			t.Fatal(err)
		}
		// A second binding on some addresses: the leaf path, not the one
		// binding kept in the entry.
		if n%7 == 0 {
			if _, err := rt.Handle(a, l.handler(a+"#2")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, a := range addrs {
		l.got = nil
		serve(rt, a)
		want := []string{a + "@" + a}
		if len(a)%7 == 0 {
			want = append(want, a+"#2@"+a)
		}
		if strings.Join(l.got, ",") != strings.Join(want, ",") {
			t.Fatalf("%q: ran %q, want %q", a, l.got, want)
		}
		for i := 1; i < len(a); i++ {
			b := []byte(a)
			b[i] = 'y'
			l.got = nil
			serve(rt, string(b))
			if len(l.got) != 0 {
				t.Fatalf("%q (%q with byte %d changed): ran %q", b, a, i, l.got)
			}
		}
	}
}
