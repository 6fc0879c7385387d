package sched

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/osckit/osc/wire"
)

func TestBareMessageSynchronous(t *testing.T) {
	var r recorder
	s := New(Config{}, r.dispatch)
	defer closeOK(t, s)
	if err := s.Submit(msg("/a", 1, 2), 7); err != nil {
		t.Fatal(err)
	}
	got := r.snapshot() // no wait: dispatched before Submit returned
	if len(got) != 1 || got[0].origin != 7 || got[0].addrs[0] != "/a" || got[0].args[0][1] != 2 ||
		got[0].tt != wire.Immediately || got[0].queued || got[0].late != 0 || got[0].messages != 1 {
		t.Fatalf("got %+v", got)
	}
}

func TestInvalidPacket(t *testing.T) {
	var r recorder
	s := New(Config{}, r.dispatch)
	defer closeOK(t, s)
	good := bundle(wire.Immediately, msg("/a", 1))
	for _, pkt := range [][]byte{nil, {'/'}, good[:len(good)-4], append(bundle(wire.Immediately), 0, 0, 0, 8)} {
		var pe *wire.ParseError
		if err := s.Submit(pkt, 0); !errors.As(err, &pe) {
			t.Errorf("Submit(%q) = %v, want a *wire.ParseError", pkt, err)
		}
	}
	if r.len() != 0 {
		t.Fatal("an invalid packet was dispatched")
	}
}

func TestImmediateBundleSynchronous(t *testing.T) {
	var r recorder
	s := New(Config{}, r.dispatch)
	defer closeOK(t, s)
	pkt := bundle(wire.Immediately, msg("/a", 1), msg("/b", 2), bundle(0, msg("/c", 3)), msg("/d", 4))
	if err := s.Submit(pkt, 1); err != nil {
		t.Fatal(err)
	}
	got := r.snapshot()
	if len(got) != 2 {
		t.Fatalf("got %d groups, want 2", len(got))
	}
	if strings.Join(got[0].addrs, ",") != "/a,/b,/d" || strings.Join(got[1].addrs, ",") != "/c" {
		t.Fatalf("groups %v %v", got[0].addrs, got[1].addrs)
	}
	if got[0].tt != wire.Immediately || got[1].tt != wire.Immediately || got[0].queued {
		t.Fatalf("timetags %v %v", got[0].tt, got[1].tt)
	}
}

func TestEmptyBundleIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{}), r.dispatch)
		if err := s.Submit(bundle(now().Add(time.Second), bundle(0)), 0); err != nil {
			t.Fatal(err)
		}
		if s.Len() != 0 {
			t.Fatalf("empty bundle queued: Len %d", s.Len())
		}
		closeOK(t, s)
		if r.len() != 0 {
			t.Fatal("empty bundle dispatched")
		}
	})
}

