package wire_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/internal/vectors"
	"github.com/osckit/osc/wire"
)

// cursorArgs collects the top-level arguments of m with the cursor, the
// reference for AppendArgs and ParseArgs.
func cursorArgs(m wire.Message) []wire.Arg {
	var out []wire.Arg
	r := m.Args()
	for r.Next() {
		out = append(out, r.Arg())
	}
	return out
}

// sameArgs reports whether two argument lists hold the same values, arrays
// compared element by element.
func sameArgs(a, b []wire.Arg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !wire.ValueOf(a[i]).Equal(wire.ValueOf(b[i])) || a[i].Type() != b[i].Type() {
			return false
		}
	}
	return true
}

// checkParseArgs checks ParseArgs and AppendArgs against ParseMessage and
// the cursor for one packet under o.
func checkParseArgs(t testing.TB, o *wire.Options, pkt []byte) {
	t.Helper()
	m, err := o.ParseMessage(pkt)
	pm := mustMessage(t, "/p", wire.Int32(7))
	prefix := pm.AppendArgs(nil)
	for _, dst := range [][]wire.Arg{nil, make([]wire.Arg, 0, 64), append(make([]wire.Arg, 0, 2), prefix...)} {
		keep := len(dst)
		m2, args, err2 := o.ParseArgs(pkt, dst)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ParseMessage error %v, ParseArgs error %v", err, err2)
		}
		if err != nil {
			if err.Error() != err2.Error() {
				t.Fatalf("ParseArgs error %q, ParseMessage error %q", err2, err)
			}
			if len(args) != keep {
				t.Fatalf("failed ParseArgs returned %d args, want the %d given", len(args), keep)
			}
			continue
		}
		if string(m2.Bytes()) != string(m.Bytes()) || m2.NumArgs() != m.NumArgs() || string(m2.TypeTags()) != string(m.TypeTags()) {
			t.Fatalf("ParseArgs message differs from ParseMessage's")
		}
		want := cursorArgs(m)
		if keep > 0 && !sameArgs(args[:keep], prefix) {
			t.Fatalf("ParseArgs changed the arguments already in dst")
		}
		if !sameArgs(args[keep:], want) {
			t.Fatalf("ParseArgs args %v, cursor %v", args[keep:], want)
		}
		if got := m.AppendArgs(dst); !sameArgs(got[keep:], want) {
			t.Fatalf("AppendArgs args %v, cursor %v", got[keep:], want)
		}
	}
}

func TestParseArgsVectors(t *testing.T) {
	vf := loadVectors(t)
	lenient := &wire.Options{Lenient: true}
	strict := &wire.Options{}
	n := 0
	for _, h := range vf.Hexes() {
		pkt := vectors.Decode(t, h)
		if wire.IsBundle(pkt) {
			continue
		}
		checkParseArgs(t, strict, pkt)
		checkParseArgs(t, lenient, pkt)
		n++
	}
	require.Greater(t, n, 50, "message vectors checked")
}

func TestParseArgsValues(t *testing.T) {
	pkt, err := wire.AppendMessage(nil, "/mix/3", wire.Int32(-1), wire.Array(wire.Float32(0.25), wire.Array(wire.String("in")), wire.Bool(true)),
		wire.Blob([]byte{1, 2, 3}), wire.Symbol("sym"), wire.Int64(1<<40), wire.Nil())
	require.NoError(t, err)
	var argv [8]wire.Arg
	m, args, err := wire.ParseArgs(pkt, argv[:0])
	require.NoError(t, err)
	require.Equal(t, 6, m.NumArgs())
	require.Len(t, args, 6)
	v, ok := args[0].Int32()
	require.True(t, ok)
	require.Equal(t, int32(-1), v)
	arr, ok := args[1].Array()
	require.True(t, ok)
	require.True(t, arr.Next())
	f, _ := arr.Arg().Float32()
	require.Equal(t, float32(0.25), f)
	b, ok := args[2].Blob()
	require.True(t, ok)
	require.Equal(t, []byte{1, 2, 3}, b)
	s, ok := args[3].StringBytes()
	require.True(t, ok)
	require.Equal(t, "sym", string(s))
	require.Equal(t, wire.TypeNil, args[5].Type())
	checkParseArgs(t, &wire.Options{}, pkt)

	// A failure leaves dst as given.
	bad := append([]byte(nil), pkt...)
	bad[len(bad)-1] = 1
	_, args, err = wire.ParseArgs(bad[:len(bad)-4], argv[:1])
	require.Error(t, err)
	var pe *wire.ParseError
	require.True(t, errors.As(err, &pe))
	require.Len(t, args, 1)
}

func mustMessage(t testing.TB, addr string, args ...wire.Value) wire.Message {
	t.Helper()
	pkt, err := wire.AppendMessage(nil, addr, args...)
	require.NoError(t, err)
	m, err := wire.ParseMessage(pkt)
	require.NoError(t, err)
	return m
}
