//go:build !race

package traffic_test

import (
	"net/netip"
	"strings"
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

// TestFloodNoAllocs: past MaxRows and a full index, a message of an address
// never seen before, a long message and a new sender allocate nothing.
func TestFloodNoAllocs(t *testing.T) {
	tb := traffic.Table{MaxRows: 2}
	pkt := msg(t, "/flood/00000000", wire.Int32(1))
	long := msg(t, "/long", wire.Float64(0.5), wire.String(strings.Repeat("a", 2000)), wire.Blob(make([]byte, 600)))
	at := t0
	k := 0
	feed := func() {
		k++
		for d := 14; d >= 7; d-- { // the next address, in place
			if pkt[d]++; pkt[d] <= '9' {
				break
			}
			pkt[d] = '0'
		}
		tb.Packet(pkt, netip.AddrPortFrom(src1.Addr(), uint16(k)), at)
		tb.Packet(long, src2, at)
	}
	for range 100 {
		feed()
	}
	if n := testing.AllocsPerRun(1000, feed); n != 0 {
		t.Errorf("%v allocations per round", n)
	}
}
