//go:build !race

package traffic_test

import (
	"testing"
	"time"

	"github.com/osckit/osc/traffic"
	"github.com/osckit/osc/wire"
)

// TestPacketNoAllocs: once its addresses are known, tallying a message or
// a bundle allocates nothing, grouped or filtered ones included.
func TestPacketNoAllocs(t *testing.T) {
	tb := traffic.Table{Groups: []string{"/g/*"}, Filter: "/{a,g}*"}
	m := msg(t, "/a/1", wire.Float32(0.5), wire.String("hello"), wire.Int32(3))
	g := msg(t, "/g/7", wire.Int32(1))
	f := msg(t, "/zzz", wire.Int32(1))
	var e wire.Encoder
	e.BeginBundle(wire.TimetagOf(t0))
	e.Message("/a/1").Int32(7).End()
	e.Message("/a/2").String("x").End()
	e.EndBundle()
	b, _ := e.Bytes()
	at := t0
	feed := func() {
		at = at.Add(time.Millisecond)
		tb.Packet(m, src1, at)
		tb.Packet(g, src2, at)
		tb.Packet(f, src1, at)
		tb.Packet(b, src1, at)
	}
	feed()
	if n := testing.AllocsPerRun(1000, feed); n != 0 {
		t.Errorf("%v allocations per round", n)
	}
}

func BenchmarkPacket(b *testing.B) {
	var tb traffic.Table
	pkts := make([][]byte, 1000)
	for k := range pkts {
		pkts[k] = msg(b, "/bench/"+string(rune('a'+k%26))+string(rune('a'+k/26%26)), wire.Float32(float32(k)), wire.Int32(1))
	}
	at := time.Now()
	b.ReportAllocs()
	for k := 0; b.Loop(); k++ {
		tb.Packet(pkts[k%len(pkts)], src1, at)
	}
}

// BenchmarkSnapshot copies 1,000 rows, as a display does every second;
// the Table is locked for the copy, not the formatting.
func BenchmarkSnapshot(b *testing.B) {
	var tb traffic.Table
	at := time.Now()
	for k := range 1000 {
		tb.Packet(msg(b, "/bench/"+string(rune('a'+k%26))+string(rune('a'+k/26%26))+string(rune('a'+k/676)), wire.Float32(float32(k)), wire.String("x")), src1, at)
	}
	var s traffic.Snapshot
	b.ReportAllocs()
	for b.Loop() {
		tb.Snapshot(&s, at)
	}
}
