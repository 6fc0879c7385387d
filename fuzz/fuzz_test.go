package fuzz

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/sched"
	"github.com/osckit/osc/internal/vectors"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// seeds adds every packet of the conformance vectors.
func seeds(f *testing.F) {
	vectors.Load(f, "../wire/testdata/packets.json").AddSeeds(f)
}

// testRouter binds literal addresses, patterns and a type filter, reads
// every argument of what it is given, and counts what it served.
func testRouter(served *atomic.Int64) *router.Router {
	r := router.New()
	read := func(w router.ResponseWriter, req *router.Request) {
		served.Add(1)
		_ = req.Message.String()
		_ = req.Message.AnyArgs()
	}
	r.HandleFunc("/a", read)
	r.HandleFunc("/x", read)
	r.HandleFunc("/mixer/ch/1/fader", read)
	r.HandleFunc("/b", read, router.Types(",i"))
	r.Handle("/s*", router.HandlerFunc(read))
	r.NotFound(router.HandlerFunc(read))
	return r
}

// FuzzDispatch feeds arbitrary packets through a scheduler (ignoring
// timetags, so that nothing waits) into a router, the path every received
// packet takes, strict and lenient.
func FuzzDispatch(f *testing.F) {
	seeds(f)
	var served atomic.Int64
	r := testRouter(&served)
	mk := func(lenient bool) *sched.Scheduler[int] {
		return sched.New(sched.Config{IgnoreTimetags: true, Decode: wire.Options{Lenient: lenient}, Logger: slog.New(slog.DiscardHandler)},
			func(d *sched.Delivery[int]) {
				req := router.Request{Timetag: d.Timetag}
				msgs := d.Messages()
				for msgs.Next() {
					req.Message = *msgs.Message()
					r.ServeOSC(nopWriter{}, &req)
				}
			})
	}
	strict, lenient := mk(false), mk(true)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		err := strict.Submit(pkt, 0)
		if verr := new(wire.Options).Validate(pkt); (err == nil) != (verr == nil) {
			t.Fatalf("Submit error %v, Validate error %v", err, verr)
		}
		_ = lenient.Submit(pkt, 0)
	})
}

// FuzzServer sends each input to a live UDP server, then a good message,
// which must arrive: no input may stop the server.
func FuzzServer(f *testing.F) {
	seeds(f)
	var served atomic.Int64
	good := make(chan struct{}, 1)
	r := testRouter(&served)
	r.HandleFunc("/fuzz/sentinel", func(router.ResponseWriter, *router.Request) { good <- struct{}{} })
	srv := &osc.Server{Handler: r, Logger: slog.New(slog.DiscardHandler)}
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Shutdown(context.Background()) })
	conn, err := net.DialUDP("udp4", nil, ep.Addr().(*net.UDPAddr))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	sentinel, _ := wire.AppendMessage(nil, "/fuzz/sentinel")
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > 60000 {
			return // larger than a UDP datagram can be
		}
		if _, err := conn.Write(pkt); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(sentinel); err != nil {
			t.Fatal(err)
		}
		select {
		case <-good:
		case <-time.After(5 * time.Second):
			t.Fatalf("server stopped answering after %x", pkt)
		}
	})
}
