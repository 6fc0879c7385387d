package wire

import (
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// TestEra reads timetags against clocks on both sides of the 2036
// rollover (see Timetag's # Eras): Time's conversion and RelativeTo.
func TestEra(t *testing.T) {
	date := func(y int, m time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, m, d, h, mi, s, ns, time.UTC)
	}
	rollover := date(2036, 2, 7, 6, 28, 16, 0)
	readme := NewTimetag(100, 1<<31) // 00000064.80000000
	half := NewTimetag(0, 1<<31)     // half a second into era 1
	type reading struct {
		tt   Timetag
		want time.Time
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		tags []reading
	}{
		{"2026", date(2026, 6, 1, 12, 0, 0, 0), []reading{
			{readme, date(1900, 1, 1, 0, 1, 40, 500_000_000)},
			{TimetagOf(date(1967, 12, 31, 0, 0, 0, 0)), date(1967, 12, 31, 0, 0, 0, 0)},
			{TimetagOf(date(2025, 6, 1, 12, 0, 0, 0)), date(2025, 6, 1, 12, 0, 0, 0)},
			{TimetagOf(date(2026, 6, 1, 12, 0, 1, 0)), date(2026, 6, 1, 12, 0, 1, 0)},
			{TimetagOf(date(2035, 1, 1, 0, 0, 0, 0)), date(2035, 1, 1, 0, 0, 0, 0)},
			{NewTimetag(0xffffffff, 0), rollover.Add(-time.Second)},
			// Taken literally until the rollover: 2037 and the
			// rollover itself read as 1900-based, long past.
			{TimetagOf(date(2037, 1, 1, 0, 0, 0, 0)), date(2037, 1, 1, 0, 0, 0, 0).Add(-(1 << 32) * time.Second)},
			{half, date(1900, 1, 1, 0, 0, 0, 500_000_000)},
		}},
		{"2040", date(2040, 6, 1, 12, 0, 0, 0), []reading{
			{readme, rollover.Add(100*time.Second + 500*time.Millisecond)},
			{TimetagOf(date(1970, 1, 1, 0, 0, 0, 0)), date(1970, 1, 1, 0, 0, 0, 0)},
			{TimetagOf(date(2025, 6, 1, 12, 0, 0, 0)), date(2025, 6, 1, 12, 0, 0, 0)},
			{TimetagOf(date(2026, 6, 1, 12, 0, 1, 0)), date(2026, 6, 1, 12, 0, 1, 0)},
			{TimetagOf(date(2035, 1, 1, 0, 0, 0, 0)), date(2035, 1, 1, 0, 0, 0, 0)},
			{NewTimetag(0xffffffff, 0), rollover.Add(-time.Second)},
			{half, rollover.Add(500 * time.Millisecond)},
			{TimetagOf(date(2037, 1, 1, 0, 0, 0, 0)), date(2037, 1, 1, 0, 0, 0, 0)},
			{TimetagOf(date(2040, 6, 1, 12, 0, 1, 0)), date(2040, 6, 1, 12, 0, 1, 0)},
			// 2^30 s ahead is the furthest read as future; a unit
			// more is read in era 0, 2^32 s earlier.
			{TimetagOf(date(2040, 6, 1, 12, 0, 0, 0)).Add(1 << 30 * time.Second), date(2040, 6, 1, 12, 0, 0, 0).Add(1 << 30 * time.Second)},
			{TimetagOf(date(2040, 6, 1, 12, 0, 0, 0)).Add(1<<30*time.Second) + 1, date(2040, 6, 1, 12, 0, 0, 0).Add((1<<30 - 1<<32) * time.Second)},
		}},
		{"last second of era 0", rollover.Add(-time.Second), []reading{
			// The oldest reading: lateness close to 2^32 s.
			{readme, date(1900, 1, 1, 0, 1, 40, 500_000_000)},
			// A sender a second and a half ahead, across the rollover.
			{half, date(1900, 1, 1, 0, 0, 0, 500_000_000)},
			{NewTimetag(0xfffffffe, 0), rollover.Add(-2 * time.Second)},
		}},
		{"the rollover second", rollover, []reading{
			{NewTimetag(0xffffffff, 0), rollover.Add(-time.Second)},
			{half, rollover.Add(500 * time.Millisecond)},
			{NewTimetag(1, 0), rollover.Add(time.Second)},
			// At the rollover 00000064.80000000 is 100.5 s ahead.
			{readme, rollover.Add(100*time.Second + 500*time.Millisecond)},
			{TimetagOf(date(2026, 6, 1, 12, 0, 0, 0)), date(2026, 6, 1, 12, 0, 0, 0)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := TimetagOf(tc.now)
			if got := now.timeAt(now); !got.Equal(tc.now) {
				t.Fatalf("now reads as %v", got)
			}
			for _, r := range tc.tags {
				if got := r.tt.timeAt(now); !got.Equal(r.want) {
					t.Errorf("%s reads as %v, want %v", r.tt.AppendText(nil), got, r.want)
				}
				// time.Time.Sub saturates at 292 years; these are
				// within 136.
				want := r.want.Sub(tc.now)
				if got := r.tt.RelativeTo(now); got != want {
					t.Errorf("%s.RelativeTo(now) = %v, want %v", r.tt.AppendText(nil), got, want)
				}
			}
		})
	}
}

// TestRelativeToRandom checks RelativeTo's range, its exact sign and its
// agreement with the modular difference on random pairs.
func TestRelativeToRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pairs := [][2]Timetag{{0, 0}, {1, 0}, {0, 1}, {0, 1<<64 - 1}, {1<<64 - 1, 0}, {1 << 62, 0}, {1<<62 + 1, 0}}
	for range 200_000 {
		a := Timetag(r.Uint64())
		b := a + Timetag(r.Int64N(1<<40)-1<<39) // also close pairs
		pairs = append(pairs, [2]Timetag{a, Timetag(r.Uint64())}, [2]Timetag{a, b})
	}
	for _, p := range pairs {
		tt, now := p[0], p[1]
		d := tt.RelativeTo(now)
		if d > 1<<30*time.Second || d < -(1<<32)*time.Second {
			t.Fatalf("%x.RelativeTo(%x) = %v, out of range", uint64(tt), uint64(now), d)
		}
		// The rule in exact arithmetic: both read in the same era, tt
		// moved an era back if it is more than 2^62 units ahead.
		exact := new(big.Int).Sub(new(big.Int).SetUint64(uint64(tt)), new(big.Int).SetUint64(uint64(now)))
		if exact.Cmp(big.NewInt(1<<62)) > 0 {
			exact.Sub(exact, new(big.Int).Lsh(big.NewInt(1), 64))
		}
		if sign := exact.Sign(); (d > 0) != (sign > 0) || (d < 0) != (sign < 0) {
			t.Fatalf("%x.RelativeTo(%x) = %v: wrong sign", uint64(tt), uint64(now), d)
		}
		// Rounded away from zero: |d| - |exact| in [0, 1 ns).
		ns := new(big.Int).Mul(exact, big.NewInt(1e9))
		ns.Sub(new(big.Int).Lsh(big.NewInt(int64(d)), 32), ns)
		if exact.Sign() < 0 {
			ns.Neg(ns)
		}
		if ns.Sign() < 0 || ns.Cmp(new(big.Int).Lsh(big.NewInt(1), 32)) >= 0 {
			t.Fatalf("%x.RelativeTo(%x) = %v, exact %v units", uint64(tt), uint64(now), d, exact)
		}
		// Modulo 2^32 s, it is the modular difference, rounded.
		back := now.Add(d)
		if diff := int64(back - tt); diff < -5 || diff > 5 {
			t.Fatalf("%x.RelativeTo(%x) = %v: now+d = %x", uint64(tt), uint64(now), d, uint64(back))
		}
		// Time and RelativeTo read the same era.
		if now.Seconds() != 0 && tt.Seconds() != 0 { // keep clear of 0 and 1 (immediate)
			got := tt.timeAt(now).Sub(now.timeAt(now))
			if diff := got - d; diff < -time.Nanosecond || diff > time.Nanosecond {
				t.Fatalf("%x against %x: Time difference %v, RelativeTo %v", uint64(tt), uint64(now), got, d)
			}
		}
	}
}
