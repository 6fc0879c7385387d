package osc

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// BenchmarkServePacket measures the user-space work a UDP endpoint does for
// one received 64-byte message, without the socket: schedule, decode,
// route, and a handler that reads the eight arguments. With the kernel's
// cost of receiving a datagram it makes up the receive path of
// BenchmarkUDPReceive in the bench module.
func BenchmarkServePacket(b *testing.B) {
	pkt, err := wire.AppendMessage(nil, "/mixer/ch/1/gain",
		wire.Int32(1), wire.Int32(1), wire.Float32(0.5), wire.Float32(0.25),
		wire.Float32(0.125), wire.Float32(1), wire.Float32(2), wire.Float32(4))
	if err != nil || len(pkt) != 64 {
		b.Fatalf("message: %d bytes, %v", len(pkt), err)
	}
	var sum float64
	r := router.New()
	r.HandleFunc("/mixer/ch/1/gain", func(_ router.ResponseWriter, req *router.Request) {
		var argv [8]wire.Arg
		for _, a := range req.Message.AppendArgs(argv[:0]) {
			if v, ok := a.Int32(); ok {
				sum += float64(v)
			} else if f, ok := a.Float32(); ok {
				sum += float64(f)
			}
		}
	})
	s := &Server{Handler: r, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer s.Close()
	ep, err := s.Listen("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	sh := ep.shards[0]
	o := origin{remote: netip.MustParseAddrPort("127.0.0.1:9000")}
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	n := 0
	for b.Loop() {
		ep.submit(sh, pkt, o)
		n++
	}
	if want := float64(n) * 9.875; sum != want {
		b.Fatalf("handler saw a sum of %v, want %v (%d submits); stats %+v", sum, want, n, ep.Stats())
	}
}
