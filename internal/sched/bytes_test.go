package sched

import (
	"bytes"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

// bigBundle encodes a bundle timed at tt holding one message with an
// n-byte blob.
func bigBundle(tt wire.Timetag, n int) []byte {
	m := appendPadded(nil, "/big")
	m = appendPadded(m, ",b")
	m = appendBlob(m, make([]byte, n))
	return bundle(tt, m)
}

// queuedCap returns the capacity of the queued buffers. s.mu is taken.
func queuedCap(s *Scheduler[int]) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, e := range s.q {
		n += int64(cap(e.buf.B))
	}
	return n
}

// TestMaxBytes submits 300 bundles of 1 MiB, timed 50 minutes ahead, to a
// scheduler with the default 64 MiB budget: those that fit are queued, the
// others refused whole and counted once each, and the memory held stays
// under the budget. The budget comes back as the groups are dispatched.
func TestMaxBytes(t *testing.T) {
	const n, size = 300, 1 << 20
	clk := &manualClock{now: wire.TimetagOf(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))}
	var logs bytes.Buffer
	var r recorder
	s := start(t, fake(Config{Clock: clk, Logger: slog.New(slog.NewTextHandler(&logs, nil))}), r.dispatch)
	due := clk.Now().Add(50 * time.Minute)
	pkt := bigBundle(due, size)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	accepted, refused := 0, 0
	for i := range n {
		switch err := s.Submit(pkt, i); {
		case err == nil:
			accepted++
			if refused > 0 {
				t.Fatalf("bundle %d accepted after %d refused", i, refused)
			}
		case errors.Is(err, ErrQueueFull):
			refused++
		default:
			t.Fatalf("Submit %d: %v", i, err)
		}
		if held := s.Stats().QueuedBytes; held > DefaultMaxBytes {
			t.Fatalf("after %d bundles, %d bytes held, over the %d budget", i+1, held, DefaultMaxBytes)
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	st := s.Stats()
	t.Logf("%d of %d bundles of 1 MiB queued, %d refused; %d bytes counted, heap grew by %.1f MiB",
		accepted, n, refused, st.QueuedBytes, float64(heap)/(1<<20))
	// Each copy is 1 MiB and a few bytes, so a 64 MiB budget holds 63.
	if accepted != 63 || st.Queued != accepted || st.Enqueued != uint64(accepted) {
		t.Fatalf("%d accepted, stats %+v", accepted, st)
	}
	if st.RefusedFull != uint64(refused) || refused != n-accepted {
		t.Fatalf("%d refused, stats %+v", refused, st)
	}
	if got := queuedCap(s); st.QueuedBytes != got || got < int64(accepted)*size {
		t.Fatalf("QueuedBytes %d, buffers %d", st.QueuedBytes, got)
	}
	if heap > DefaultMaxBytes+8<<20 {
		t.Fatalf("heap grew by %d bytes with %d queued", heap, st.QueuedBytes)
	}
	if lines := strings.Count(logs.String(), "\n"); lines != 1 || !strings.Contains(logs.String(), "memory budget") {
		t.Fatalf("log:\n%s", logs.String())
	}
	// Immediate traffic still flows, and a small future bundle that fits
	// in what is left is queued.
	if err := s.Submit(msg("/now"), -1); err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(bundle(due, msg("/small")), -2); err != nil {
		t.Fatal(err)
	}
	// Dispatching returns the budget.
	clk.Set(due)
	deadline := time.Now().Add(10 * time.Second)
	for s.Len() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := s.Stats(); st.Queued != 0 || st.QueuedBytes != 0 || st.Dispatched != uint64(accepted)+2 {
		t.Fatalf("after dispatch: stats %+v", st)
	}
	if err := s.Submit(bigBundle(due.Add(time.Minute), size), 0); err != nil {
		t.Fatalf("Submit after the queue drained: %v", err)
	}
	// Close drops it and returns its bytes too.
	closeOK(t, s)
	if st := s.Stats(); st.QueuedBytes != 0 || st.DroppedAtClose != 1 || st.RefusedFull != uint64(refused) {
		t.Fatalf("after Close: stats %+v", st)
	}
}

// TestMaxBytesWholePacket checks that a packet is refused whole when its
// future groups together exceed the budget, before any of it is
// dispatched, and that a negative MaxBytes means no limit.
func TestMaxBytesWholePacket(t *testing.T) {
	clk := &manualClock{now: wire.TimetagOf(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))}
	var r recorder
	s := start(t, fake(Config{Clock: clk, MaxBytes: 100 << 10, Logger: slog.New(slog.DiscardHandler)}), r.dispatch)
	at := clk.Now().Add(time.Second)
	m := func(n int) []byte {
		b := appendPadded(nil, "/m")
		b = appendPadded(b, ",b")
		return appendBlob(b, make([]byte, n))
	}
	// 60 KiB + 60 KiB of future groups and an immediate one: over 100 KiB.
	pkt := bundle(wire.Immediately, msg("/now"), bundle(at, m(60<<10)), bundle(at, m(60<<10)))
	if err := s.Submit(pkt, 1); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Submit = %v, want ErrQueueFull", err)
	}
	if r.len() != 0 || s.Len() != 0 || s.Stats().QueuedBytes != 0 || s.Stats().RefusedFull != 1 {
		t.Fatalf("refused packet left %d dispatched, stats %+v", r.len(), s.Stats())
	}
	// One of them fits.
	if err := s.Submit(bundle(wire.Immediately, msg("/now"), bundle(at, m(60<<10))), 2); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); r.len() != 1 || st.Queued != 1 || st.QueuedBytes < 60<<10 || st.QueuedBytes > 100<<10 {
		t.Fatalf("stats %+v", st)
	}
	closeOK(t, s)

	u := start(t, fake(Config{Clock: clk, MaxBytes: -1}), r.dispatch)
	for i := range 4 {
		if err := u.Submit(bundle(at, m(60<<10)), i); err != nil {
			t.Fatalf("no limit: Submit %d: %v", i, err)
		}
	}
	if st := u.Stats(); st.Queued != 4 || st.QueuedBytes < 4*60<<10 {
		t.Fatalf("no limit: stats %+v", st)
	}
	closeOK(t, u)
}
