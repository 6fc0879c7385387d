package wire_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/internal/vectors"
	"github.com/osckit/osc/wire"
)

// loadVectors reads the shared conformance vectors.
func loadVectors(t testing.TB) vectors.File {
	t.Helper()
	return vectors.Load(t, "testdata/packets.json")
}

// element is the vectors' JSON model of a message or a bundle.
type element struct {
	Type     string    `json:"type"`
	Address  string    `json:"address"`
	Args     []jsonArg `json:"args"`
	Timetag  jsonTT    `json:"timetag"`
	Elements []element `json:"elements"`
}

type jsonTT struct {
	Sec  uint32 `json:"sec"`
	Frac uint32 `json:"frac"`
}

type jsonArg struct {
	T string          `json:"t"`
	V json.RawMessage `json:"v"`
}

func decodeElement(t *testing.T, raw []byte) element {
	t.Helper()
	var e element
	require.NoError(t, json.Unmarshal(raw, &e))
	return e
}

// toValue converts the vectors' argument model to a wire.Value.
func toValue(t *testing.T, a jsonArg) wire.Value {
	t.Helper()
	num := func() json.Number {
		var n json.Number
		require.NoError(t, json.Unmarshal(a.V, &n))
		return n
	}
	bits := func() (uint64, bool) {
		var b struct {
			Bits string `json:"bits"`
		}
		if json.Unmarshal(a.V, &b) != nil || b.Bits == "" {
			return 0, false
		}
		v, err := strconv.ParseUint(b.Bits, 16, 64)
		require.NoError(t, err)
		return v, true
	}
	str := func() string {
		var s string
		require.NoError(t, json.Unmarshal(a.V, &s))
		return s
	}
	switch a.T {
	case "i":
		v, err := strconv.ParseInt(string(num()), 10, 32)
		require.NoError(t, err)
		return wire.Int32(int32(v))
	case "h":
		v, err := strconv.ParseInt(string(num()), 10, 64)
		require.NoError(t, err)
		return wire.Int64(v)
	case "f":
		if b, ok := bits(); ok {
			return wire.Float32(math.Float32frombits(uint32(b)))
		}
		v, err := strconv.ParseFloat(string(num()), 32)
		require.NoError(t, err)
		return wire.Float32(float32(v))
	case "d":
		if b, ok := bits(); ok {
			return wire.Float64(math.Float64frombits(b))
		}
		v, err := strconv.ParseFloat(string(num()), 64)
		require.NoError(t, err)
		return wire.Float64(v)
	case "s":
		return wire.String(str())
	case "S":
		return wire.Symbol(str())
	case "c":
		s := []rune(str())
		require.Len(t, s, 1)
		return wire.Char(s[0])
	case "b":
		b, err := hex.DecodeString(str())
		require.NoError(t, err)
		return wire.Blob(b)
	case "t":
		var tt jsonTT
		require.NoError(t, json.Unmarshal(a.V, &tt))
		return wire.TimetagValue(wire.NewTimetag(tt.Sec, tt.Frac))
	case "r", "m":
		var q [4]uint8
		require.NoError(t, json.Unmarshal(a.V, &q))
		if a.T == "r" {
			return wire.RGBAValue(wire.RGBA{R: q[0], G: q[1], B: q[2], A: q[3]})
		}
		return wire.MIDIValue(wire.MIDI{Port: q[0], Status: q[1], Data1: q[2], Data2: q[3]})
	case "T":
		return wire.Bool(true)
	case "F":
		return wire.Bool(false)
	case "N":
		return wire.Nil()
	case "I":
		return wire.Impulse()
	case "array":
		var elems []jsonArg
		require.NoError(t, json.Unmarshal(a.V, &elems))
		vs := []wire.Value{}
		for _, e := range elems {
			vs = append(vs, toValue(t, e))
		}
		return wire.Array(vs...)
	}
	t.Fatalf("unknown vector type %q", a.T)
	return wire.Value{}
}

// encodeElement encodes the model with an Encoder.
func encodeElement(t *testing.T, enc *wire.Encoder, e element) {
	t.Helper()
	switch e.Type {
	case "message":
		enc.Message(e.Address)
		for _, a := range e.Args {
			enc.Value(toValue(t, a))
		}
		enc.End()
	case "bundle":
		enc.BeginBundle(wire.NewTimetag(e.Timetag.Sec, e.Timetag.Frac))
		for _, c := range e.Elements {
			encodeElement(t, enc, c)
		}
		enc.EndBundle()
	default:
		t.Fatalf("unknown element type %q", e.Type)
	}
}

// checkElement compares a decoded packet with the model.
func checkElement(t *testing.T, pkt []byte, e element) {
	t.Helper()
	switch e.Type {
	case "message":
		m, err := wire.ParseMessage(pkt)
		require.NoError(t, err)
		require.Equal(t, e.Address, m.AddressString())
		require.Equal(t, len(e.Args), m.NumArgs())
		args := m.AppendArgs(nil)
		for i, a := range e.Args {
			got := args[i]
			want := toValue(t, a)
			require.Truef(t, want.Equal(wire.ValueOf(got)), "arg %d: got %v want %v", i, wire.ValueOf(got), want)
		}
		require.True(t, len(e.Args) > 0 || m.NumArgs() == 0)
	case "bundle":
		b, err := wire.ParseBundle(pkt)
		require.NoError(t, err)
		require.Equal(t, wire.NewTimetag(e.Timetag.Sec, e.Timetag.Frac), b.Timetag())
		r := b.Elements()
		n := 0
		for ; r.Next(); n++ {
			require.Less(t, n, len(e.Elements))
			_, isBundle := r.Bundle()
			require.Equal(t, e.Elements[n].Type == "bundle", isBundle)
			checkElement(t, r.Bytes(), e.Elements[n])
		}
		require.Equal(t, len(e.Elements), n)
	}
}