// TestOrdering submits 10,000 bundles with random timetags, many equal, in
// random order and checks they run in (time, arrival) order, each at its
// time.
func TestOrdering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{}), r.dispatch)
		rng := rand.New(rand.NewPCG(1, 2))
		start := now()
		const n = 10000
		dues := make([]wire.Timetag, n)
		for i := range n {
			// 2,000 distinct times: about five bundles share each.
			dues[i] = start.Add(time.Duration(1+rng.IntN(2000)) * 5 * time.Millisecond)
			if err := s.Submit(bundle(dues[i], msg("/n", int32(i))), i); err != nil {
				t.Fatal(err)
			}
		}
		if s.Len() != n {
			t.Fatalf("Len %d, want %d", s.Len(), n)
		}
		time.Sleep(11 * time.Second)
		synctest.Wait()
		got := r.snapshot()
		if len(got) != n {
			t.Fatalf("dispatched %d, want %d", len(got), n)
		}
		for k, g := range got {
			i := g.origin
			if g.args[0][0] != int32(i) || g.due != dues[i] || !g.queued {
				t.Fatalf("#%d: %+v", k, g)
			}
			if d := wire.TimetagOf(g.at).Sub(dues[i]); d < 0 || d > time.Microsecond || g.late > time.Microsecond {
				t.Fatalf("#%d dispatched %v after its time (lateness %v)", k, d, g.late)
			}
			if k > 0 {
				p := got[k-1]
				if g.due.Before(p.due) || (g.due == p.due && g.origin < p.origin) {
					t.Fatalf("#%d (due %v, arrival %d) after #%d (due %v, arrival %d)", k, g.due, g.origin, k-1, p.due, p.origin)
				}
			}
		}
		closeOK(t, s)
		if st := s.Stats(); st.Enqueued != n || st.Dispatched != n || st.Queued != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestEqualTimetagsKeepArrivalOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{}), r.dispatch)
		at := now().Add(time.Second)
		for i := range 200 {
			if err := s.Submit(bundle(at, msg("/x", int32(i))), i); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Second)
		closeOK(t, s)
		got := r.snapshot()
		if len(got) != 200 {
			t.Fatalf("dispatched %d", len(got))
		}
		for i, g := range got {
			if g.origin != i {
				t.Fatalf("position %d holds arrival %d", i, g.origin)
			}
		}
	})
}

// TestAtomicity submits bundles of several messages from several goroutines,
// due now, late and in the future, and checks that dispatch calls never
// overlap and that each call holds exactly one bundle's messages in order.
func TestAtomicity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers, perWorker, size = 8, 200, 5
		var inFlight, overlaps, bad atomic.Int32
		var seen sync.Map
		s := start(t, fake(Config{}), func(d *Delivery[int]) {
			if inFlight.Add(1) != 1 {
				overlaps.Add(1)
			}
			r := d.Messages()
			k := 0
			var id int32 = -1
			for r.Next() {
				var argv [2]wire.Arg
				args := r.Message().AppendArgs(argv[:0])
				if len(args) != 2 {
					bad.Add(1)
					continue
				}
				v, _ := args[0].Int32()
				idx, _ := args[1].Int32()
				if k == 0 {
					id = v
				}
				if v != id || idx != int32(k) {
					bad.Add(1)
				}
				k++
				if k == 3 {
					runtime.Gosched() // let any other goroutine run (a fake-time sleep under a mutex would stall the bubble)
				}
			}
			if k != size {
				bad.Add(1)
			}
			if _, dup := seen.LoadOrStore(id, true); dup {
				bad.Add(1)
			}
			inFlight.Add(-1)
		})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 9))
				for b := range perWorker {
					id := int32(w*perWorker + b)
					var tt wire.Timetag
					switch rng.IntN(3) {
					case 0:
						tt = wire.Immediately
					case 1:
						tt = now().Add(-time.Duration(rng.IntN(1000)) * time.Microsecond)
					default:
						tt = now().Add(time.Duration(rng.IntN(5000)) * time.Microsecond)
					}
					elems := make([][]byte, size)
					for i := range elems {
						elems[i] = msg("/atom", id, int32(i))
					}
					if err := s.Submit(bundle(tt, elems...), int(id)); err != nil {
						t.Error(err)
						return
					}
					time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
				}
			})
		}
		wg.Wait()
		time.Sleep(10 * time.Millisecond)
		closeOK(t, s)
		if overlaps.Load() != 0 || bad.Load() != 0 {
			t.Fatalf("%d overlapping dispatches, %d malformed groups", overlaps.Load(), bad.Load())
		}
		if st := s.Stats(); st.Dispatched != workers*perWorker {
			t.Fatalf("dispatched %d groups, want %d", st.Dispatched, workers*perWorker)
		}
	})
}

