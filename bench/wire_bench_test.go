package bench

import (
	"bytes"
	"testing"
	"time"

	chabad "github.com/chabad360/go-osc/osc"
	hypebeast "github.com/hypebeast/go-osc/osc"

	"github.com/osckit/osc/bench/cpeer"
	"github.com/osckit/osc/wire"
)

// The benchmark message: /synth/1/freq with int32 440, float32 0.5, "hello"
// and a 16-byte blob (60 bytes); the bundle holds 8 of them.
const benchAddr = "/synth/1/freq"

var benchBlob = []byte("0123456789abcdef")

// strict decodes by the strict rules (the zero Options).
var strict wire.Options

func osckitMessage(e *wire.Encoder) *wire.Encoder {
	return e.Message(benchAddr).Int32(440).Float32(0.5).String("hello").Blob(benchBlob).End()
}

func osckitPacket(b testing.TB, bundle bool) []byte {
	var e wire.Encoder
	if bundle {
		e.BeginBundle(wire.Immediately)
		for range 8 {
			osckitMessage(&e)
		}
		e.EndBundle()
	} else {
		osckitMessage(&e)
	}
	p, err := e.Bytes()
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Clone(p)
}

// osckitSum reads every argument of a message, as a receiver would.
func osckitSum(args []wire.Arg) int {
	n := 0
	for _, a := range args {
		switch a.Type() {
		case wire.TypeInt32:
			v, _ := a.Int32()
			n += int(v)
		case wire.TypeFloat32:
			v, _ := a.Float32()
			n += int(v)
		case wire.TypeString:
			s, _ := a.StringBytes()
			n += len(s)
		case wire.TypeBlob:
			s, _ := a.Blob()
			n += len(s)
		}
	}
	return n
}

// osckitRead reads every argument of a parsed message.
func osckitRead(m wire.Message) int {
	var argv [8]wire.Arg
	return osckitSum(m.AppendArgs(argv[:0]))
}

func BenchmarkEncode(b *testing.B) {
	b.Run("osckit", func(b *testing.B) {
		var e wire.Encoder
		b.ReportAllocs()
		for b.Loop() {
			e.Reset()
			if _, err := osckitMessage(&e).Bytes(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hypebeast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := hypebeast.NewMessage(benchAddr, int32(440), float32(0.5), "hello", benchBlob)
			if _, err := m.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("chabad360", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			m := chabad.NewMessage(benchAddr, int32(440), float32(0.5), "hello", benchBlob)
			if err := m.LightMarshalBinary(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	cEncode(b, osckitPacket(b, false), cpeer.Encode)
}

func BenchmarkDecode(b *testing.B) {
	pkt := osckitPacket(b, false)
	b.Run("osckit", func(b *testing.B) {
		b.ReportAllocs()
		var argv [8]wire.Arg
		for b.Loop() {
			_, args, err := strict.ParseArgs(pkt, argv[:0])
			if err != nil || osckitSum(args) != benchSum {
				b.Fatal(err)
			}
		}
	})
	b.Run("hypebeast", func(b *testing.B) {
		b.ReportAllocs()
		s := string(pkt)
		for b.Loop() {
			p, err := hypebeast.ParsePacket(s)
			if err != nil || len(p.(*hypebeast.Message).Arguments) != 4 {
				b.Fatal(err)
			}
		}
	})
	b.Run("chabad360", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := chabad.ReadPacket(pkt)
			if err != nil || len(p.(*chabad.Message).Arguments) != 4 {
				b.Fatal(err)
			}
		}
	})
	cDecode(b, pkt, benchSum, cpeer.Decode)
}

func BenchmarkEncodeBundle8(b *testing.B) {
	tt := time.Unix(0, 0)
	b.Run("osckit", func(b *testing.B) {
		var e wire.Encoder
		b.ReportAllocs()
		for b.Loop() {
			e.Reset()
			e.BeginBundle(wire.Immediately)
			for range 8 {
				osckitMessage(&e)
			}
			if _, err := e.EndBundle().Bytes(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hypebeast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bu := hypebeast.NewBundle(tt)
			for range 8 {
				_ = bu.Append(hypebeast.NewMessage(benchAddr, int32(440), float32(0.5), "hello", benchBlob))
			}
			if _, err := bu.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("chabad360", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			bu := chabad.NewBundle(tt)
			for range 8 {
				_ = bu.Append(chabad.NewMessage(benchAddr, int32(440), float32(0.5), "hello", benchBlob))
			}
			if err := bu.LightMarshalBinary(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	cEncode(b, osckitPacket(b, true), cpeer.EncodeBundle8)
}

func BenchmarkDecodeBundle8(b *testing.B) {
	pkt := osckitPacket(b, true)
	b.Run("osckit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			err := wire.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
				n += osckitRead(m)
				return nil
			})
			if err != nil || n != 8*benchSum {
				b.Fatal(err)
			}
		}
	})
	b.Run("hypebeast", func(b *testing.B) {
		b.ReportAllocs()
		s := string(pkt)
		for b.Loop() {
			p, err := hypebeast.ParsePacket(s)
			if err != nil || len(p.(*hypebeast.Bundle).Messages) != 8 {
				b.Fatal(err)
			}
		}
	})
	b.Run("chabad360", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := chabad.ReadPacket(pkt)
			if err != nil || len(p.(*chabad.Bundle).Elements) != 8 {
				b.Fatal(err)
			}
		}
	})
	cDecode(b, pkt, 8*benchSum, cpeer.DecodeBundle)
}
