package wire_test

import (
	"bytes"
	"flag"
	"math"
	"testing"

	"github.com/osckit/osc/wire"
)

// fuzzing reports whether the test binary runs with -test.fuzz.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// addVectorSeeds adds every packet of the shared vectors as a seed.
func addVectorSeeds(f *testing.F) {
	loadVectors(f).AddSeeds(f)
}

// reencode rebuilds a validated packet from its views alone.
func reencode(e *wire.Encoder, pkt []byte) {
	if !wire.IsBundle(pkt) {
		m, err := wire.ParseMessage(pkt)
		if err != nil {
			panic(err)
		}
		e.Message(string(m.Address()))
		r := m.Args()
		for r.Next() {
			e.Arg(r.Arg())
		}
		e.End()
		return
	}
	b, err := wire.ParseBundle(pkt)
	if err != nil {
		panic(err)
	}
	e.BeginBundle(b.Timetag())
	r := b.Elements()
	for r.Next() {
		reencode(e, r.Bytes())
	}
	e.EndBundle()
}

// FuzzParsePacket checks that decoding never panics, that it never
// allocates beyond the packet's size, and that every strictly valid packet
// re-encodes to the same bytes.
func FuzzParsePacket(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		lenient := wire.Options{Lenient: true}
		lerr := lenient.Validate(pkt)
		err := wire.Validate(pkt)
		if err == nil && lerr != nil {
			t.Fatalf("strict accepts what lenient rejects: %v", lerr)
		}
		for _, e := range []error{err, lerr} {
			if e == nil {
				continue
			}
			pe, ok := e.(*wire.ParseError)
			if !ok || pe.Off < 0 || pe.Off > len(pkt) || pe.Err == nil {
				t.Fatalf("bad error %#v", e)
			}
		}
		// LooseAddress accepts all that Lenient does, and fails the same way.
		loose := wire.Options{Lenient: true, LooseAddress: true}
		if xerr := loose.Validate(pkt); xerr != nil {
			if lerr == nil {
				t.Fatalf("LooseAddress rejects what Lenient accepts: %v", xerr)
			}
			if pe, ok := xerr.(*wire.ParseError); !ok || pe.Off < 0 || pe.Off > len(pkt) || pe.Err == nil {
				t.Fatalf("bad error %#v", xerr)
			}
		}
		// ParseArgs and AppendArgs agree with ParseMessage and the cursor.
		if !wire.IsBundle(pkt) {
			checkParseArgs(t, &wire.Options{}, pkt)
			checkParseArgs(t, &lenient, pkt)
			checkParseArgs(t, &loose, pkt)
		}
		// Walk agrees with Validate and visits every argument.
		visits := 0
		werr := wire.Walk(pkt, func(m wire.Message, tt wire.Timetag) error {
			visits++
			_ = m.AppendText(nil)
			for r := m.Args(); r.Next(); {
				_ = r.Arg().AppendText(nil)
				_ = wire.ValueOf(r.Arg())
			}
			return nil
		})
		if (werr == nil) != (err == nil) {
			t.Fatalf("Walk error %v, Validate error %v", werr, err)
		}
		if err != nil {
			if visits != 0 {
				t.Fatalf("Walk visited %d messages of an invalid packet", visits)
			}
			return
		}
		var e wire.Encoder
		reencode(&e, pkt)
		got, eerr := e.Bytes()
		if eerr != nil {
			t.Fatalf("re-encode: %v", eerr)
		}
		if !bytes.Equal(got, pkt) {
			t.Fatalf("re-encode differs:\n got %x\nwant %x", got, pkt)
		}
		// The allocation check runs over the committed seeds: while fuzzing,
		// the engine's own goroutines allocate and would be counted.
		if !raceEnabled && !fuzzing() && testing.AllocsPerRun(1, func() { _ = wire.Validate(pkt) }) != 0 {
			t.Fatalf("validating a valid packet allocates")
		}
	})
}

