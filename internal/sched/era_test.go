package sched

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

// TestEraRule submits bundles timed from 1900 to after the 2036 rollover
// to schedulers whose clocks read 2026, 2040 and the last second before
// the rollover: each timetag is read by wire's era rule (Timetag's
// # Eras), so a past one is late, however old, and delivered at once, a
// future one waits, and only a future one can be beyond the horizon.
func TestEraRule(t *testing.T) {
	date := func(y int, m time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, m, d, h, mi, s, ns, time.UTC)
	}
	rollover := date(2036, 2, 7, 6, 28, 16, 0)
	readme := wire.NewTimetag(100, 1<<31) // 00000064.80000000, 1900 or 2036
	half := wire.NewTimetag(0, 1<<31)     // half a second after the rollover
	const (
		late = iota
		future
		horizon
		now
	)
	type submission struct {
		name string
		tt   wire.Timetag
		want int
		at   time.Time // the time the timetag is read as (late and future)
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		subs []submission
	}{
		{"clock in 2026", date(2026, 6, 1, 12, 0, 0, 0), []submission{
			{"1900", readme, late, date(1900, 1, 1, 0, 1, 40, 500_000_000)},
			{"2025", wire.TimetagOf(date(2025, 6, 1, 12, 0, 0, 0)), late, date(2025, 6, 1, 12, 0, 0, 0)},
			{"2026+1s", wire.TimetagOf(date(2026, 6, 1, 12, 0, 1, 0)), future, date(2026, 6, 1, 12, 0, 1, 0)},
			{"2035", wire.TimetagOf(date(2035, 1, 1, 0, 0, 0, 0)), horizon, time.Time{}},
			// After the rollover, read literally: 1900-based.
			{"2037", wire.TimetagOf(date(2037, 1, 1, 0, 0, 0, 0)), late, date(2037, 1, 1, 0, 0, 0, 0).Add(-(1 << 32) * time.Second)},
			{"rollover second", half, late, date(1900, 1, 1, 0, 0, 0, 500_000_000)},
			{"rollover second, 0", wire.NewTimetag(0, 0), now, time.Time{}},
		}},
		{"clock in 2040", date(2040, 6, 1, 12, 0, 0, 0), []submission{
			{"1900", readme, late, rollover.Add(100*time.Second + 500*time.Millisecond)},
			{"2025", wire.TimetagOf(date(2025, 6, 1, 12, 0, 0, 0)), late, date(2025, 6, 1, 12, 0, 0, 0)},
			{"2026+1s", wire.TimetagOf(date(2026, 6, 1, 12, 0, 1, 0)), late, date(2026, 6, 1, 12, 0, 1, 0)},
			{"2035", wire.TimetagOf(date(2035, 1, 1, 0, 0, 0, 0)), late, date(2035, 1, 1, 0, 0, 0, 0)},
			{"2037", wire.TimetagOf(date(2037, 1, 1, 0, 0, 0, 0)), late, date(2037, 1, 1, 0, 0, 0, 0)},
			{"rollover second", half, late, rollover.Add(500 * time.Millisecond)},
			{"2040+1s", wire.TimetagOf(date(2040, 6, 1, 12, 0, 1, 0)), future, date(2040, 6, 1, 12, 0, 1, 0)},
			{"2041", wire.TimetagOf(date(2041, 1, 1, 0, 0, 0, 0)), horizon, time.Time{}},
		}},
		{"clock a second before the rollover", rollover.Add(-time.Second), []submission{
			// The oldest reading: late by almost 2^32 s, 136 years.
			{"1900", readme, late, date(1900, 1, 1, 0, 1, 40, 500_000_000)},
			// A sender a second and a half ahead, across the
			// rollover: read as 136 years late, delivered at once.
			{"sender ahead", half, late, date(1900, 1, 1, 0, 0, 0, 500_000_000)},
			{"2035", wire.TimetagOf(date(2035, 1, 1, 0, 0, 0, 0)), late, date(2035, 1, 1, 0, 0, 0, 0)},
			{"just before", wire.NewTimetag(0xffffffff, 0).Add(500 * time.Millisecond), future, rollover.Add(-500 * time.Millisecond)},
		}},
		{"clock at the rollover", rollover, []submission{
			{"a second before", wire.NewTimetag(0xffffffff, 0), late, rollover.Add(-time.Second)},
			{"2026", wire.TimetagOf(date(2026, 6, 1, 12, 0, 0, 0)), late, date(2026, 6, 1, 12, 0, 0, 0)},
			{"rollover second", half, future, rollover.Add(500 * time.Millisecond)},
			// 00000064.80000000 is now 2036 + 100.5 s.
			{"1900", readme, future, rollover.Add(100*time.Second + 500*time.Millisecond)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &manualClock{now: wire.TimetagOf(tc.now)}
			var r recorder
			s := start(t, fake(Config{Clock: clk, Logger: slog.New(slog.DiscardHandler)}), r.dispatch)
			var wantLate, wantHorizon uint64
			var queued []submission
			for i, sub := range tc.subs {
				err := s.Submit(bundle(sub.tt, msg("/x", int32(i))), i)
				if sub.want == horizon {
					wantHorizon++
					if !errors.Is(err, ErrHorizon) {
						t.Errorf("%s: Submit = %v, want ErrHorizon", sub.name, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: Submit = %v", sub.name, err)
				}
				got := r.snapshot()
				if sub.want == future {
					queued = append(queued, sub)
					if len(got) != 0 && got[len(got)-1].origin == i {
						t.Errorf("%s: dispatched at once, want queued", sub.name)
					}
					continue
				}
				if len(got) == 0 || got[len(got)-1].origin != i {
					t.Fatalf("%s: not dispatched at once", sub.name)
				}
				d := got[len(got)-1]
				if sub.want == now {
					if d.late != 0 || d.queued {
						t.Errorf("%s: delivery %+v, want immediate", sub.name, d)
					}
					continue
				}
				wantLate++
				// time.Time.Sub saturates at 292 years; these are
				// within 136.
				if want := tc.now.Sub(sub.at); d.late != want || d.queued || d.due != sub.tt {
					t.Errorf("%s: lateness %v (queued %v, due %v), want %v", sub.name, d.late, d.queued, d.due, want)
				}
			}
			if n := s.Len(); n != len(queued) {
				t.Fatalf("%d groups queued, want %d", n, len(queued))
			}
			for _, sub := range queued {
				before := r.len()
				clk.Set(wire.TimetagOf(sub.at))
				deadline := time.Now().Add(5 * time.Second)
				for r.len() == before && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				got := r.snapshot()
				if len(got) != before+1 {
					t.Fatalf("%s: %d dispatched at its time, want 1", sub.name, len(got)-before)
				}
				if d := got[before]; d.due != sub.tt || !d.queued || d.late != 0 {
					t.Errorf("%s: delivery %+v", sub.name, d)
				}
			}
			closeOK(t, s)
			if st := s.Stats(); st.Late != wantLate || st.RefusedHorizon != wantHorizon || st.DroppedAtClose != 0 {
				t.Fatalf("stats %+v, want %d late and %d beyond the horizon", st, wantLate, wantHorizon)
			}
		})
	}
}