func TestLatePolicies(t *testing.T) {
	cases := []struct {
		name      string
		cfg       Config
		late      time.Duration
		delivered bool
	}{
		{"deliver", Config{}, time.Hour, true},
		{"tolerance/within", Config{Late: DropBeyondTolerance, Tolerance: 20 * time.Millisecond}, 10 * time.Millisecond, true},
		{"tolerance/equal", Config{Late: DropBeyondTolerance, Tolerance: 10 * time.Millisecond}, 10 * time.Millisecond, true},
		{"tolerance/beyond", Config{Late: DropBeyondTolerance, Tolerance: 5 * time.Millisecond}, 10 * time.Millisecond, false},
		{"drop", Config{Late: DropLate}, time.Millisecond, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var r recorder
				s := start(t, fake(c.cfg), r.dispatch)
				tt := now().Add(-c.late)
				if err := s.Submit(bundle(tt, msg("/late")), 1); err != nil {
					t.Fatal(err)
				}
				// On time is not late, whatever the policy.
				if err := s.Submit(bundle(now(), msg("/ontime")), 2); err != nil {
					t.Fatal(err)
				}
				closeOK(t, s)
				got := r.snapshot()
				want := 1
				if c.delivered {
					want = 2
					if d := got[0].late - c.late; d < -time.Nanosecond || d > time.Nanosecond || got[0].due != tt || got[0].queued {
						t.Fatalf("late delivery %+v, want lateness %v", got[0], c.late)
					}
				}
				if len(got) != want || got[len(got)-1].addrs[0] != "/ontime" || got[len(got)-1].late != 0 {
					t.Fatalf("got %+v", got)
				}
				st := s.Stats()
				dropped := uint64(0)
				if !c.delivered {
					dropped = 1
				}
				if st.Late != 1 || st.DroppedLate != dropped {
					t.Fatalf("stats %+v", st)
				}
			})
		})
	}
}

func TestMaxQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{MaxQueue: 3, Logger: slog.New(slog.DiscardHandler)}), r.dispatch)
		at := now().Add(time.Second)
		for i := range 2 {
			if err := s.Submit(bundle(at, msg("/q")), i); err != nil {
				t.Fatal(err)
			}
		}
		// Two future groups and an immediate one: refused whole, since
		// only one slot is left.
		pkt := bundle(wire.Immediately, msg("/now"), bundle(at, msg("/a")), bundle(at, msg("/b")))
		if err := s.Submit(pkt, 9); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("Submit = %v, want ErrQueueFull", err)
		}
		if r.len() != 0 {
			t.Fatal("part of a refused packet was dispatched")
		}
		if err := s.Submit(bundle(at, msg("/q")), 2); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(bundle(at, msg("/q")), 3); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("Submit = %v, want ErrQueueFull", err)
		}
		// Immediate traffic still flows with the queue full.
		if err := s.Submit(msg("/now"), 4); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.RefusedFull != 2 || st.Queued != 3 || st.Dispatched != 1 {
			t.Fatalf("stats %+v", st)
		}
		time.Sleep(2 * time.Second)
		closeOK(t, s)
		if st := s.Stats(); st.Dispatched != 4 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestMaxHorizonAndLogRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		var logs bytes.Buffer
		s := start(t, fake(Config{MaxHorizon: time.Hour, Logger: slog.New(slog.NewTextHandler(&logs, nil))}), r.dispatch)
		year := now().Add(365 * 24 * time.Hour)
		for range 51 {
			if err := s.Submit(bundle(wire.Immediately, msg("/now"), bundle(year, msg("/later"))), 0); !errors.Is(err, ErrHorizon) {
				t.Fatalf("Submit = %v, want ErrHorizon", err)
			}
		}
		if n := strings.Count(logs.String(), "\n"); n != 1 {
			t.Fatalf("%d log lines within a second, want 1:\n%s", n, logs.String())
		}
		time.Sleep(time.Second)
		if err := s.Submit(bundle(year), 0); err != nil { // empty: nothing to refuse
			t.Fatal(err)
		}
		if err := s.Submit(bundle(year, msg("/x")), 0); !errors.Is(err, ErrHorizon) {
			t.Fatalf("Submit = %v, want ErrHorizon", err)
		}
		if n := strings.Count(logs.String(), "\n"); n != 2 || !strings.Contains(logs.String(), "suppressed=50") {
			t.Fatalf("logs:\n%s", logs.String())
		}
		// Just inside the horizon is accepted.
		if err := s.Submit(bundle(now().Add(time.Hour), msg("/x")), 0); err != nil {
			t.Fatal(err)
		}
		closeOK(t, s)
		if st := s.Stats(); st.RefusedHorizon != 52 || r.len() != 0 || st.DroppedAtClose != 1 {
			t.Fatalf("stats %+v, %d dispatched", st, r.len())
		}
	})
}

