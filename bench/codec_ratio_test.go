package bench

import (
	"slices"
	"testing"
	"time"

	"github.com/osckit/osc/bench/cpeer"
	"github.com/osckit/osc/wire"
)

// BenchmarkCodecRatio times osckit, oscpack and liblo on the codec
// benchmarks' work in short alternating blocks (osckit, oscpack, liblo,
// then back in the reverse order: one iteration, some 0.1-0.5 ms) and
// reports the median over the iterations of each one's ns per operation
// and of the ratios osckit/oscpack and osckit/liblo within an iteration.
// On a shared machine whose speed drifts by tens of percent between
// sub-benchmarks, and where another process takes the core for a block
// now and then, this is the figure for the codec targets. Without the C
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
		{"Encode", 2000, 0, func(n int) int {
			r := 0
			for range n {
				e.Reset()
				p, _ := osckitMessage(&e).Bytes()
				r = len(p)
			}
			return r
		}, func(c cpeer.Codec, n int) int { return cpeer.Encode(c, n, out) }},
		{"Decode", 2000, benchSum, func(n int) int {
			s := 0
			for range n {
				_, args, err := strict.ParseArgs(msg, argv[:0])
				if err != nil {
					return -1
				}
				s += osckitSum(args)
			}
			return s
		}, func(c cpeer.Codec, n int) int { return cpeer.Decode(c, msg, n) }},
		{"EncodeBundle8", 200, 0, func(n int) int {
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
		{"DecodeBundle8", 200, 8 * benchSum, func(n int) int {
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
			var ns [3][]float64
			var vsOscpack, vsLiblo []float64
			for b.Loop() {
				var spent [3]time.Duration
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
				for i := range runs {
					ns[i] = append(ns[i], float64(spent[i].Nanoseconds())/float64(2*w.block))
				}
				vsOscpack = append(vsOscpack, float64(spent[0])/float64(spent[1]))
				vsLiblo = append(vsLiblo, float64(spent[0])/float64(spent[2]))
			}
			b.ReportMetric(median(ns[0]), "osckit-ns")
			b.ReportMetric(median(ns[1]), "oscpack-ns")
			b.ReportMetric(median(ns[2]), "liblo-ns")
			b.ReportMetric(median(vsOscpack), "vs-oscpack")
			b.ReportMetric(median(vsLiblo), "vs-liblo")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// median returns the median of v (which it sorts).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
