//go:build !race

package wire_test

import (
	"sync"
	"testing"

	"github.com/osckit/osc/wire"
)

// encoders is the sync.Pool of Encoders the Encoder's doc suggests.
var encoders = sync.Pool{New: func() any { return new(wire.Encoder) }}

func TestNoAllocs(t *testing.T) {
	msg := benchMessage(t)
	bundle := benchBundle(t)
	var enc wire.Encoder
	encodeBench(&enc)
	var twenty []wire.Value
	for i := range 20 {
		twenty = append(twenty, wire.Int32(int32(i)))
	}
	bigArray := wire.Array(twenty...)
	var venc wire.Encoder
	cases := map[string]func(){
		"EncoderValueArray20": func() {
			venc.Reset()
			if _, err := venc.Message("/a").Value(bigArray).Value(wire.String("s")).End().Bytes(); err != nil {
				panic(err)
			}
		},
		"ParseMessageReadArgs": func() {
			s, n, err := readAll(msg)
			if err != nil {
				panic(err)
			}
			sinkF, sinkN = s, n
		},
		"ParseArgsReadArgs": func() {
			s, n, err := readArgv(msg)
			if err != nil {
				panic(err)
			}
			sinkF, sinkN = s, n
		},
		"WalkBundle8AppendArgs": func() {
			n := 0
			err := wire.Walk(bundle, func(m wire.Message, _ wire.Timetag) error {
				var argv [8]wire.Arg
				n += len(m.AppendArgs(argv[:0]))
				return nil
			})
			if err != nil || n != 32 {
				panic("walk")
			}
			sinkN = n
		},
		"EncodeReused": func() {
			enc.Reset()
			if _, err := encodeBench(&enc).Bytes(); err != nil {
				panic(err)
			}
		},
		"EncodePooled": func() {
			e := encoders.Get().(*wire.Encoder)
			e.Reset()
			if _, err := encodeBench(e).Bytes(); err != nil {
				panic(err)
			}
			encoders.Put(e)
		},
		"EncodeBundle8Reused": func() {
			enc.Reset()
			if _, err := encodeBundle8(&enc).Bytes(); err != nil {
				panic(err)
			}
		},
		"WalkBundle8": func() {
			n := 0
			err := wire.Walk(bundle, func(m wire.Message, _ wire.Timetag) error {
				r := m.Args()
				for r.Next() {
					n++
				}
				return nil
			})
			if err != nil || n != 32 {
				panic("walk")
			}
			sinkN = n
		},
		"AppendMessage": func() {
			buf := make([]byte, 0, 128)
			b, err := wire.AppendMessage(buf, "/synth/1/freq", wire.Int32(440), wire.Float32(0.5), wire.String("hello"), wire.Blob(benchBlob))
			if err != nil || len(b) != 60 {
				panic("append")
			}
		},
		"AppendText": func() {
			var buf [256]byte
			m, _ := wire.ParseMessage(msg)
			sinkN = len(m.AppendText(buf[:0]))
		},
		"ParseBundleElements": func() {
			b, err := wire.ParseBundle(bundle)
			if err != nil {
				panic(err)
			}
			r := b.Elements()
			for r.Next() {
				m, _ := r.Message()
				sinkN += m.NumArgs()
			}
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, f); n != 0 {
				t.Fatalf("%s: %v allocs/op, want 0", name, n)
			}
		})
	}
}

// TestParseAllocBound checks that a rejected packet costs at most the
// error value, whatever its length fields claim.
func TestParseAllocBound(t *testing.T) {
	huge := []byte("/a\x00\x00,b\x00\x00\x7f\xff\xff\xff\x00\x00\x00\x00")
	n := testing.AllocsPerRun(100, func() {
		if wire.Validate(huge) == nil {
			panic("accepted")
		}
	})
	if n > 1 {
		t.Fatalf("rejecting a 2 GiB blob claim costs %v allocs, want <= 1", n)
	}
}
