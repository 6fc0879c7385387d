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

func BenchmarkParseMessage(b *testing.B) {
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

func BenchmarkParseBundle8(b *testing.B) {
	pkt := benchBundle(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		n := 0
		err := wire.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
			r := m.Args()
			for r.Next() {
				a := r.Arg()
				if v, ok := a.Int32(); ok {
					n += int(v)
				}
			}
			return nil
		})
		if err != nil || n != 8*440 {
			b.Fatal(err)
		}
	}
}
