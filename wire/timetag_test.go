package wire_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/wire"
)

func TestTimetagConversions(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Time
		sec  uint32
		now  bool // Time reads it back with the system clock (see TestEra for the others)
	}{
		{"unix epoch", time.Unix(0, 0), 2208988800, true},
		{"2000", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 3155673600, true},
		{"last second of era 0", time.Date(2036, 2, 7, 6, 28, 15, 0, time.UTC), 0xffffffff, true},
		{"second 1 of era 1", time.Date(2036, 2, 7, 6, 28, 17, 0, time.UTC), 1, false},
		{"2050, era 1", time.Date(2050, 6, 1, 12, 0, 0, 0, time.UTC), 451719104, false},
		{"1970 plus half", time.Unix(0, 500_000_000), 2208988800, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tt := wire.TimetagOf(tc.at)
			require.Equal(t, tc.sec, tt.Seconds())
			if !tc.now || time.Now().Year() >= 2036 {
				return
			}
			back := tt.Time()
			require.WithinDuration(t, tc.at, back, time.Nanosecond, "round trip of %v gave %v", tc.at, back)
		})
	}
	// Half a second is exactly 2^31 fraction units.
	require.Equal(t, uint32(1<<31), wire.TimetagOf(time.Unix(0, 500_000_000)).Fraction())
}

// TestTimetagTimeNow checks Time's round trip around the system clock's
// current time, whatever the year the test runs in.
func TestTimetagTimeNow(t *testing.T) {
	now := time.Now().UTC()
	for _, at := range []time.Time{
		now,
		now.Add(time.Hour),
		now.Add(-time.Hour),
		now.AddDate(0, 1, 0),
		now.AddDate(-60, 0, 0),
	} {
		require.Equal(t, at, wire.TimetagOf(at).Time(), "round trip of %v", at)
	}
}

func TestTimetagRoundTripNanoseconds(t *testing.T) {
	base := time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC)
	for ns := int64(0); ns < 1e9; ns += 7_919_371 {
		at := base.Add(time.Duration(ns))
		require.Equal(t, at, wire.TimetagOf(at).Time(), "ns %d", ns)
	}
}

func TestTimetagImmediate(t *testing.T) {
	require.True(t, wire.Immediately.IsImmediate())
	require.True(t, wire.Timetag(0).IsImmediate())
	require.False(t, wire.Timetag(2).IsImmediate())
	require.True(t, wire.Immediately.Time().IsZero())
	require.Equal(t, wire.Immediately, wire.TimetagOf(time.Time{}))
	require.Equal(t, "immediately", wire.Immediately.String())
}

func TestTimetagArithmetic(t *testing.T) {
	a := wire.TimetagOf(time.Date(2036, 2, 7, 6, 28, 15, 0, time.UTC))
	b := a.Add(2 * time.Second) // crosses the era rollover
	require.Equal(t, uint32(1), b.Seconds())
	require.Equal(t, 2*time.Second, b.Sub(a))
	require.Equal(t, -2*time.Second, a.Sub(b))
	require.True(t, a.Before(b))
	require.False(t, b.Before(a))
	// Read against a clock, b is two seconds ahead of a clock already
	// past the rollover, but a clock still before it reads b in era 0:
	// 1900, about 136 years late (see Timetag's # Eras).
	require.Equal(t, -2*time.Second, a.RelativeTo(b))
	require.Equal(t, -(1<<32-2)*time.Second, b.RelativeTo(a))
	d := 1500 * time.Microsecond
	require.InDelta(t, float64(d), float64(a.Add(d).Sub(a)), 1)
}

func TestTimetagText(t *testing.T) {
	tt := wire.NewTimetag(0xeeb06f77, 0x36a60f85)
	text := string(tt.AppendText(nil))
	require.Equal(t, "eeb06f77.36a60f85", text)
	back, err := wire.ParseTimetagText(text)
	require.NoError(t, err)
	require.Equal(t, tt, back)
	for _, bad := range []string{"", "eeb06f77", "eeb06f77-36a60f85", "eeb06f7g.36a60f85", "eeb06f77.36a60f851"} {
		_, err := wire.ParseTimetagText(bad)
		require.ErrorIs(t, err, wire.ErrTimetagText, bad)
	}
}

func TestEffectiveTimetag(t *testing.T) {
	p := wire.NewTimetag(100, 0)
	require.Equal(t, p, wire.EffectiveTimetag(wire.Immediately, p), "immediate child runs at the parent's time")
	require.Equal(t, p, wire.EffectiveTimetag(wire.NewTimetag(50, 0), p), "earlier child is raised")
	require.Equal(t, wire.NewTimetag(150, 0), wire.EffectiveTimetag(wire.NewTimetag(150, 0), p))
	require.Equal(t, wire.Immediately, wire.EffectiveTimetag(0, 0), "0 reads as immediately")
}

func TestNestedEarlierBundle(t *testing.T) {
	var e wire.Encoder
	e.BeginBundle(wire.NewTimetag(100, 0)).BeginBundle(wire.NewTimetag(50, 0)).Message("/x").End().EndBundle().EndBundle()
	pkt, err := e.Bytes()
	require.NoError(t, err)
	require.ErrorIs(t, wire.Validate(pkt), wire.ErrTimeOrder)
	lenient := wire.Options{Lenient: true}
	var got []wire.Timetag
	require.NoError(t, lenient.Walk(pkt, func(_ wire.Message, tt wire.Timetag) error {
		got = append(got, tt)
		return nil
	}))
	require.Equal(t, []wire.Timetag{wire.NewTimetag(100, 0)}, got)
}
