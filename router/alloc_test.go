//go:build !race

package router_test

import (
	"strconv"
	"testing"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/router/routertest"
	"github.com/osckit/osc/wire"
)

// mixer returns a router with n routes /mixer/ch/N/fader whose handlers
// count their calls.
func mixer(n int, calls *int) *router.Router {
	var rt router.Router
	h := router.HandlerFunc(func(w router.ResponseWriter, r *router.Request) { *calls++ })
	for i := range n {
		rt.Handle("/mixer/ch/"+strconv.Itoa(i)+"/fader", h)
	}
	return &rt
}

func TestNoAllocs(t *testing.T) {
	var calls int
	rt := mixer(100, &calls)
	rt.Handle("/other/*", router.HandlerFunc(func(router.ResponseWriter, *router.Request) {}))
	typed := mixer(0, &calls)
	typed.Handle("/t", router.HandlerFunc(func(router.ResponseWriter, *router.Request) { calls++ }), router.Types(",f"))
	typed.Handle("/args", router.HandlerFunc(func(_ router.ResponseWriter, r *router.Request) {
		// The handler's own array holds the argument views: it stays on
		// the handler's stack.
		var argv [8]wire.Arg
		args := r.Message.AppendArgs(argv[:0])
		if f, ok := args[7].Float32(); ok && f == 7 {
			calls++
		}
	}))
	eight := make([]wire.Value, 8)
	for i := range eight {
		eight[i] = wire.Float32(float32(i))
	}
	amsg := routertest.NewRequest("/args", eight...)
	rec := routertest.NewRecorder()
	lit := routertest.NewRequest("/mixer/ch/42/fader", wire.Float32(0.5))
	star := routertest.NewRequest("/mixer/ch/*/fader", wire.Float32(0.5))
	desc := routertest.NewRequest("//fader", wire.Float32(0.5))
	braces := routertest.NewRequest("/mixer/ch/{1,2,3}/[a-f]ader", wire.Float32(0.5))
	miss := routertest.NewRequest("/mixer/ch/x/fader")
	tmsg := routertest.NewRequest("/t", wire.Float32(1))
	bpat, baddr := []byte("/*/{gain,pan}/[0-9]*"), []byte("/ch/pan/12")
	cases := []struct {
		name  string
		calls int
		f     func()
	}{
		{"Literal100", 1, func() { rt.ServeOSC(rec, lit) }},
		{"Pattern100", 100, func() { rt.ServeOSC(rec, star) }},
		{"Descendant100", 100, func() { rt.ServeOSC(rec, desc) }},
		{"Braces", 3, func() { rt.ServeOSC(rec, braces) }},
		{"Miss", 0, func() { rt.ServeOSC(rec, miss) }},
		{"Typed", 1, func() { typed.ServeOSC(rec, tmsg) }},
		{"Args8", 1, func() { typed.ServeOSC(rec, amsg) }},
		{"Match", 0, func() { sinkBool = router.Match("/*/{gain,pan}/[0-9]*", "/ch/pan/12") }},
		{"MatchBytes", 0, func() { sinkBool = router.Match(bpat, baddr) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls = 0
			c.f()
			if calls != c.calls {
				t.Fatalf("%d handler calls, want %d", calls, c.calls)
			}
			if n := testing.AllocsPerRun(200, c.f); n != 0 {
				t.Fatalf("%v allocs/op, want 0", n)
			}
		})
	}
}
