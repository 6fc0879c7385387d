package bench

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	osc "github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// Jitter run sizes.
const (
	jitterBundles = 2_000
	jitterSpan    = 2 * time.Second
	jitterLead    = 100 * time.Millisecond // time to send them all before the first is due
)

// BenchmarkScheduleJitter sends jitterBundles bundles, each holding one
// message, over loopback UDP to an osc.Server, timed at random instants
// spread over jitterSpan. The server's own scheduler dispatches them; the
// handler notes the time. The metrics are the dispatch time minus the due
// time over every bundle of every iteration: p50-us, p99-us and max-us, in
// microseconds, and early, the bundles dispatched before their time (there
// should be none). One iteration lasts about 2.1 s: run it with
// -benchtime=1x.
//
// spin=default keeps sched.DefaultSpin; spin=1.5ms sets Server.Schedule.Spin.
// The difference is the Go runtime's timer resolution: an idle Go process
// sleeps in epoll_wait with a timeout in whole milliseconds, so a timer can
// fire up to about 1 ms after its time, and only a precise wait longer than
// that hides it.
func BenchmarkScheduleJitter(b *testing.B) {
	for _, spin := range []time.Duration{0, 1500 * time.Microsecond} {
		name := "spin=default"
		if spin != 0 {
			name = "spin=" + spin.String()
		}
		b.Run(name, func(b *testing.B) { jitterBench(b, spin) })
	}
}

func jitterBench(b *testing.B, spin time.Duration) {
	var errs []time.Duration
	early := 0
	rng := rand.New(rand.NewPCG(7, 11))
	for b.Loop() {
		got, e := jitterRound(b, rng, spin)
		errs = append(errs, got...)
		early += e
	}
	slices.Sort(errs)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(errs[len(errs)/2]), "p50-us")
	b.ReportMetric(us(errs[len(errs)*99/100]), "p99-us")
	b.ReportMetric(us(errs[len(errs)-1]), "max-us")
	b.ReportMetric(float64(early), "early")
	b.ReportMetric(0, "ns/op")
}

// jitterRound runs one schedule and returns |dispatch - due| of every
// bundle and how many were dispatched early.
func jitterRound(b *testing.B, rng *rand.Rand, spin time.Duration) ([]time.Duration, int) {
	fired := make([]time.Time, jitterBundles)
	var count atomic.Int64
	done := make(chan struct{})
	r := router.New()
	r.HandleFunc("/sched/at", func(_ router.ResponseWriter, req *router.Request) {
		now := time.Now()
		args := req.Message.Args()
		if !args.Next() {
			return
		}
		seq, ok := args.Arg().Int32()
		if !ok || seq < 0 || int(seq) >= len(fired) {
			return
		}
		fired[seq] = now
		if count.Add(1) == jitterBundles {
			close(done)
		}
	})
	srv := &osc.Server{Handler: r, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv.Schedule.Spin = spin
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := net.DialUDP("udp4", nil, ep.Addr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	start := time.Now().Add(jitterLead)
	due := make([]wire.Timetag, jitterBundles)
	var e wire.Encoder
	for i := range due {
		due[i] = wire.TimetagOf(start.Add(time.Duration(rng.Int64N(int64(jitterSpan)))))
		e.Reset()
		e.BeginBundle(due[i]).Message("/sched/at").Int32(int32(i)).End().EndBundle()
		pkt, err := e.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(pkt); err != nil {
			b.Fatal(err)
		}
	}
	if late := time.Since(start); late > 0 {
		b.Fatalf("sending took %v longer than the lead", late)
	}
	select {
	case <-done:
	case <-time.After(jitterLead + jitterSpan + 2*time.Second):
		b.Fatalf("%d of %d bundles dispatched", count.Load(), jitterBundles)
	}
	out := make([]time.Duration, 0, jitterBundles)
	early := 0
	for i, f := range fired {
		d := f.Sub(due[i].Time())
		if d < 0 {
			early++
			d = -d
		}
		out = append(out, d)
	}
	return out, early
}
