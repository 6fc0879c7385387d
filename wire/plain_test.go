package wire_test

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/wire"
)

func TestInfer(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	type inferCase struct {
		in   any
		want wire.Value
	}
	cases := []inferCase{
		{int(7), wire.Int32(7)},
		{int32(-3), wire.Int32(-3)},
		{int64(5), wire.Int64(5)},
		{uint8(200), wire.Int32(200)},
		{uint32(math.MaxUint32), wire.Int64(math.MaxUint32)},
		{uint64(9), wire.Int32(9)},
		{float32(0.5), wire.Float32(0.5)},
		{2.5, wire.Float32(2.5)},
		{"hello", wire.String("hello")},
		{[]byte{1, 2}, wire.Blob([]byte{1, 2})},
		{true, wire.Bool(true)},
		{false, wire.Bool(false)},
		{nil, wire.Nil()},
		{now, wire.TimetagValue(wire.TimetagOf(now))},
		{wire.Immediately, wire.TimetagValue(wire.Immediately)},
		{wire.RGBA{R: 1, A: 4}, wire.RGBAValue(wire.RGBA{R: 1, A: 4})},
		{wire.MIDI{Status: 0x90, Data1: 60}, wire.MIDIValue(wire.MIDI{Status: 0x90, Data1: 60})},
		{wire.Symbol("sym"), wire.Symbol("sym")},
		{[]any{1, "a", []any{2.5, nil}}, wire.Array(wire.Int32(1), wire.String("a"), wire.Array(wire.Float32(2.5), wire.Nil()))},
		{[]int{1, 2}, wire.Array(wire.Int32(1), wire.Int32(2))},
		{[2]string{"x", "y"}, wire.Array(wire.String("x"), wire.String("y"))},
		{[]any{}, wire.Array()},
	}
	if strconv.IntSize == 64 {
		// An int past int32's range is an int64; only a 64-bit int gets there.
		above, below := int64(math.MaxInt32)+1, int64(math.MinInt32)-1
		cases = append(cases, inferCase{int(above), wire.Int64(above)}, inferCase{int(below), wire.Int64(below)})
	}
	for _, c := range cases {
		got, err := wire.Infer(c.in)
		require.NoErrorf(t, err, "%#v", c.in)
		require.Truef(t, c.want.Equal(got), "Infer(%#v) = %v, want %v", c.in, got, c.want)
	}
}

func TestInferNoOSCType(t *testing.T) {
	var deep any = []any{}
	for range limits.ArrayDepth + 1 {
		deep = []any{deep}
	}
	for _, x := range []any{map[string]int{}, struct{}{}, new(int), make(chan int), uint64(math.MaxUint64), []any{1, complex(1, 2)}, deep} {
		_, err := wire.Infer(x)
		var te *wire.TypeError
		require.Truef(t, errors.As(err, &te), "Infer(%T): %v", x, err)
		require.Equal(t, -1, te.Arg)
	}
	_, err := wire.InferAll([]any{1, "ok", func() {}})
	var te *wire.TypeError
	require.ErrorAs(t, err, &te)
	require.Equal(t, 2, te.Arg)
	require.Contains(t, err.Error(), "argument 2")
	require.Contains(t, err.Error(), "func()")
}

// TestAnyArgsRoundTrip decodes a message of every type into plain values
// and infers them back: the message is the same but for the documented
// exceptions.
func TestAnyArgsRoundTrip(t *testing.T) {
	tt := wire.NewTimetag(100, 5)
	pkt, err := wire.AppendMessage(nil, "/all",
		wire.Int32(1), wire.Int64(1<<40), wire.Float32(0.25), wire.String("s"), wire.Blob([]byte("b")),
		wire.Bool(true), wire.Bool(false), wire.Nil(), wire.TimetagValue(tt), wire.RGBAValue(wire.RGBA{R: 9}),
		wire.MIDIValue(wire.MIDI{Data2: 3}), wire.Char('x'), wire.Impulse(),
		wire.Array(wire.Int32(2), wire.Array(wire.String("n"))))
	require.NoError(t, err)
	m, err := wire.ParseMessage(pkt)
	require.NoError(t, err)
	got := m.AnyArgs()
	require.Equal(t, []any{int32(1), int64(1 << 40), float32(0.25), "s", []byte("b"), true, false, nil, tt,
		wire.RGBA{R: 9}, wire.MIDI{Data2: 3}, wire.Char('x'), wire.Impulse(), []any{int32(2), []any{"n"}}}, got)
	vs, err := wire.InferAll(got)
	require.NoError(t, err)
	again, err := wire.AppendMessage(nil, "/all", vs...)
	require.NoError(t, err)
	require.Equal(t, pkt, again)

	// The blob is a copy: it outlives the packet.
	clear(pkt)
	require.Equal(t, []byte("b"), got[4])
}
