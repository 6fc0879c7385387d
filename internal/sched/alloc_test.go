//go:build !race

package sched

import (
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

func TestAllocsSubmitImmediate(t *testing.T) {
	var n int
	s := New(Config{}, consume(&n))
	defer closeOK(t, s)
	m := msg("/synth/1/freq", 440, 1)
	b := bundle(wire.Immediately, msg("/a", 1), msg("/b", 2, 3), bundle(0, msg("/c", 4)))
	past := bundle(wire.TimetagOf(time.Now().Add(-time.Second)), msg("/a", 1), msg("/b", 2))
	for name, pkt := range map[string][]byte{"message": m, "bundle": b, "late bundle": past} {
		if a := testing.AllocsPerRun(1000, func() {
			if err := s.Submit(pkt, 1); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("Submit(%s): %v allocs/op, want 0", name, a)
		}
	}
	if n == 0 {
		t.Fatal("nothing dispatched")
	}
}

func TestAllocsSubmitFuture(t *testing.T) {
	var n int
	s := New(Config{}, consume(&n))
	defer closeOK(t, s)
	pkt := bundle(wire.TimetagOf(time.Now().Add(time.Minute)), msg("/a", 1), msg("/b", 2, 3))
	const runs = 500
	// The buffers come from a sync.Pool, which a garbage collection during
	// the measurement can empty: a run that allocates is tried again (a
	// real allocation per Submit fails every try).
	var a float64
	for try := 0; try < 3; try++ {
		// Warm up: grow the heap and fill the buffer pool, then empty
		// the queue.
		for range 2 * runs {
			if err := s.Submit(pkt, 1); err != nil {
				t.Fatal(err)
			}
		}
		s.purge()
		a = testing.AllocsPerRun(runs, func() {
			if err := s.Submit(pkt, 1); err != nil {
				t.Fatal(err)
			}
		})
		if a == 0 {
			break
		}
	}
	if a != 0 {
		t.Errorf("Submit(future bundle): %v allocs/op, want 0", a)
	}
	if s.Len() != runs+1 {
		t.Fatalf("Len %d, want %d", s.Len(), runs+1)
	}
}
