package wire_test

import (
	"testing"

	"github.com/osckit/osc/wire"
)

// benchBlob is the 16-byte blob of the benchmark message.
var benchBlob = []byte("0123456789abcdef")

// encodeBench writes the benchmark message: /synth/1/freq 440 0.5 "hello"
// and a 16-byte blob (60 bytes).
func encodeBench(e *wire.Encoder) *wire.Encoder {
	return e.Message("/synth/1/freq").Int32(440).Float32(0.5).String("hello").Blob(benchBlob).End()
}

func benchMessage(tb testing.TB) []byte {
	tb.Helper()
	var e wire.Encoder
	b, err := encodeBench(&e).Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) != 60 {
		tb.Fatalf("benchmark message is %d bytes, want 60", len(b))
	}
	return append([]byte(nil), b...)
}

// encodeBundle8 writes a bundle of 8 benchmark messages.
func encodeBundle8(e *wire.Encoder) *wire.Encoder {
	e.BeginBundle(wire.Immediately)
	for range 8 {
		encodeBench(e)
	}
	return e.EndBundle()
}

func benchBundle(tb testing.TB) []byte {
	tb.Helper()
	var e wire.Encoder
	b, err := encodeBundle8(&e).Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	return append([]byte(nil), b...)
}

// readAll parses a message and reads every argument with the cursor.
func readAll(pkt []byte) (sum float64, n int, err error) {
	m, err := wire.ParseMessage(pkt)
	if err != nil {
		return 0, 0, err
	}
	sum, n = sumCursor(m)
	return sum, n, nil
}

// readArgv parses a message and reads every argument through ParseArgs.
func readArgv(pkt []byte) (sum float64, n int, err error) {
	var argv [8]wire.Arg
	_, args, err := wire.ParseArgs(pkt, argv[:0])
	if err != nil {
		return 0, 0, err
	}
	sum, n = sumArgs(args)
	return sum, n, nil
}

// sumArgs reads every argument as a receiver would: numbers are summed,
// string and blob lengths counted.
func sumArgs(args []wire.Arg) (sum float64, n int) {
	for _, a := range args {
		switch a.Type() {
		case wire.TypeInt32:
			v, _ := a.Int32()
			sum += float64(v)
		case wire.TypeFloat32:
			v, _ := a.Float32()
			sum += float64(v)
		case wire.TypeString:
			s, _ := a.StringBytes()
			n += len(s)
		case wire.TypeBlob:
			b, _ := a.Blob()
			n += len(b)
		}
	}
	return sum, n
}

// sumCursor is sumArgs over the cursor of m.
//
// Kept apart from sumArgs: a shared per-argument helper does not inline
// (cost 148, budget 80) and would add a call per argument to the timed loops.
func sumCursor(m wire.Message) (sum float64, n int) {
	r := m.Args()
	for r.Next() {
		a := r.Arg()
		switch a.Type() {
		case wire.TypeInt32:
			v, _ := a.Int32()
			sum += float64(v)
		case wire.TypeFloat32:
			v, _ := a.Float32()
			sum += float64(v)
		case wire.TypeString:
			s, _ := a.StringBytes()
			n += len(s)
		case wire.TypeBlob:
			b, _ := a.Blob()
			n += len(b)
		}
	}
	return sum, n
}

var (
	sinkF float64
	sinkN int
)