func TestNoHorizon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{MaxHorizon: -1}), r.dispatch)
		if err := s.Submit(bundle(now().Add(10*365*24*time.Hour), msg("/x")), 0); err != nil {
			t.Fatal(err)
		}
		closeOK(t, s)
	})
}

func TestCloseDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{}), r.dispatch)
		for i := range 5 {
			if err := s.Submit(bundle(now().Add(time.Duration(i+1)*time.Second), msg("/x")), i); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(1500 * time.Millisecond)
		closeOK(t, s)
		if st := s.Stats(); r.len() != 1 || st.DroppedAtClose != 4 || st.Queued != 0 {
			t.Fatalf("stats %+v, %d dispatched", st, r.len())
		}
		if err := s.Submit(msg("/x"), 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("Submit after Close = %v", err)
		}
		if err := s.Submit(bundle(now().Add(time.Second), msg("/x")), 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("Submit after Close = %v", err)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatalf("second Close = %v", err)
		}
	})
}

func TestCloseDrains(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{DrainOnClose: true}), r.dispatch)
		start := time.Now()
		for i := range 5 {
			if err := s.Submit(bundle(now().Add(time.Duration(i+1)*time.Second), msg("/x")), i); err != nil {
				t.Fatal(err)
			}
		}
		closeOK(t, s)
		if el := time.Since(start); el != 5*time.Second {
			t.Fatalf("Close returned after %v, want 5s", el)
		}
		got := r.snapshot()
		if st := s.Stats(); len(got) != 5 || st.DroppedAtClose != 0 {
			t.Fatalf("stats %+v, %d dispatched", st, len(got))
		}
		for i, g := range got {
			if g.origin != i || g.late != 0 {
				t.Fatalf("%+v", g)
			}
		}
	})
}

func TestCloseDrainDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{DrainOnClose: true}), r.dispatch)
		for i := range 5 {
			if err := s.Submit(bundle(now().Add(time.Duration(i+1)*time.Second), msg("/x")), i); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		if err := s.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close = %v, want DeadlineExceeded", err)
		}
		if st := s.Stats(); r.len() != 2 || st.DroppedAtClose != 3 || s.held.Load() != 0 {
			t.Fatalf("stats %+v, %d dispatched, %d held", st, r.len(), s.held.Load())
		}
	})
}

func TestOffset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		// The sender's clock runs 1.5 s ahead of ours.
		s := start(t, fake(Config{Offset: -1500 * time.Millisecond}), r.dispatch)
		start := time.Now()
		tt := now().Add(2 * time.Second)
		if err := s.Submit(bundle(tt, msg("/x")), 0); err != nil {
			t.Fatal(err)
		}
		// Timed 1 s ahead by the sender: already 0.5 s late here.
		if err := s.Submit(bundle(now().Add(time.Second), msg("/y")), 1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		closeOK(t, s)
		got := r.snapshot()
		if len(got) != 2 || got[0].late != 500*time.Millisecond || got[1].tt != tt || got[1].due != tt.Add(-1500*time.Millisecond) ||
			got[1].at.Sub(start) != 500*time.Millisecond {
			t.Fatalf("got %+v", got)
		}
		// Immediate stays immediate.
	})
}

