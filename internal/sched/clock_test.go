package sched

import (
	"sync"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

// manualClock is a Clock that moves only when told to.
//
// Its timers count from the last reading of the clock, not from the
// clock's value when Reset is called: the dispatcher reads Now, works out
// the wait and then arms its timer, and a real clock moves on by itself in
// between, while this one moves only at Set. A Set landing between the
// reading and the arming would otherwise push the deadline past the time
// the dispatcher asked for and lose the wakeup. A Reset whose deadline has
// already passed fires at once. Tests read the clock themselves only while
// the dispatcher is not between a reading and an arming.
type manualClock struct {
	mu     sync.Mutex
	now    wire.Timetag
	read   wire.Timetag // the value Now last returned
	timers []*manualTimer
}

type manualTimer struct {
	c      chan time.Time
	clk    *manualClock
	at     wire.Timetag
	active bool
}

func (c *manualClock) Now() wire.Timetag {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read = c.now
	return c.now
}

func (c *manualClock) NewTimer(d time.Duration) Timer {
	t := &manualTimer{c: make(chan time.Time, 1), clk: c}
	c.mu.Lock()
	if c.read == 0 {
		c.read = c.now
	}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	t.Reset(d)
	return t
}

// Set moves the clock to now and fires the timers that came due.
func (c *manualClock) Set(now wire.Timetag) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	for _, t := range c.timers {
		if t.active && !c.now.Before(t.at) {
			t.active = false
			select {
			case t.c <- c.now.Time():
			default:
			}
		}
	}
}

func (t *manualTimer) C() <-chan time.Time { return t.c }

func (t *manualTimer) Reset(d time.Duration) bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := t.active
	select {
	case <-t.c:
	default:
	}
	t.at, t.active = t.clk.read.Add(d), true
	if !t.clk.now.Before(t.at) {
		t.active = false
		select {
		case t.c <- t.clk.now.Time():
		default:
		}
	}
	return was
}

func (t *manualTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := t.active
	t.active = false
	select {
	case <-t.c:
	default:
	}
	return was
}

// TestInjectedClock runs a Scheduler on a hand-driven clock, in real time,
// with the default spin window (it must notice the clock standing still).
func TestInjectedClock(t *testing.T) {
	clk := &manualClock{now: wire.NewTimetag(3_900_000_000, 0)}
	var r recorder
	s := start(t, Config{Clock: clk}, r.dispatch)
	due := clk.Now().Add(time.Second)
	if err := s.Submit(bundle(due, msg("/x")), 1); err != nil {
		t.Fatal(err)
	}
	clk.Set(due.Add(-time.Millisecond))
	time.Sleep(20 * time.Millisecond)
	if r.len() != 0 {
		t.Fatal("dispatched before its time")
	}
	clk.Set(due)
	deadline := time.Now().Add(5 * time.Second)
	for r.len() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	got := r.snapshot()
	if len(got) != 1 || got[0].due != due || got[0].late != 0 || !got[0].queued {
		t.Fatalf("got %+v", got)
	}
	// A late bundle's lateness comes from the injected clock too.
	if err := s.Submit(bundle(due.Add(-250*time.Millisecond), msg("/y")), 2); err != nil {
		t.Fatal(err)
	}
	if got := r.snapshot(); len(got) != 2 || got[1].late != 250*time.Millisecond {
		t.Fatalf("got %+v", got)
	}
	closeOK(t, s)
}
