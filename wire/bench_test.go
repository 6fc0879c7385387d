package wire_test

import (
	"testing"

	"github.com/osckit/osc/wire"
)

func BenchmarkEncodeMessage(b *testing.B) {
	var e wire.Encoder
	b.ReportAllocs()
	b.SetBytes(60)
	for b.Loop() {
		e.Reset()
		if _, err := encodeBench(&e).Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendMessage(b *testing.B) {
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	b.SetBytes(60)
	for b.Loop() {
		var err error
		buf, err = wire.AppendMessage(buf[:0], "/synth/1/freq", wire.Int32(440), wire.Float32(0.5), wire.String("hello"), wire.Blob(benchBlob))
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseMessage parses the message and reads every argument, the
// quickest way: ParseArgs collects the arguments while validating.
func BenchmarkParseMessage(b *testing.B) {
	pkt := benchMessage(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		s, n, err := readArgv(pkt)
		if err != nil || n != 21 {
			b.Fatal(err)
		}
		sinkF = s
	}
}

func BenchmarkEncodeBundle8(b *testing.B) {
	var e wire.Encoder
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		if _, err := encodeBundle8(&e).Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBundle8 walks a bundle of 8 messages and reads every
// argument of each through AppendArgs.
func BenchmarkParseBundle8(b *testing.B) {
	pkt := benchBundle(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		var sum float64
		n := 0
		err := wire.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
			var argv [8]wire.Arg
			s, k := sumArgs(m.AppendArgs(argv[:0]))
			sum += s
			n += k
			return nil
		})
		if err != nil || n != 8*21 {
			b.Fatal(err)
		}
		sinkF = sum
	}
}

// BenchmarkParseBundle8Cursor is BenchmarkParseBundle8 reading the
// arguments with the cursor.
//
// Kept apart from BenchmarkParseBundle8: a shared body taking the reader as
// a func value would put an indirect call in the timed loop.
func BenchmarkParseBundle8Cursor(b *testing.B) {
	pkt := benchBundle(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		var sum float64
		n := 0
		err := wire.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
			s, k := sumCursor(m)
			sum += s
			n += k
			return nil
		})
		if err != nil || n != 8*21 {
			b.Fatal(err)
		}
		sinkF = sum
	}
}

// BenchmarkParseMessageCursor parses the message with ParseMessage and
// reads every argument with the cursor.
//
// Kept apart from BenchmarkParseMessage for the same reason as
// BenchmarkParseBundle8Cursor: no indirect call in the timed loop.
func BenchmarkParseMessageCursor(b *testing.B) {
	pkt := benchMessage(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		s, n, err := readAll(pkt)
		if err != nil || n != 21 {
			b.Fatal(err)
		}
		sinkF = s
	}
}