func TestIgnoreTimetags(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{IgnoreTimetags: true, Late: DropLate, MaxHorizon: time.Second}), r.dispatch)
		tt := now().Add(time.Hour)
		pkt := bundle(tt, msg("/a"), bundle(tt.Add(time.Second), msg("/b")), bundle(now().Add(-time.Hour), msg("/c")))
		if err := s.Submit(pkt, 0); err != nil && !isTimeOrder(err) {
			t.Fatal(err)
		}
		if err := s.Submit(bundle(tt, msg("/a"), bundle(tt.Add(time.Second), msg("/b"))), 0); err != nil {
			t.Fatal(err)
		}
		got := r.snapshot()
		if len(got) != 2 || got[0].addrs[0] != "/a" || got[1].addrs[0] != "/b" || got[0].tt != tt ||
			got[0].due != wire.Immediately || got[0].late != 0 || got[1].tt != tt.Add(time.Second) || s.Len() != 0 {
			t.Fatalf("got %+v", got)
		}
		closeOK(t, s)
	})
}

// TestNested checks that each bundle level runs at its own time, parent
// first, and that an immediate child runs at its parent's time.
func TestNested(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{}), r.dispatch)
		start := time.Now()
		t1, t2 := now().Add(time.Second), now().Add(2*time.Second)
		pkt := bundle(t1,
			msg("/a"),
			bundle(t2, msg("/b1"), msg("/b2")),
			bundle(wire.Immediately, msg("/c")),
			msg("/d"),
		)
		if err := s.Submit(pkt, 0); err != nil {
			t.Fatal(err)
		}
		if s.Len() != 3 {
			t.Fatalf("Len %d, want 3 groups", s.Len())
		}
		time.Sleep(3 * time.Second)
		closeOK(t, s)
		got := r.snapshot()
		want := []struct {
			addrs string
			at    time.Duration
			tt    wire.Timetag
		}{{"/a,/d", time.Second, t1}, {"/c", time.Second, t1}, {"/b1,/b2", 2 * time.Second, t2}}
		if len(got) != len(want) {
			t.Fatalf("got %d groups", len(got))
		}
		for i, w := range want {
			if a := strings.Join(got[i].addrs, ","); a != w.addrs || got[i].at.Sub(start) != w.at || got[i].tt != w.tt {
				t.Errorf("group %d: %s at %v tt %v, want %s at %v", i, a, got[i].at.Sub(start), got[i].tt, w.addrs, w.at)
			}
		}
	})
}

// TestNestedImmediateParent checks that a future child of an immediate
// parent waits for its own time while the parent's messages run at once.
func TestNestedImmediateParent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{}), r.dispatch)
		pkt := bundle(wire.Immediately, msg("/now"), bundle(now().Add(time.Second), msg("/later")))
		if err := s.Submit(pkt, 0); err != nil {
			t.Fatal(err)
		}
		if got := r.snapshot(); len(got) != 1 || got[0].addrs[0] != "/now" || s.Len() != 1 {
			t.Fatalf("got %+v, Len %d", got, s.Len())
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := r.snapshot(); len(got) != 2 || got[1].addrs[0] != "/later" || !got[1].queued {
			t.Fatalf("got %+v", got)
		}
		closeOK(t, s)
	})
}

func TestNestedEarlierThanParent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t1 := now().Add(2 * time.Second)
		pkt := bundle(t1, msg("/a"), bundle(now().Add(time.Second), msg("/early")))

		var r recorder
		strict := start(t, fake(Config{}), r.dispatch)
		if err := strict.Submit(pkt, 0); !isTimeOrder(err) {
			t.Fatalf("strict Submit = %v, want a nested bundle earlier than its parent", err)
		}
		closeOK(t, strict)

		lenient := start(t, fake(Config{Decode: wire.Options{Lenient: true}}), r.dispatch)
		start := time.Now()
		if err := lenient.Submit(pkt, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		closeOK(t, lenient)
		got := r.snapshot()
		if len(got) != 2 || got[1].addrs[0] != "/early" || got[1].tt != t1 || got[1].at.Sub(start) != 2*time.Second {
			t.Fatalf("got %+v", got)
		}
	})
}

