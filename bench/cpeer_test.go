package bench

import (
	"bytes"
	"testing"

	"github.com/osckit/osc/bench/cpeer"
)

// benchSum is what reading every argument of the benchmark message gives:
// 440, 0 for float32 0.5 truncated, 5 for "hello" and 16 for the blob.
const benchSum = 440 + 0 + 5 + 16

// cLoop runs a C or C++ loop as a sub-benchmark named name: loop(n) runs n
// operations in C and returns a result that ok checks. The loop runs once
// per b.N, so the cost of the cgo call is spread over b.N operations.
// allocs/op and B/op are the C allocator's counts (see cpeer.Allocs).
func cLoop(b *testing.B, name string, loop func(n int) int, ok func(r, n int) bool) {
	b.Run(name, func(b *testing.B) {
		if !cpeer.Available {
			b.Skip("built without the C peers")
		}
		var r int
		b.ReportAllocs()
		b.ResetTimer()
		allocs, bytes := cpeer.Allocs(func() { r = loop(b.N) })
		b.StopTimer()
		if !ok(r, b.N) {
			b.Fatalf("%s: result %d for %d operations", name, r, b.N)
		}
		b.ReportMetric(float64(allocs)/float64(b.N), "allocs/op")
		b.ReportMetric(float64(bytes)/float64(b.N), "B/op")
	})
}

// cEncode adds the liblo and oscpack columns of an encoding benchmark; want
// is osckit's packet, which both must reproduce byte for byte.
func cEncode(b *testing.B, want []byte, enc func(c cpeer.Codec, n int, out []byte) int) {
	for _, c := range []struct {
		name  string
		codec cpeer.Codec
	}{{"liblo", cpeer.Liblo}, {"oscpack", cpeer.Oscpack}} {
		out := make([]byte, 4096)
		cLoop(b, c.name, func(n int) int { return enc(c.codec, n, out) }, func(r, _ int) bool {
			return r == len(want) && bytes.Equal(out[:r], want)
		})
	}
}

// cDecode adds the liblo and oscpack columns of a decoding benchmark; each
// pass over pkt must read back per.
func cDecode(b *testing.B, pkt []byte, per int, dec func(c cpeer.Codec, pkt []byte, n int) int) {
	for _, c := range []struct {
		name  string
		codec cpeer.Codec
	}{{"liblo", cpeer.Liblo}, {"oscpack", cpeer.Oscpack}} {
		cLoop(b, c.name, func(n int) int { return dec(c.codec, pkt, n) }, func(r, n int) bool {
			return r == n*per
		})
	}
}

// TestCPeers checks the C columns once: both C codecs write osckit's bytes
// and read back what osckit reads. It keeps the C code built and working in
// `make test`.
func TestCPeers(t *testing.T) {
	if !cpeer.Available {
		t.Skip("built without the C peers")
	}
	msg, bundle := osckitPacket(t, false), osckitPacket(t, true)
	for _, c := range []cpeer.Codec{cpeer.Liblo, cpeer.Oscpack} {
		out := make([]byte, 4096)
		if n := cpeer.Encode(c, 3, out); n < 0 || !bytes.Equal(out[:n], msg) {
			t.Errorf("codec %d: encode gave %x, want %x", c, out[:max(n, 0)], msg)
		}
		if n := cpeer.EncodeBundle8(c, 3, out); n < 0 || !bytes.Equal(out[:n], bundle) {
			t.Errorf("codec %d: bundle encode gave %x, want %x", c, out[:max(n, 0)], bundle)
		}
		if got := cpeer.Decode(c, msg, 3); got != 3*benchSum {
			t.Errorf("codec %d: decode read %d, want %d", c, got, 3*benchSum)
		}
		if got := cpeer.DecodeBundle(c, bundle, 3); got != 3*8*benchSum {
			t.Errorf("codec %d: bundle decode read %d, want %d", c, got, 3*8*benchSum)
		}
		// The message cut in its blob: liblo rejects it. oscpack 1.1.0
		// accepts it and reads the blob past the end of the packet (its
		// blob bounds check constructs the exception without throwing
		// it); bench/README.md lists what each validates.
		got := cpeer.Decode(c, msg[:len(msg)-4], 1)
		switch {
		case c == cpeer.Liblo && got != -1:
			t.Errorf("liblo: a truncated message was accepted (%d)", got)
		case c == cpeer.Oscpack && got != -1:
			t.Logf("oscpack: accepts a message whose blob runs past its end")
		}
	}
}
