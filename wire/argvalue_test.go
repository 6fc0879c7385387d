package wire_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/wire"
)

// TestArgValueOwnsItsData checks that Arg.Value copies what it reads: the
// values stay as they were after the packet's buffer is overwritten.
func TestArgValueOwnsItsData(t *testing.T) {
	want := []wire.Value{
		wire.Int32(-7), wire.Int64(1 << 40), wire.Float32(0.5), wire.Float64(2.25),
		wire.String("hello"), wire.Symbol("sym"), wire.Blob([]byte{1, 2, 3}), wire.Bool(true),
		wire.Nil(), wire.Impulse(), wire.TimetagValue(wire.NewTimetag(5, 6)), wire.Char('x'),
		wire.RGBAValue(wire.RGBA{R: 1, G: 2, B: 3, A: 4}), wire.MIDIValue(wire.MIDI{Port: 1, Status: 0x90, Data1: 60, Data2: 100}),
		wire.Array(wire.Int32(1), wire.Array(wire.String("deep"))),
	}
	pkt, err := wire.AppendMessage(nil, "/v", want...)
	require.NoError(t, err)
	m, err := wire.ParseMessage(pkt)
	require.NoError(t, err)
	var got []wire.Value
	for r := m.Args(); r.Next(); {
		got = append(got, r.Arg().Value())
	}
	clear(pkt)
	require.Len(t, got, len(want))
	for i := range want {
		require.True(t, want[i].Equal(got[i]), "argument %d: got %v, want %v", i, got[i], want[i])
	}
}
