package router_test

import (
	"strconv"
	"testing"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/router/routertest"
	"github.com/osckit/osc/wire"
)

func benchMixer(n int) *router.Router {
	var rt router.Router
	h := router.HandlerFunc(func(router.ResponseWriter, *router.Request) {})
	for i := range n {
		rt.Handle("/mixer/ch/"+strconv.Itoa(i)+"/fader", h)
	}
	return &rt
}

func benchDispatch(b *testing.B, rt *router.Router, address string) {
	rec := routertest.NewRecorder()
	req := routertest.NewRequest(address, wire.Float32(0.5))
	b.ReportAllocs()
	for b.Loop() {
		rt.ServeOSC(rec, req)
	}
}

// BenchmarkDispatchLiteral: one literal address among 100 routes.
func BenchmarkDispatchLiteral(b *testing.B) {
	benchDispatch(b, benchMixer(100), "/mixer/ch/42/fader")
}

// BenchmarkDispatchLiteral10k: one literal address among 10,000 routes.
func BenchmarkDispatchLiteral10k(b *testing.B) {
	benchDispatch(b, benchMixer(10000), "/mixer/ch/4242/fader")
}

// BenchmarkDispatchPattern: /mixer/ch/*/fader runs all 100 handlers.
func BenchmarkDispatchPattern(b *testing.B) {
	benchDispatch(b, benchMixer(100), "/mixer/ch/*/fader")
}

// BenchmarkDispatchDescendant: //fader runs all 100 handlers.
func BenchmarkDispatchDescendant(b *testing.B) {
	benchDispatch(b, benchMixer(100), "//fader")
}

// BenchmarkDispatchLiteralParallel: literal dispatch from all cores.
func BenchmarkDispatchLiteralParallel(b *testing.B) {
	rt := benchMixer(100)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rec := routertest.NewRecorder()
		req := routertest.NewRequest("/mixer/ch/42/fader", wire.Float32(0.5))
		for pb.Next() {
			rt.ServeOSC(rec, req)
		}
	})
}

var matchMix = [][2]string{
	{"/mixer/ch/42/fader", "/mixer/ch/42/fader"},
	{"/mixer/ch/*/fader", "/mixer/ch/42/fader"},
	{"/mixer/ch/[0-9]?/f*r", "/mixer/ch/42/fader"},
	{"/mixer/ch/[!a-z]*/{gain,pan,fader}", "/mixer/ch/42/fader"},
	{"//fader", "/mixer/ch/42/fader"},
	{"/*a*a*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
}

// BenchmarkMatch: one op is Match over a mix of literal, '*', sets,
// braces, "//" and a hostile star pattern.
func BenchmarkMatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range matchMix {
			sinkBool = router.Match(c[0], c[1])
		}
	}
}

var sinkBool bool
