package bench

import (
	"net"
	"net/netip"
	"strconv"
	"testing"

	chabad "github.com/chabad360/go-osc/osc"
	hypebeast "github.com/hypebeast/go-osc/osc"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// nopWriter is a ResponseWriter that sends nothing.
type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error)                     { return len(p), nil }
func (nopWriter) WriteTo(p []byte, _ netip.AddrPort) (int, error) { return len(p), nil }
func (nopWriter) Encoder() *wire.Encoder                          { return nil }
func (nopWriter) Flush() error                                    { return nil }
func (nopWriter) Send(string, ...wire.Value) error                { return nil }
func (nopWriter) SendAny(string, ...any) error                    { return nil }
func (nopWriter) RemoteAddr() net.Addr                            { return nil }
func (nopWriter) LocalAddr() net.Addr                             { return nil }

const nRoutes = 100

func route(i int) string { return "/mixer/ch/" + strconv.Itoa(i) + "/fader" }

// dispatchBench dispatches one incoming address among 100 routes
// /mixer/ch/N/fader and checks how many handlers fired.
func dispatchBench(b *testing.B, incoming string, want int) {
	b.Run("osckit", func(b *testing.B) {
		r := router.New()
		fired := 0
		for i := range nRoutes {
			r.HandleFunc(route(i), func(router.ResponseWriter, *router.Request) { fired++ })
		}
		pkt, err := wire.AppendMessage(nil, incoming, wire.Float32(0.5))
		if err != nil {
			b.Fatal(err)
		}
		m, err := wire.ParseMessage(pkt)
		if err != nil {
			b.Fatal(err)
		}
		req := &router.Request{Message: m, Timetag: wire.Immediately}
		b.ReportAllocs()
		for b.Loop() {
			r.ServeOSC(nopWriter{}, req)
		}
		if fired != want*b.N {
			b.Fatalf("fired %d handlers for %d dispatches, want %d each", fired, b.N, want)
		}
	})
	b.Run("hypebeast", func(b *testing.B) {
		d := hypebeast.NewStandardDispatcher()
		fired := 0
		for i := range nRoutes {
			if err := d.AddMsgHandler(route(i), func(*hypebeast.Message) { fired++ }); err != nil {
				b.Fatal(err)
			}
		}
		msg := hypebeast.NewMessage(incoming, float32(0.5))
		b.ReportAllocs()
		for b.Loop() {
			d.Dispatch(msg)
		}
		if fired < b.N {
			b.Fatalf("fired %d handlers for %d dispatches", fired, b.N)
		}
	})
	b.Run("chabad360", func(b *testing.B) {
		d := chabad.NewStandardDispatcher()
		fired := 0
		for i := range nRoutes {
			if err := d.AddMsgHandler(route(i), func(*chabad.Message) { fired++ }); err != nil {
				b.Fatal(err)
			}
		}
		msg := chabad.NewMessage(incoming, float32(0.5))
		b.ReportAllocs()
		for b.Loop() {
			d.Dispatch(msg)
		}
		if fired < b.N {
			b.Fatalf("fired %d handlers for %d dispatches", fired, b.N)
		}
	})
}

func BenchmarkDispatchLiteral(b *testing.B) { dispatchBench(b, "/mixer/ch/42/fader", 1) }

func BenchmarkDispatchPattern(b *testing.B) { dispatchBench(b, "/mixer/ch/*/fader", nRoutes) }
