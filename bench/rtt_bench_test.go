//go:build linux

package bench

import (
	"context"
	"net"
	"testing"
	"time"

	osc "github.com/osckit/osc"
	"github.com/osckit/osc/bench/cpeer"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// Round-trip bounds.
const (
	rttWarmup  = 200              // round trips before the measured ones
	rttTimeout = 2 * time.Second  // one reply later than this fails the run
	rttLimit   = 60 * time.Second // a whole osckit run
)

// BenchmarkRoundTrip measures the latency of a 64-byte ping-pong on
// loopback, one message in flight: the pinger sends the receive
// benchmarks' message (/mixer/ch/1/gain ,iiffffff), the echo answers it to
// its sender, and the pinger waits for the answer before the next. ns/op is
// the mean round trip; p50-us, p99-us and p99.9-us come from a log-linear
// histogram of every round trip (latencyHist), max-us is the slowest.
//
// osckit is a Client (Write, then Receive and ParseArgs of the reply)
// against an osc.Server whose router handler reads the eight arguments and
// answers the message with ResponseWriter.Write. liblo is a lo_server
// pinger (lo_send_message_from, lo_server_recv_noblock dispatching the
// reply to a method) against a lo_server echo whose method sends the
// message back to its source. cmmsg is a C pinger (send, recv on a
// connected socket) against a C echo that answers with sendmmsg what
// recvmmsg returned: the floor for a round trip through the kernel.
func BenchmarkRoundTrip(b *testing.B) {
	ping := recvMessage(b, 1)
	b.Run("osckit", func(b *testing.B) { osckitRoundTrip(b, ping) })
	b.Run("liblo", func(b *testing.B) {
		if !cpeer.Available {
			b.Skip("built without the C peers")
		}
		e, err := cpeer.StartLibloEcho(recvAddress)
		if err != nil {
			b.Fatal(err)
		}
		defer e.Stop()
		cRoundTrip(b, func(rtt []time.Duration) int { return cpeer.LibloPing(e.Port, recvAddress, rtt, rttTimeout) })
	})
	b.Run("cmmsg", func(b *testing.B) {
		if !cpeer.Available {
			b.Skip("built without the C peers")
		}
		e, err := cpeer.StartMmsgEcho()
		if err != nil {
			b.Fatal(err)
		}
		defer e.Stop()
		cRoundTrip(b, func(rtt []time.Duration) int { return cpeer.UDPPing(e.Port, ping, rtt, rttTimeout) })
	})
}

func osckitRoundTrip(b *testing.B, ping []byte) {
	r := router.New()
	r.HandleFunc(recvAddress, func(w router.ResponseWriter, req *router.Request) {
		if sumArgs(req) >= 0 {
			_, _ = w.Write(req.Message.Bytes())
		}
	})
	srv := &osc.Server{Handler: r, Logger: quiet}
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := osc.Dial("osc.udp://" + ep.Addr().(*net.UDPAddr).String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), rttLimit)
	defer cancel()
	var argv [8]wire.Arg
	once := func() time.Duration {
		t0 := time.Now()
		if _, err := c.Write(ping); err != nil {
			b.Fatal(err)
		}
		pkt, err := c.Receive(ctx)
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		if _, args, err := wire.ParseArgs(pkt, argv[:0]); err != nil || len(args) != 8 {
			b.Fatalf("reply: %v, %d arguments", err, len(args))
		}
		return d
	}
	for range rttWarmup {
		once()
	}
	rtt := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range rtt {
		rtt[i] = once()
	}
	b.StopTimer()
	reportLatency(b, rtt)
}

// cRoundTrip runs a C pinger: ping(rtt) fills rtt with round trips and
// returns how many it completed.
func cRoundTrip(b *testing.B, ping func(rtt []time.Duration) int) {
	if n := ping(make([]time.Duration, rttWarmup)); n != rttWarmup {
		b.Fatalf("warm-up: %d of %d round trips", n, rttWarmup)
	}
	rtt := make([]time.Duration, b.N)
	b.ResetTimer()
	n := ping(rtt)
	b.StopTimer()
	if n != len(rtt) {
		b.Fatalf("%d of %d round trips (no reply within %v)", n, len(rtt), rttTimeout)
	}
	reportLatency(b, rtt)
}

func reportLatency(b *testing.B, rtt []time.Duration) {
	var h latencyHist
	for _, d := range rtt {
		h.record(d)
	}
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	b.ReportMetric(us(h.quantile(0.5)), "p50-us")
	b.ReportMetric(us(h.quantile(0.99)), "p99-us")
	b.ReportMetric(us(h.quantile(0.999)), "p99.9-us")
	b.ReportMetric(us(time.Duration(h.max)), "max-us")
}