// TestEarlierArrivalWakes checks that a bundle due before the queue's head
// wakes the dispatcher.
func TestEarlierArrivalWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := start(t, fake(Config{}), r.dispatch)
		start := time.Now()
		if err := s.Submit(bundle(now().Add(time.Hour), msg("/late")), 0); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := s.Submit(bundle(now().Add(time.Second), msg("/soon")), 1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		got := r.snapshot()
		if len(got) != 1 || got[0].origin != 1 || got[0].at.Sub(start) != time.Second {
			t.Fatalf("got %+v", got)
		}
		closeOK(t, s)
	})
}

// TestSpinInFakeTime checks that the default spin window falls back to the
// timer when time stands still, instead of spinning forever.
func TestSpinInFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r recorder
		s := New(Config{}, r.dispatch) // default Spin
		start := time.Now()
		for i := range 3 {
			if err := s.Submit(bundle(now().Add(time.Duration(i+1)*50*time.Microsecond), msg("/x")), i); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Millisecond)
		closeOK(t, s)
		got := r.snapshot()
		if len(got) != 3 {
			t.Fatalf("got %d", len(got))
		}
		for i, g := range got {
			if g.at.Sub(start) != time.Duration(i+1)*50*time.Microsecond {
				t.Fatalf("group %d at %v", i, g.at.Sub(start))
			}
		}
	})
}

// TestRealTimeNeverEarly runs on the real clock, with the default spin:
// no group may run before its time.
func TestRealTimeNeverEarly(t *testing.T) {
	var r recorder
	s := New(Config{}, r.dispatch)
	base := time.Now()
	dues := make([]time.Time, 20)
	for i := range dues {
		dues[i] = base.Add(time.Duration(5+i) * time.Millisecond)
		if err := s.Submit(bundle(wire.TimetagOf(dues[i]), msg("/x")), i); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.len() < len(dues) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	closeOK(t, s)
	got := r.snapshot()
	if len(got) != len(dues) {
		t.Fatalf("dispatched %d of %d within 5 s", len(got), len(dues))
	}
	for _, g := range got {
		// TimetagOf rounds up to the next 2^-32 s; allow that.
		if early := dues[g.origin].Sub(g.at); early > time.Nanosecond {
			t.Fatalf("group %d ran %v early", g.origin, early)
		}
	}
}

func TestDeliveryClone(t *testing.T) {
	var kept *Delivery[int]
	s := New(Config{}, func(d *Delivery[int]) { kept = d.Clone() })
	defer closeOK(t, s)
	pkt := bundle(wire.Immediately, msg("/a", 1), msg("/b", 2))
	if err := s.Submit(pkt, 3); err != nil {
		t.Fatal(err)
	}
	clear(pkt)
	r := kept.Messages()
	var addrs []string
	for r.Next() {
		addrs = append(addrs, r.Message().AddressString())
	}
	if strings.Join(addrs, ",") != "/a,/b" || kept.Origin != 3 || kept.Len() != 2 {
		t.Fatalf("clone holds %v origin %d", addrs, kept.Origin)
	}
}

func TestLatePolicyString(t *testing.T) {
	for p, want := range map[LatePolicy]string{DeliverLate: "deliver", DropBeyondTolerance: "drop-beyond-tolerance", DropLate: "drop", 9: "unknown"} {
		if p.String() != want {
			t.Errorf("%d: %q", p, p.String())
		}
	}
}

// isTimeOrder reports whether err is strict decoding's refusal of a nested
// bundle timed before its parent.
func isTimeOrder(err error) bool {
	var pe *wire.ParseError
	return errors.As(err, &pe) && strings.Contains(err.Error(), "earlier than its parent")
}
