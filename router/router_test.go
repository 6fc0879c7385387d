package router_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/router/routertest"
	"github.com/osckit/osc/wire"
)

// log records the methods of the handlers that ran.
type log struct{ got []string }

func (l *log) handler(name string) router.Handler {
	return router.HandlerFunc(func(w router.ResponseWriter, r *router.Request) {
		l.got = append(l.got, name+"@"+r.Method)
	})
}

func serve(rt *router.Router, address string, args ...wire.Value) *routertest.Recorder {
	rec := routertest.NewRecorder()
	rt.ServeOSC(rec, routertest.NewRequest(address, args...))
	return rec
}

func TestDispatchVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/patterns.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Cases []struct {
			Pattern     string `json:"pattern"`
			Address     string `json:"address"`
			ShouldMatch bool   `json:"should_match"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || len(v.Cases) == 0 {
		t.Fatalf("vectors: %v, %d cases", err, len(v.Cases))
	}
	for _, c := range v.Cases {
		// The address as a method, the pattern as the incoming address;
		// an address with pattern characters would bind a pattern.
		var rt router.Router
		hits := 0
		var err error
		if router.ValidAddress(c.Address) == nil {
			_, err = rt.Handle(c.Address, router.HandlerFunc(func(router.ResponseWriter, *router.Request) { hits++ }))
		} else {
			err = router.ValidAddress(c.Address)
		}
		if err != nil {
			if c.ShouldMatch {
				t.Errorf("Handle(%q): %v", c.Address, err)
			}
		} else {
			serve(&rt, c.Pattern)
			if (hits == 1) != c.ShouldMatch || hits > 1 {
				t.Errorf("dispatch of %q to method %q: %d calls, should match %v", c.Pattern, c.Address, hits, c.ShouldMatch)
			}
		}

		// The pattern bound with Handle, the address incoming. A pattern
		// without pattern characters binds a literal method, which an
		// incoming pattern reaches: the first half covers that.
		if router.ValidAddress(c.Pattern) == nil && router.ValidAddress(c.Address) != nil {
			continue
		}
		var pr router.Router
		phits := 0
		_, err = pr.Handle(c.Pattern, router.HandlerFunc(func(router.ResponseWriter, *router.Request) { phits++ }))
		if err != nil {
			if c.ShouldMatch {
				t.Errorf("Handle(%q): %v", c.Pattern, err)
			}
			continue
		}
		serve(&pr, c.Address)
		if (phits == 1) != c.ShouldMatch || phits > 1 {
			t.Errorf("pattern method %q, incoming %q: %d calls, should match %v", c.Pattern, c.Address, phits, c.ShouldMatch)
		}
	}
}

// addrs is a routing table used by the tests that compare dispatch with
// Match.
var addrs = []string{
	"/a", "/b", "/a/b", "/a/c", "/b/a", "/x/x/y", "/x/y", "/y", "/x/y/z",
	"/mixer/ch/1/fader", "/mixer/ch/2/fader", "/mixer/ch/10/pan", "/mixer/ch/2/mute",
	"/foo", "/foobar", "/foo/bar", "/foo/baz/bar", "/é", "/a-b", "/a.b", "/A",
	// names longer than a word that share their first 8 bytes, under
	// levels with more than 4 children
	"/dev/1/parameter", "/dev/1/parameter1", "/dev/1/parameter2", "/dev/1/paramete",
	"/dev/1/parameters/x", "/dev/2/parameter1", "/dev/3/parameter1", "/dev/4/parameter2",
	"/dev/5/parameter1", "/dev/5/p", "/dev/5/q", "/dev/5/r", "/dev/5/s", "/dev/5/t",
}

// sortedAddrs returns addrs in the order a pattern dispatch visits them:
// byte order of their parts, a method before the methods below it.
func sortedAddrs() []string {
	s := slices.Clone(addrs)
	slices.SortFunc(s, func(a, b string) int {
		return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
	})
	return s
}

var dispatchPatterns = []string{
	"/a", "/*", "/?", "/*/*", "//y", "//x//y", "//*", "//", "/a//b", "/x//", "//{a,b}",
	"/mixer/ch/*/fader", "/mixer/ch/[0-9]/{fader,mute}", "/mixer/*/1?/*", "/foo*", "/foo/*",
	"/foo//bar", "/*/*/*", "/[!a]", "/{a,b}/{a,b,c}", "//[a-z]", "/??", "/[a-]-b", "/a.b",
	"/mixer//fader", "//ch//", "/{x,a}/[yb]", "/[]", "/{a", "/a/*]",
	"/dev/*/parameter1", "/dev/?/parameter", "/dev/*/parameters/x", "/dev/*/s", "/dev/[1-5]/paramete",
	"/dev/*/parameter2", "/dev/*/parameter3", "/*/5/t", "/dev/*/parameters/*",
}

func TestDispatchAgainstMatch(t *testing.T) {
	var got []string
	var rt router.Router
	for _, a := range addrs {
		rt.HandleFunc(a, func(w router.ResponseWriter, r *router.Request) { got = append(got, r.Method) })
	}
	rt.NotFound(router.HandlerFunc(func(w router.ResponseWriter, r *router.Request) { got = append(got, "notfound") }))
	for _, p := range append(dispatchPatterns, addrs...) {
		got = got[:0]
		serve(&rt, p)
		var want []string
		for _, a := range sortedAddrs() {
			if router.Match(p, a) {
				want = append(want, a)
			}
		}
		if len(want) == 0 {
			want = []string{"notfound"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("dispatch of %q ran %q, Match says %q", p, got, want)
		}
	}
}

// FuzzDispatch checks that the trie walk runs exactly the methods that
// Match accepts, each once, for any incoming pattern.
func FuzzDispatch(f *testing.F) {
	for _, p := range dispatchPatterns {
		f.Add(p)
	}
	var got []string
	var rt router.Router
	for _, a := range addrs {
		rt.HandleFunc(a, func(w router.ResponseWriter, r *router.Request) { got = append(got, r.Method) })
	}
	sorted := sortedAddrs()
	f.Fuzz(func(t *testing.T, pattern string) {
		if _, err := wire.AppendMessage(nil, pattern); err != nil {
			return
		}
		got = got[:0]
		rt.ServeOSC(routertest.NewRecorder(), routertest.NewRequest(pattern))
		var want []string
		for _, a := range sorted {
			if router.Match(pattern, a) {
				want = append(want, a)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("dispatch of %q ran %q, Match says %q", pattern, got, want)
		}
	})
}

func TestOrder(t *testing.T) {
	var l log
	var rt router.Router
	rt.Handle("/b", l.handler("b1"))
	rt.Handle("/a/x", l.handler("ax"))
	rt.Handle("/a", l.handler("a1"))
	rt.Handle("/[ab]", l.handler("p1"))
	rt.Handle("/b", l.handler("b2"))
	rt.Handle("/*", l.handler("p2"))
	rt.Handle("/a", l.handler("a2"))

	serve(&rt, "/a")
	want := []string{"a1@/a", "a2@/a", "p1@/[ab]", "p2@/*"}
	if !slices.Equal(l.got, want) {
		t.Errorf("literal /a ran %q, want %q", l.got, want)
	}
	l.got = nil
	serve(&rt, "//?")
	want = []string{"a1@/a", "a2@/a", "ax@/a/x", "b1@/b", "b2@/b"}
	if !slices.Equal(l.got, want) {
		t.Errorf("pattern //? ran %q, want %q", l.got, want)
	}

	var methods []string
	for _, b := range rt.Bindings() {
		methods = append(methods, b.Method())
	}
	if want := []string{"/a", "/a", "/a/x", "/b", "/b", "/[ab]", "/*"}; !slices.Equal(methods, want) {
		t.Errorf("Bindings = %q, want %q", methods, want)
	}
}

func TestTypes(t *testing.T) {
	var l log
	var rt router.Router
	rt.Handle("/s", l.handler("if"), router.Types(",if"))
	rt.Handle("/s", l.handler("if2"), router.Types("if"))
	rt.Handle("/s", l.handler("none"), router.Types(""))
	rt.Handle("/s", l.handler("any"))
	rt.Handle("/?", l.handler("pf"), router.Types(",f"))
	rt.NotFound(l.handler("nf"))

	cases := []struct {
		args []wire.Value
		want []string
	}{
		{[]wire.Value{wire.Int32(1), wire.Float32(2)}, []string{"if@/s", "if2@/s", "any@/s"}},
		{nil, []string{"none@/s", "any@/s"}},
		{[]wire.Value{wire.Float32(2)}, []string{"any@/s", "pf@/?"}},
		{[]wire.Value{wire.Int32(1)}, []string{"any@/s"}},
	}
	for _, c := range cases {
		l.got = nil
		serve(&rt, "/s", c.args...)
		if !slices.Equal(l.got, c.want) {
			t.Errorf("args %v ran %q, want %q", c.args, l.got, c.want)
		}
	}
	// A typespec that admits nothing sends the message to NotFound.
	var only router.Router
	only.Handle("/t", l.handler("t"), router.Types("s"))
	only.NotFound(l.handler("nf"))
	l.got = nil
	serve(&only, "/t", wire.Int32(1))
	if want := []string{"nf@"}; !slices.Equal(l.got, want) {
		t.Errorf("filtered message ran %q, want %q", l.got, want)
	}

	for _, bad := range []string{"x", ",i,", "[i", "i]]", ",,"} {
		_, err := rt.Handle("/s", l.handler("bad"), router.Types(bad))
		if !errors.Is(err, router.ErrTypes) {
			t.Errorf("Types(%q): err = %v, want ErrTypes", bad, err)
		}
	}
	b, _ := rt.Handle("/arr", l.handler("arr"), router.Types(",[if]s"))
	if ts, ok := b.Types(); !ok || ts != "[if]s" {
		t.Errorf("Types() = %q, %v", ts, ok)
	}
}

func TestRemove(t *testing.T) {
	var l log
	var rt router.Router
	a1, _ := rt.Handle("/a/b", l.handler("1"))
	a2, _ := rt.Handle("/a/b", l.handler("2"))
	c, _ := rt.Handle("/a/c", l.handler("c"))
	p, _ := rt.Handle("/a/*", l.handler("p"))
	rt.NotFound(l.handler("nf"))

	if !rt.Remove(a1) || rt.Remove(a1) {
		t.Fatal("Remove(a1): want true once, then false")
	}
	l.got = nil
	serve(&rt, "/a/b")
	if want := []string{"2@/a/b", "p@/a/*"}; !slices.Equal(l.got, want) {
		t.Errorf("after Remove: ran %q, want %q", l.got, want)
	}
	if !rt.Remove(p) || rt.Remove(p) {
		t.Fatal("Remove(p): want true once, then false")
	}
	if n := rt.RemoveAll("/a/b"); n != 1 {
		t.Errorf("RemoveAll(/a/b) = %d, want 1", n)
	}
	if rt.Remove(a2) {
		t.Error("Remove after RemoveAll: want false")
	}
	l.got = nil
	serve(&rt, "/a/*")
	if want := []string{"c@/a/c"}; !slices.Equal(l.got, want) {
		t.Errorf("after removals: ran %q, want %q", l.got, want)
	}
	rt.Remove(c)
	l.got = nil
	serve(&rt, "//*")
	if want := []string{"nf@"}; !slices.Equal(l.got, want) {
		t.Errorf("empty router ran %q, want %q", l.got, want)
	}
	if got := rt.Bindings(); len(got) != 0 {
		t.Errorf("Bindings after removing all = %v", got)
	}
	rt.Handle("/q*", l.handler("q1"))
	rt.Handle("/q*", l.handler("q2"))
	if n := rt.RemoveAll("/q*"); n != 2 {
		t.Errorf("RemoveAll(pattern) = %d, want 2", n)
	}
	if rt.Remove(nil) {
		t.Error("Remove(nil) = true")
	}
}

func TestRegisterErrors(t *testing.T) {
	var rt router.Router
	h := router.HandlerFunc(func(router.ResponseWriter, *router.Request) {})
	cases := []struct {
		method string
		err    error
	}{
		{"foo", router.ErrAddress},
		{"/a b", router.ErrReserved},
		{"/a/", router.ErrEmptyPart},
		{"/[abc", router.ErrUnclosedSet},
		{"/{a,{b}}", router.ErrNestedBrace},
		{"/a]", router.ErrUnmatched},
	}
	for _, c := range cases {
		_, err := rt.Handle(c.method, h)
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), "router_test.go:") {
			t.Errorf("Handle(%q): %v, want %v with the caller's file:line", c.method, err, c.err)
		}
	}
	if _, err := rt.Handle("/a", nil); err == nil {
		t.Error("Handle with nil handler: no error")
	}
	if len(rt.Bindings()) != 0 {
		t.Error("failed registrations left bindings")
	}
}

func TestPanicPropagates(t *testing.T) {
	var l log
	rt := router.New()
	rt.Handle("/p", l.handler("1"))
	rt.HandleFunc("/p", func(router.ResponseWriter, *router.Request) { panic("boom") })
	rt.Handle("/p", l.handler("3"))
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want boom", v)
			}
		}()
		serve(rt, "/p")
	}()
	if want := []string{"1@/p"}; !slices.Equal(l.got, want) {
		t.Errorf("ran %q, want %q: a panic ends the dispatch", l.got, want)
	}
	// The Router keeps working after a panic went through it.
	l.got = nil
	rt.Handle("/q", l.handler("4"))
	serve(rt, "/q")
	if want := []string{"4@/q"}; !slices.Equal(l.got, want) {
		t.Errorf("after a panic: ran %q, want %q", l.got, want)
	}
}

func TestReply(t *testing.T) {
	var rt router.Router
	to := netip.MustParseAddrPort("127.0.0.1:9001")
	rt.HandleFunc("/ping", func(w router.ResponseWriter, r *router.Request) {
		if !r.Remote.IsValid() || r.Timetag != wire.Immediately || r.Local == nil {
			t.Errorf("request: remote %v timetag %v local %v", r.Remote, r.Timetag, r.Local)
		}
		w.Encoder().Message("/pong").Int32(7).End()
		if err := w.Flush(); err != nil {
			t.Error(err)
		}
		pkt, _ := wire.AppendMessage(nil, "/elsewhere")
		if _, err := w.WriteTo(pkt, to); err != nil {
			t.Error(err)
		}
	})
	rec := serve(&rt, "/ping")
	if len(rec.Packets) != 2 || rec.Packets[1].To != to || rec.Packets[0].To.IsValid() {
		t.Fatalf("recorded %+v", rec.Packets)
	}
	msgs := rec.Messages()
	if got := msgs[0].AddressString(); got != "/pong" {
		t.Errorf("reply address %q", got)
	}
	if args := msgs[0].AppendArgs(nil); len(args) != 1 || fmt.Sprint(args[0].Int32()) != "7 true" {
		t.Errorf("reply args %v", msgs[0].AnyArgs())
	}
}

func TestRequestClone(t *testing.T) {
	var kept *router.Request
	var rt router.Router
	rt.HandleFunc("/k", func(w router.ResponseWriter, r *router.Request) { kept = r.Clone() })
	pkt, _ := wire.AppendMessage(nil, "/k", wire.Int32(5))
	m, err := wire.ParseMessage(pkt)
	if err != nil {
		t.Fatal(err)
	}
	req := &router.Request{Message: m}
	rt.ServeOSC(routertest.NewRecorder(), req)
	for i := range pkt {
		pkt[i] = 0xDE // the server reuses its buffer
	}
	if kept == nil || kept.Method != "/k" || kept.Message.AddressString() != "/k" {
		t.Fatalf("clone: %+v", kept)
	}
	if args := kept.Message.AppendArgs(nil); len(args) != 1 || fmt.Sprint(args[0].Int32()) != "5 true" {
		t.Errorf("clone args %v", kept.Message.AnyArgs())
	}
}

func TestZeroRouter(t *testing.T) {
	var rt router.Router
	serve(&rt, "/nothing") // no table yet: nothing runs, nothing panics
	if rt.Bindings() != nil {
		t.Error("zero Router is not empty")
	}
}

func TestMalformedIncoming(t *testing.T) {
	var l log
	var rt router.Router
	rt.Handle("/a", l.handler("a"))
	rt.Handle("/*", l.handler("p"))
	rt.NotFound(l.handler("nf"))
	for _, p := range []string{"/[a", "/{a", "/a]", "/a}", "/{a/b}", "/[]", "/" + strings.Repeat("*", router.MaxLen)} {
		l.got = nil
		serve(&rt, p)
		if want := []string{"nf@"}; !slices.Equal(l.got, want) {
			t.Errorf("%.20q ran %q, want %q", p, l.got, want)
		}
	}
}

// TestHandlerArgs reads the arguments in a handler the documented way, into
// an array of the handler's, with more arguments than it holds and from a
// clone kept after the handler returned.
func TestHandlerArgs(t *testing.T) {
	vals := make([]wire.Value, 20)
	for i := range vals {
		vals[i] = wire.Int32(int32(i))
	}
	var kept *router.Request
	var got []int32
	var rt router.Router
	rt.HandleFunc("/a", func(_ router.ResponseWriter, r *router.Request) {
		var argv [8]wire.Arg
		for _, a := range r.Message.AppendArgs(argv[:0]) {
			v, _ := a.Int32()
			got = append(got, v)
		}
		kept = r.Clone()
	})
	for _, n := range []int{3, 20} {
		got = nil
		rt.ServeOSC(routertest.NewRecorder(), routertest.NewRequest("/a", vals[:n]...))
		if len(got) != n || got[n-1] != int32(n-1) {
			t.Fatalf("%d args: handler read %v", n, got)
		}
		args := kept.Message.AppendArgs(nil)
		if len(args) != n {
			t.Fatalf("clone: %d args, want %d", len(args), n)
		}
		if v, _ := args[n-1].Int32(); v != int32(n-1) {
			t.Fatalf("clone: arg %d = %d", n-1, v)
		}
	}
}