// FuzzParseDifferential runs the fast strict decoder against the careful
// one on every input: ParseMessage and ParseArgs against the careful passes
// they fall back to (Options.ParseSlow and ParseArgsSlow in
// export_test.go). Both must make the same decision, fail with the same
// error at the same offset and argument, and return the same views. It
// runs with the default limits and with a small array depth limit.
func FuzzParseDifferential(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, o := range []*wire.Options{{}, {MaxArrayDepth: 2}} {
			checkFastSlow(t, o, pkt)
		}
	})
}

// checkFastSlow compares the fast and careful decoding of pkt under o,
// which is strict.
func checkFastSlow(t *testing.T, o *wire.Options, pkt []byte) {
	t.Helper()
	fm, ferr := o.ParseMessage(pkt)
	sm, serr := o.ParseSlow(pkt)
	sameParse(t, "ParseMessage", pkt, fm, ferr, sm, serr)
	// ParseArgs, with an argument already in dst and room or not for
	// the rest: the fast pass writes into dst's spare capacity before it
	// knows the outcome.
	pm, err := wire.ParseMessage([]byte("/p\x00\x00,i\x00\x00\x00\x00\x00\x07"))
	if err != nil {
		t.Fatal(err)
	}
	first := pm.AppendArgs(nil)[0]
	for _, c := range []int{1, 64} {
		fdst := append(make([]wire.Arg, 0, c), first)
		sdst := append(make([]wire.Arg, 0, c), first)
		fm2, fargs, ferr2 := o.ParseArgs(pkt, fdst)
		sm2, sargs, serr2 := o.ParseArgsSlow(pkt, sdst)
		sameParse(t, "ParseArgs", pkt, fm2, ferr2, sm2, serr2)
		if ferr2 == nil && fm2.Layout() != fm.Layout() {
			t.Fatalf("ParseArgs message %v, ParseMessage message %v\n%x", fm2.Layout(), fm.Layout(), pkt)
		}
		if len(fargs) != len(sargs) {
			t.Fatalf("ParseArgs: %d args fast, %d careful\n%x", len(fargs), len(sargs), pkt)
		}
		for i := range fargs {
			if !sameView(fargs[i], sargs[i]) {
				fb, fx := fargs[i].View()
				sb, sx := sargs[i].View()
				t.Fatalf("ParseArgs arg %d: fast %x/%#x, careful %x/%#x\n%x", i, fb, fx, sb, sx, pkt)
			}
		}
		if !sameView(fargs[0], first) {
			t.Fatalf("ParseArgs changed dst's first argument\n%x", pkt)
		}
	}
}

// sameParse fails t unless the two results are the same: the same
// *ParseError, or the same view of the same bytes.
func sameParse(t *testing.T, what string, pkt []byte, fm wire.Message, ferr error, sm wire.Message, serr error) {
	t.Helper()
	if (ferr == nil) != (serr == nil) {
		t.Fatalf("%s: fast error %v, careful error %v\n%x", what, ferr, serr, pkt)
	}
	if ferr != nil {
		fe, ok1 := ferr.(*wire.ParseError)
		se, ok2 := serr.(*wire.ParseError)
		if !ok1 || !ok2 || *fe != *se {
			t.Fatalf("%s: fast error %#v, careful error %#v\n%x", what, ferr, serr, pkt)
		}
		return
	}
	if fm.Layout() != sm.Layout() || !sameSlice(fm.Bytes(), sm.Bytes()) || !sameSlice(fm.Bytes(), pkt) {
		t.Fatalf("%s: fast view %v, careful view %v\n%x", what, fm.Layout(), sm.Layout(), pkt)
	}
}

// sameView reports whether two Args are the same view: the same type and
// offsets, over the same bytes.
func sameView(a, b wire.Arg) bool {
	ab, ax := a.View()
	bb, bx := b.View()
	return ax == bx && sameSlice(ab, bb)
}

// sameSlice reports whether a and b are the same slice of the same array
// (or both empty with the same capacity).
func sameSlice(a, b []byte) bool {
	if len(a) != len(b) || cap(a) != cap(b) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0]
}

