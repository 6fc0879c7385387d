package bench

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
	"time"
)

// histSub is the number of bits of a value that a latencyHist bucket keeps:
// below 1<<histSub every value has its own bucket, above it every power of
// two is split into 1<<histSub buckets, so a bucket is narrower than
// 1/(1<<histSub) of its values (0.8% with 7 bits), as in an HDR histogram.
const histSub = 7

// latencyHist is a log-linear histogram of durations in nanoseconds.
// Recording is an index computation and an increment; quantiles are the
// highest value of the bucket that holds them.
type latencyHist struct {
	counts [(64 - histSub + 1) << histSub]uint64
	n      uint64
	max    uint64
}

// histIndex returns the bucket of v.
func histIndex(v uint64) int {
	if v < 1<<histSub {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - histSub
	return (shift+1)<<histSub + int(v>>shift) - 1<<histSub
}

// histUpper returns the highest value that lands in bucket i.
func histUpper(i int) uint64 {
	if i < 1<<histSub {
		return uint64(i)
	}
	shift := i>>histSub - 1
	top := uint64(i&(1<<histSub-1)) + 1<<histSub
	return (top+1)<<shift - 1
}

func (h *latencyHist) record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[histIndex(v)]++
	h.n++
	h.max = max(h.max, v)
}

// quantile returns the value at or below which a share q of the recorded
// values lie (q in [0, 1]).
func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.n))), 1)
	var cum uint64
	for i, c := range h.counts {
		cum += c
		if cum >= rank {
			return time.Duration(min(histUpper(i), h.max))
		}
	}
	return time.Duration(h.max)
}

func TestHistogram(t *testing.T) {
	for i := range len(latencyHist{}.counts) {
		if i > 0 && histUpper(i) <= histUpper(i-1) {
			t.Fatalf("bucket %d ends at %d, not after bucket %d (%d)", i, histUpper(i), i-1, histUpper(i-1))
		}
		if got := histIndex(histUpper(i)); got != i {
			t.Fatalf("the last value of bucket %d lands in %d", i, got)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		v := rng.Uint64() >> rng.IntN(64)
		i := histIndex(v)
		lo := uint64(0)
		if i > 0 {
			lo = histUpper(i-1) + 1
		}
		if v < lo || v > histUpper(i) {
			t.Fatalf("%d in bucket %d [%d, %d]", v, i, lo, histUpper(i))
		}
		if v >= 1<<histSub && float64(histUpper(i)-lo) > float64(v)/(1<<histSub) {
			t.Fatalf("bucket %d of %d is %d wide", i, v, histUpper(i)-lo)
		}
	}
	var h latencyHist
	for v := 1; v <= 100000; v++ {
		h.record(time.Duration(v))
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 50000}, {0.99, 99000}, {0.999, 99900}, {1, 100000}} {
		got := float64(h.quantile(c.q))
		if got < c.want || got > c.want*(1+1.0/(1<<histSub)) {
			t.Errorf("quantile %v = %v, want %v within %.1f%%", c.q, got, c.want, 100.0/(1<<histSub))
		}
	}
	var small latencyHist
	for _, v := range []time.Duration{3, 1, 2, 5, 4} {
		small.record(v)
	}
	if small.quantile(0.5) != 3 || small.quantile(0) != 1 || small.quantile(1) != 5 {
		t.Errorf("small values: p0 %v p50 %v p100 %v", small.quantile(0), small.quantile(0.5), small.quantile(1))
	}
}