func TestValidVectors(t *testing.T) {
	vf := loadVectors(t)
	var enc wire.Encoder
	for _, v := range vf.Valid {
		t.Run(v.ID, func(t *testing.T) {
			pkt := vectors.Decode(t, v.Hex)
			e := decodeElement(t, v.Value)
			require.NoError(t, wire.Validate(pkt))
			checkElement(t, pkt, e)

			enc.Reset()
			encodeElement(t, &enc, e)
			got, err := enc.Bytes()
			require.NoError(t, err)
			require.Equal(t, v.Hex, hex.EncodeToString(got), "re-encoding")

			// Every message reached by Walk re-encodes verbatim through Encoder.Arg.
			require.NoError(t, wire.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
				var e2 wire.Encoder
				e2.Message(string(m.Address()))
				r := m.Args()
				for r.Next() {
					e2.Arg(r.Arg())
				}
				b, err := e2.End().Bytes()
				require.NoError(t, err)
				require.Equal(t, m.Bytes(), b)
				return nil
			}))
		})
	}
}

func TestInvalidVectors(t *testing.T) {
	vf := loadVectors(t)
	for _, v := range vf.Invalid {
		t.Run(v.ID, func(t *testing.T) {
			pkt := vectors.Decode(t, v.Hex)
			err := wire.Validate(pkt)
			require.Error(t, err)
			var pe *wire.ParseError
			require.True(t, errors.As(err, &pe), "error %v is not a *ParseError", err)
			require.GreaterOrEqual(t, pe.Off, 0)
			require.LessOrEqual(t, pe.Off, len(pkt))
			require.NotNil(t, errors.Unwrap(err), "no sentinel")
			visited := 0
			werr := wire.Walk(pkt, func(wire.Message, wire.Timetag) error { visited++; return nil })
			require.Error(t, werr)
			require.Zero(t, visited, "Walk handed out a message of an invalid packet")

			lenient := wire.Options{Lenient: true}
			lerr := lenient.Validate(pkt)
			if v.Recommended == "reject" || v.Recommended == "reject by policy (nesting limit)" {
				require.Error(t, lerr, "lenient must still reject")
			} else {
				require.NoError(t, lerr, "lenient may ignore: %s", v.Recommended)
			}
		})
	}
}

func TestInvalidVectorSentinels(t *testing.T) {
	want := map[string]error{
		"empty":                 wire.ErrShort,
		"len-not-mult4":         wire.ErrAlign,
		"addr-no-slash":         wire.ErrAddress,
		"addr-hash-not-bundle":  wire.ErrBundle,
		"addr-nonzero-pad":      wire.ErrPadding,
		"tags-unterminated":     wire.ErrUnterminated,
		"i-second-missing":      wire.ErrShort,
		"b-size-negative":       wire.ErrBlobSize,
		"b-size-huge":           wire.ErrBlobSize,
		"unknown-tag-x":         wire.ErrUnknownType,
		"array-unclosed":        wire.ErrArray,
		"array-unopened":        wire.ErrArray,
		"trailing-bytes":        wire.ErrTrailing,
		"bundle-bad-magic":      wire.ErrBundle,
		"bundle-elem-not-mult4": wire.ErrElementSize,
		"bundle-elem-negative":  wire.ErrElementSize,
		"bundle-elem-size-huge": wire.ErrElementSize,
		"bundle-elem-no-slash":  wire.ErrBundle,
		"bundle-depth-bomb":     wire.ErrNesting,
		"bundle-no-timetag":     wire.ErrShort,
	}
	vf := loadVectors(t)
	seen := 0
	for _, v := range vf.Invalid {
		w, ok := want[v.ID]
		if !ok {
			continue
		}
		seen++
		pkt, _ := hex.DecodeString(v.Hex)
		err := wire.Validate(pkt)
		require.ErrorIs(t, err, w, v.ID)
	}
	require.Equal(t, len(want), seen)
}

func TestImplementationDefined(t *testing.T) {
	vf := loadVectors(t)
	byID := map[string][]byte{}
	for _, v := range vf.ImplementationDefined {
		b := vectors.Decode(t, v.Hex)
		byID[v.ID] = b
	}
	lenient := wire.Options{Lenient: true}

	// Address only: strict rejects, lenient reads zero arguments.
	_, err := wire.ParseMessage(byID["legacy-no-typetags"])
	require.ErrorIs(t, err, wire.ErrTypeTags)
	m, err := lenient.ParseMessage(byID["legacy-no-typetags"])
	require.NoError(t, err)
	require.Equal(t, "/foo", m.AddressString())
	require.Zero(t, m.NumArgs())
	require.False(t, m.HasTypeTags())

	// Data without a type tag string: rejected either way.
	_, err = lenient.ParseMessage(byID["legacy-untyped-data"])
	require.ErrorIs(t, err, wire.ErrTypeTags)

	// Invalid UTF-8 is handed out as bytes.
	m, err = wire.ParseMessage(byID["utf8-invalid-string"])
	require.NoError(t, err)
	s, ok := m.AppendArgs(nil)[0].StringBytes()
	require.True(t, ok)
	require.Equal(t, []byte{0xff, 0xfe}, s)

	// 'Immediately' inside a timed bundle runs at the parent's time.
	var tts []wire.Timetag
	require.NoError(t, wire.Walk(byID["bundle-immediate-in-timed"], func(_ wire.Message, tt wire.Timetag) error {
		tts = append(tts, tt)
		return nil
	}))
	require.Equal(t, []wire.Timetag{wire.NewTimetag(100, 0)}, tts)
}