// FuzzEncodeRoundTrip builds a message from generated values and checks
// that it decodes to the same values.
func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("/a", "ifsbhdtScrmTFNI[i]", []byte("seed data for values"), int64(-5), 1.5)
	f.Add("/synth/1/freq", "ifsb", []byte("0123456789abcdef"), int64(440), 0.5)
	f.Add("/x", "[[i][]]s", []byte{}, int64(0), math.NaN())
	f.Fuzz(func(t *testing.T, addr, tags string, data []byte, n int64, x float64) {
		vals, ok := buildValues(tags, data, n, x)
		if !ok {
			return
		}
		pkt, err := wire.AppendMessage(nil, addr, vals...)
		if err != nil {
			return // invalid address or string with NUL: refused, fine
		}
		m, err := wire.ParseMessage(pkt)
		if err != nil {
			t.Fatalf("own output rejected: %v\n%x", err, pkt)
		}
		if m.AddressString() != addr {
			t.Fatalf("address %q, want %q", m.AddressString(), addr)
		}
		got := m.AppendArgs(nil)
		if len(got) != len(vals) {
			t.Fatalf("%d arguments, want %d", len(got), len(vals))
		}
		for i := range vals {
			if v := wire.ValueOf(got[i]); !v.Equal(vals[i]) {
				t.Fatalf("argument %d: got %v want %v", i, v, vals[i])
			}
		}
		var e wire.Encoder
		e.Message(addr)
		for _, v := range vals {
			e.Value(v)
		}
		b, err := e.End().Bytes()
		if err != nil || !bytes.Equal(b, pkt) {
			t.Fatalf("Encoder and AppendMessage disagree: %v\n%x\n%x", err, b, pkt)
		}
	})
}

// buildValues turns a type string into values drawn from data, n and x.
func buildValues(tags string, data []byte, n int64, x float64) ([]wire.Value, bool) {
	if len(tags) > 64 {
		return nil, false
	}
	var stack [][]wire.Value
	cur := []wire.Value{}
	take := func(k int) []byte {
		if k > len(data) {
			k = len(data)
		}
		b := data[:k]
		data = data[k:]
		return b
	}
	for i := 0; i < len(tags); i++ {
		switch tags[i] {
		case 'i':
			cur = append(cur, wire.Int32(int32(n)))
		case 'h':
			cur = append(cur, wire.Int64(n))
		case 'f':
			cur = append(cur, wire.Float32(float32(x)))
		case 'd':
			cur = append(cur, wire.Float64(x))
		case 's':
			cur = append(cur, wire.String(string(bytes.ReplaceAll(take(7), []byte{0}, []byte{'0'}))))
		case 'S':
			cur = append(cur, wire.Symbol(string(bytes.ReplaceAll(take(4), []byte{0}, []byte{'0'}))))
		case 'b':
			cur = append(cur, wire.Blob(take(int(uint64(n)%9))))
		case 't':
			cur = append(cur, wire.TimetagValue(wire.Timetag(uint64(n))))
		case 'c':
			cur = append(cur, wire.Char(rune(uint8(n))))
		case 'r':
			cur = append(cur, wire.RGBAValue(wire.RGBA{R: uint8(n), G: 2, B: 3, A: 4}))
		case 'm':
			cur = append(cur, wire.MIDIValue(wire.MIDI{Port: 1, Status: 0x90, Data1: uint8(n), Data2: 4}))
		case 'T', 'F':
			cur = append(cur, wire.Bool(tags[i] == 'T'))
		case 'N':
			cur = append(cur, wire.Nil())
		case 'I':
			cur = append(cur, wire.Impulse())
		case '[':
			stack = append(stack, cur)
			cur = []wire.Value{}
		case ']':
			if len(stack) == 0 {
				return nil, false
			}
			arr := wire.Array(cur...)
			cur = append(stack[len(stack)-1], arr)
			stack = stack[:len(stack)-1]
		default:
			return nil, false
		}
	}
	return cur, len(stack) == 0
}
