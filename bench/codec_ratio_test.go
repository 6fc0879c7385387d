package bench

import (
	"testing"
	"time"

	"github.com/osckit/osc/bench/cpeer"
	"github.com/osckit/osc/wire"
)

// BenchmarkCodecRatio times osckit, oscpack and liblo on the codec
// benchmarks' work in short alternating blocks (osckit, oscpack, liblo,
// then back in the reverse order, each iteration) and reports ns per
// operation of each and the ratios osckit/oscpack and osckit/liblo. On a
// shared machine whose speed drifts by tens of percent between
// sub-benchmarks, this is the figure for the codec targets. Without the C
// peers it skips.
func BenchmarkCodecRatio(b *testing.B) {
	if !cpeer.Available {
		b.Skip("built without the C peers")
	}
	msg, bundle := osckitPacket(b, false), osckitPacket(b, true)
	var e wire.Encoder
	var argv [8]wire.Arg
	out := make([]byte, 4096)
	work := []struct {
		name  string
		block int
		want  int // what one decoding reads, 0 for an encoding
		go_   func(n int) int
		c     func(c cpeer.Codec, n int) int
	}{
		{"Encode", 20000, 0, func(n int) int {
			r := 0
			for range n {
				e.Reset()
				p, _ := osckitMessage(&e).Bytes()
				r = len(p)
			}
			return r
		}, func(c cpeer.Codec, n int) int { return cpeer.Encode(c, n, out) }},
		{"Decode", 20000, benchSum, func(n int) int {
			s := 0
			for range n {
				_, args, err := wire.ParseArgs(msg, argv[:0])
				if err != nil {
					return -1
				}
				s += osckitSum(args)
			}
			return s
		}, func(c cpeer.Codec, n int) int { return cpeer.Decode(c, msg, n) }},
		{"EncodeBundle8", 2000, 0, func(n int) int {
			r := 0
			for range n {
				e.Reset()
				e.BeginBundle(wire.Immediately)
				for range 8 {
					osckitMessage(&e)
				}
				p, _ := e.EndBundle().Bytes()
				r = len(p)
			}
			return r
		}, func(c cpeer.Codec, n int) int { return cpeer.EncodeBundle8(c, n, out) }},
		{"DecodeBundle8", 2000, 8 * benchSum, func(n int) int {
			s := 0
			for range n {
				err := wire.Walk(bundle, func(m wire.Message, _ wire.Timetag) error {
					s += osckitRead(m)
					return nil
				})
				if err != nil {
					return -1
				}
			}
			return s
		}, func(c cpeer.Codec, n int) int { return cpeer.DecodeBundle(c, bundle, n) }},
	}
	for _, w := range work {
		b.Run(w.name, func(b *testing.B) {
			runs := []func(n int) int{
				w.go_,
				func(n int) int { return w.c(cpeer.Oscpack, n) },
				func(n int) int { return w.c(cpeer.Liblo, n) },
			}
			var spent [3]time.Duration
			ops := 0
			for b.Loop() {
				for k := range 2 * len(runs) {
					i := k
					if k >= len(runs) {
						i = 2*len(runs) - 1 - k
					}
					t0 := time.Now()
					r := runs[i](w.block)
					spent[i] += time.Since(t0)
					if r < 0 || (w.want > 0 && r != w.block*w.want) {
						b.Fatalf("run %d gave %d", i, r)
					}
				}
				ops += 2 * w.block
			}
			ns := func(i int) float64 { return float64(spent[i].Nanoseconds()) / float64(ops) }
			b.ReportMetric(ns(0), "osckit-ns")
			b.ReportMetric(ns(1), "oscpack-ns")
			b.ReportMetric(ns(2), "liblo-ns")
			b.ReportMetric(ns(0)/ns(1), "vs-oscpack")
			b.ReportMetric(ns(0)/ns(2), "vs-liblo")
			b.ReportMetric(0, "ns/op")
		})
	}
}
