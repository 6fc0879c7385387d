package sched

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

func BenchmarkSubmitMessage(b *testing.B) {
	benchSubmit(b, msg("/synth/1/freq", 440, 1))
}

func BenchmarkSubmitImmediateBundle(b *testing.B) {
	benchSubmit(b, bundle(wire.Immediately, msg("/a", 1), msg("/b", 2, 3), msg("/c", 4)))
}

// benchSubmit times submitting pkt, due now, to an idle Scheduler.
func benchSubmit(b *testing.B, pkt []byte) {
	var n int
	s := New(Config{}, consume(&n))
	defer s.Close(b.Context())
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		_ = s.Submit(pkt, 1)
	}
}

// BenchmarkSubmitFutureBundle queues bundles due in a minute; every 4,096
// submissions the queue is emptied (the buffers go back to the pool), so
// the cost includes the heap at up to 4,096 entries and the buffer's
// return.
func BenchmarkSubmitFutureBundle(b *testing.B) {
	var n int
	s := New(Config{}, consume(&n))
	defer s.Close(b.Context())
	pkt := bundle(wire.TimetagOf(time.Now().Add(time.Minute)), msg("/a", 1), msg("/b", 2, 3), msg("/c", 4))
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	i := 0
	for b.Loop() {
		_ = s.Submit(pkt, 1)
		if i++; i == 4096 {
			s.purge()
			i = 0
		}
	}
}

// queuedScheduler returns a Scheduler holding queued future bundles, due
// at random over the minute after the next.
func queuedScheduler(b *testing.B, queued int, n *int) *Scheduler[int] {
	s := New(Config{MaxHorizon: -1}, consume(n))
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Now().Add(time.Minute)
	for i := range queued {
		tt := wire.TimetagOf(base.Add(time.Duration(rng.Int64N(int64(time.Minute)))))
		if err := s.Submit(bundle(tt, msg("/later", int32(i))), i); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkSubmitWhileQueued shows that the reader side does not wait on
// the queue. Each iteration submits a batch of 256 immediate messages to a
// Scheduler with an empty queue and a batch to one with 4,096 future
// bundles queued, alternating so that both see the same machine load. It
// reports the time per Submit of each and their throughput ratio (queued
// over empty; the target is at least 0.9).
func BenchmarkSubmitWhileQueued(b *testing.B) {
	const batch, queued = 256, 4096
	var n int
	empty := queuedScheduler(b, 0, &n)
	defer empty.Close(b.Context())
	full := queuedScheduler(b, queued, &n)
	defer full.Close(b.Context())
	pkt := msg("/synth/1/freq", 440, 1)
	var tEmpty, tFull time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range batch {
			_ = empty.Submit(pkt, 1)
		}
		t1 := time.Now()
		for range batch {
			_ = full.Submit(pkt, 1)
		}
		tFull += time.Since(t1)
		tEmpty += t1.Sub(t0)
	}
	if full.Len() != queued {
		b.Fatalf("Len %d, want %d", full.Len(), queued)
	}
	ops := float64(b.N) * batch
	b.ReportMetric(float64(tEmpty.Nanoseconds())/ops, "empty-ns/submit")
	b.ReportMetric(float64(tFull.Nanoseconds())/ops, "queued-ns/submit")
	b.ReportMetric(float64(tEmpty)/float64(tFull), "throughput-ratio")
}

// BenchmarkScheduleJitter sends 2,000 bundles over loopback UDP, timed at
// random over 2 s, submits them from the socket reader and measures, for
// each, dispatch time minus due time. It reports p50, p99 and max in µs
// over all iterations (one iteration takes about 2.2 s).
func BenchmarkScheduleJitter(b *testing.B) {
	const (
		n    = 2000
		span = 2 * time.Second
		lead = 100 * time.Millisecond
	)
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	_ = srv.SetReadBuffer(4 << 20)
	cli, err := net.DialUDP("udp", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()

	var dues []time.Time
	errs := make([]time.Duration, n)
	var got atomic.Int32
	s := New(Config{MaxQueue: 2 * n}, func(d *Delivery[int]) {
		at := time.Now()
		r := d.Messages()
		if r.Next() {
			if args := r.Message().Args(); args.Next() {
				if i, ok := args.Arg().Int32(); ok && int(i) < n {
					errs[i] = at.Sub(dues[i])
				}
			}
		}
		got.Add(1)
	})
	defer s.Close(b.Context())

	// The socket reader: read, Submit, repeat; it never sleeps on a bundle.
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 65536)
		for {
			k, _, err := srv.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_ = s.Submit(buf[:k], 0)
		}
	}()

	var all []time.Duration
	lost := 0
	rng := rand.New(rand.NewPCG(5, 6))
	pkt := make([]byte, 0, 64)
	for b.Loop() {
		got.Store(0)
		start := time.Now().Add(lead)
		dues = make([]time.Time, n)
		for i := range dues {
			dues[i] = start.Add(time.Duration(rng.Int64N(int64(span))))
		}
		for i := range n {
			pkt = bundleInto(pkt[:0], wire.TimetagOf(dues[i]), i)
			if _, err := cli.Write(pkt); err != nil {
				b.Fatal(err)
			}
			if i%200 == 199 {
				time.Sleep(time.Millisecond) // let the reader keep up
			}
		}
		deadline := start.Add(span + time.Second)
		for got.Load() < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		k := int(got.Load())
		lost += n - k
		for i := range n {
			if errs[i] != 0 {
				all = append(all, errs[i])
			}
			errs[i] = 0
		}
	}
	srv.Close()
	select {
	case <-readerDone:
	case <-time.After(5 * time.Second):
		b.Fatal("the reader did not end within 5 s of Close")
	}
	if len(all) == 0 {
		b.Fatal("no bundle dispatched")
	}
	slices.Sort(all)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(all[len(all)/2]), "p50-us")
	b.ReportMetric(us(all[len(all)*99/100]), "p99-us")
	b.ReportMetric(us(all[len(all)-1]), "max-us")
	b.ReportMetric(us(all[0]), "min-us")
	b.ReportMetric(float64(lost), "lost")
}

// bundleInto appends a bundle holding one message "/j" with the int32 i.
func bundleInto(dst []byte, tt wire.Timetag, i int) []byte {
	dst = append(dst, "#bundle\x00"...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(tt))
	dst = binary.BigEndian.AppendUint32(dst, 12)
	dst = append(dst, "/j\x00\x00,i\x00\x00"...)
	return binary.BigEndian.AppendUint32(dst, uint32(i))
}
