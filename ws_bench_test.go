package osc_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// The WebSocket figures, each against TCP (SLIP) in the same run: round
// trips, one-way messages a second, and memory per idle connection.

var benchTransports = []struct{ name, listen string }{
	{"ws", "osc.ws://127.0.0.1:0/osc"},
	{"tcp", "osc.tcp://127.0.0.1:0"},
}

func benchServer(b *testing.B, h router.Handler, listen string) (*osc.Server, *osc.Endpoint) {
	b.Helper()
	s := &osc.Server{Handler: h, Logger: quietLogger, IdleTimeout: -1}
	ep, err := s.Listen(listen, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, ep
}

// BenchmarkWebSocketRoundTrip: a Client sends a 64-byte message and waits
// for the server's reply before the next, one in flight. ns/op is the
// mean round trip; p50-us and p99-us come from every round trip.
func BenchmarkWebSocketRoundTrip(b *testing.B) {
	pkt, _ := wire.AppendMessage(nil, "/mixer/ch/1/gain", wire.Int32(1), wire.Int32(2), wire.Float32(0.5),
		wire.Float32(0.25), wire.Float32(1), wire.Float32(2), wire.Float32(3), wire.Float32(4))
	echo := router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
		_, _ = w.Write(pkt)
	})
	for _, tr := range benchTransports {
		b.Run(tr.name, func(b *testing.B) {
			_, ep := benchServer(b, echo, tr.listen)
			c, err := osc.Dial(ep.URL())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			rtt := make([]time.Duration, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range rtt {
				t0 := time.Now()
				if _, err := c.Write(pkt); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Receive(ctx); err != nil {
					b.Fatal(err)
				}
				rtt[i] = time.Since(t0)
			}
			b.StopTimer()
			slices.Sort(rtt)
			us := func(q float64) float64 { return float64(rtt[int(q*float64(len(rtt)-1))]) / 1e3 }
			b.ReportMetric(us(0.5), "p50-us")
			b.ReportMetric(us(0.99), "p99-us")
		})
	}
}

// BenchmarkWebSocketSend: a Client sends b.N messages as fast as it can;
// the clock stops when the server has dispatched the last. msgs/s is the
// rate; nothing is lost on a stream.
func BenchmarkWebSocketSend(b *testing.B) {
	pkt, _ := wire.AppendMessage(nil, "/mixer/ch/1/gain", wire.Float32(0.5))
	for _, tr := range benchTransports {
		b.Run(tr.name, func(b *testing.B) {
			var n atomic.Int64
			done := make(chan struct{})
			want := int64(b.N)
			count := router.HandlerFunc(func(router.ResponseWriter, *router.Request) {
				if n.Add(1) == want {
					close(done)
				}
			})
			_, ep := benchServer(b, count, tr.listen)
			c, err := osc.Dial(ep.URL())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.ReportAllocs()
			b.ResetTimer()
			t0 := time.Now()
			for range b.N {
				if _, err := c.Write(pkt); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-time.After(time.Minute):
				b.Fatalf("the server dispatched %d of %d", n.Load(), b.N)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkWebSocketIdleConn: the memory (heap and stacks, after GC) that
// idleConns idle connections hold, per connection, server and the bare
// client socket together. The WebSocket clients do their handshake by
// hand so that no client library's memory is counted.
func BenchmarkWebSocketIdleConn(b *testing.B) {
	const idleConns = 500
	nop := router.HandlerFunc(func(router.ResponseWriter, *router.Request) {})
	for _, tr := range benchTransports {
		b.Run(tr.name, func(b *testing.B) {
			for range b.N {
				s, ep := benchServer(b, nop, tr.listen)
				before := inUse()
				conns := make([]net.Conn, 0, idleConns)
				for range idleConns {
					c, err := net.Dial("tcp", ep.Addr().String())
					if err != nil {
						b.Fatal(err)
					}
					if tr.name == "ws" {
						handshake(b, c, ep.Addr().String())
					}
					conns = append(conns, c)
				}
				deadline := time.Now().Add(30 * time.Second)
				for ep.Stats().ConnsOpen < idleConns {
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d connections open", ep.Stats().ConnsOpen, idleConns)
					}
					time.Sleep(5 * time.Millisecond)
				}
				after := inUse()
				b.ReportMetric(float64(after-before)/idleConns, "B/conn")
				for _, c := range conns {
					c.Close()
				}
				s.Close()
			}
		})
	}
}

func inUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// handshake upgrades c to a WebSocket by hand.
func handshake(b *testing.B, c net.Conn, host string) {
	b.Helper()
	req := "GET /osc HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		b.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 1024), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		b.Fatalf("handshake: %v %v", resp, err)
	}
	c.SetReadDeadline(time.Time{})
}
