package traffic_test

import (
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/traffic"
	"github.com/osckit/osc/wire"
)

var (
	t0   = time.Unix(1_800_000_000, 0)
	src1 = netip.MustParseAddrPort("127.0.0.1:9000")
	src2 = netip.MustParseAddrPort("[::1]:9001")
)

func msg(t testing.TB, addr string, args ...wire.Value) []byte {
	t.Helper()
	b, err := wire.AppendMessage(nil, addr, args...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rowOf(t *testing.T, s *traffic.Snapshot, name string) traffic.Row {
	t.Helper()
	for _, r := range s.Rows {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no row %q in %d rows", name, len(s.Rows))
	return traffic.Row{}
}

func TestRowsRatesValues(t *testing.T) {
	var tb traffic.Table
	// Ten messages a second for 12 seconds, the value rising by one each.
	for s := range 12 {
		for k := range 10 {
			at := t0.Add(time.Duration(s)*time.Second + time.Duration(k)*50*time.Millisecond)
			tb.Packet(msg(t, "/fader/1", wire.Float32(float32(s*10+k)), wire.String("x")), src1, at)
		}
	}
	tb.Packet(msg(t, "/button", wire.Int32(1)), src2, t0.Add(11*time.Second))
	var s traffic.Snapshot
	tb.Snapshot(&s, t0.Add(12*time.Second))
	if len(s.Rows) != 2 || s.Packets != 121 || s.PacketRate != 11 {
		t.Fatalf("rows %d packets %d rate %v", len(s.Rows), s.Packets, s.PacketRate)
	}
	f := rowOf(t, &s, "/fader/1")
	if f.Count != 120 || f.Rate != 10 || f.Rate10 != 10 {
		t.Errorf("count %d rate %v rate10 %v", f.Count, f.Rate, f.Rate10)
	}
	if f.Args != `fs 119 "x"` || f.Tags != "fs" || f.TagChanges != 0 {
		t.Errorf("args %q tags %q changes %d", f.Args, f.Tags, f.TagChanges)
	}
	if !f.HasNumber || f.Min != 0 || f.Max != 119 {
		t.Errorf("range %v %v %v", f.HasNumber, f.Min, f.Max)
	}
	h := f.History
	if len(h) != traffic.HistoryLen || h[len(h)-1] == h[len(h)-1] || h[len(h)-2] != 119 || h[len(h)-3] != 109 || !math.IsNaN(h[len(h)-14]) {
		t.Errorf("history tail %v", h[len(h)-14:])
	}
	if len(f.Senders) != 1 || f.Senders[0] != src1 {
		t.Errorf("senders %v", f.Senders)
	}
	b := rowOf(t, &s, "/button")
	if b.Rate != 1 || b.Rate10 != 0.1 || b.Args != "i 1" {
		t.Errorf("button %+v", b)
	}
	// Twenty seconds later nothing is recent.
	tb.Snapshot(&s, t0.Add(32*time.Second))
	if f := rowOf(t, &s, "/fader/1"); f.Rate != 0 || f.Rate10 != 0 || f.Count != 120 {
		t.Errorf("stale rates %v %v", f.Rate, f.Rate10)
	}
}

func TestTagChangesSendersBundles(t *testing.T) {
	var tb traffic.Table
	tb.Packet(msg(t, "/a", wire.Int32(1)), src1, t0)
	tb.Packet(msg(t, "/a", wire.String("one")), src2, t0)
	for k := range 6 {
		tb.Packet(msg(t, "/a", wire.String("one")), netip.AddrPortFrom(src1.Addr(), uint16(100+k)), t0)
	}
	var e wire.Encoder
	e.BeginBundle(wire.TimetagOf(t0.Add(-time.Second)))
	e.Message("/b").Int32(2).End()
	e.BeginBundle(wire.TimetagOf(t0.Add(time.Hour)))
	e.Message("/b").Int32(3).End()
	e.EndBundle()
	e.EndBundle()
	pkt, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	tb.Packet(pkt, src1, t0)
	tb.Packet([]byte("/bad\x00\x00\x00\x00,i\x00\x00"), src1, t0)
	var s traffic.Snapshot
	tb.Snapshot(&s, t0.Add(time.Second))
	a := rowOf(t, &s, "/a")
	if a.TagChanges != 1 || a.Tags != "s" || len(a.Senders) != 4 || !a.MoreSenders {
		t.Errorf("/a: changes %d tags %q senders %v more %v", a.TagChanges, a.Tags, a.Senders, a.MoreSenders)
	}
	if b := rowOf(t, &s, "/b"); b.Count != 2 || b.Args != "i 3" {
		t.Errorf("/b: %d %q", b.Count, b.Args)
	}
	if s.Bundles != 2 || s.Late != 1 || s.Future != 1 || s.Malformed != 1 || s.LastError == nil {
		t.Errorf("bundles %d late %d future %d malformed %d (%v)", s.Bundles, s.Late, s.Future, s.Malformed, s.LastError)
	}
}

func TestGroupsFilter(t *testing.T) {
	tb := traffic.Table{Groups: []string{"/track/*/x"}, Filter: "/track/*/*"}
	for k := range 8 {
		tb.Packet(msg(t, fmt.Sprintf("/track/%d/x", k), wire.Int32(int32(k))), src1, t0)
	}
	tb.Packet(msg(t, "/track/1/y", wire.Int32(9)), src1, t0)
	tb.Packet(msg(t, "/other", wire.Int32(9)), src1, t0)
	var s traffic.Snapshot
	tb.Snapshot(&s, t0.Add(time.Second))
	if len(s.Rows) != 2 || s.Packets != 10 {
		t.Fatalf("rows %v packets %d", s.Rows, s.Packets)
	}
	if g := rowOf(t, &s, "/track/*/x"); g.Count != 8 || g.Min != 0 || g.Max != 7 {
		t.Errorf("group %+v", g)
	}
	rowOf(t, &s, "/track/1/y")
}

// TestFloodBounded sends 200,000 distinct addresses: the rows stay capped,
// the rest is tallied in "(other)", and the heap stays bounded.
func TestFloodBounded(t *testing.T) {
	tb := traffic.Table{MaxRows: 100}
	var before, after runtime.MemStats
	pkt := msg(t, "/flood/00000000", wire.Int32(1))
	flood := func(from, n int) {
		for k := from; k < from+n; k++ {
			copy(pkt[7:15], fmt.Sprintf("%08d", k))
			tb.Packet(pkt, src1, t0)
		}
	}
	flood(0, 10_000)
	runtime.GC()
	runtime.ReadMemStats(&before)
	flood(10_000, 190_000)
	runtime.GC()
	runtime.ReadMemStats(&after)
	var s traffic.Snapshot
	tb.Snapshot(&s, t0.Add(time.Second))
	if len(s.Rows) != 101 {
		t.Fatalf("%d rows, want 100 and (other)", len(s.Rows))
	}
	o := rowOf(t, &s, "(other)")
	if !o.Other || o.Count != 200_000-100 {
		t.Errorf("other %+v", o)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 1<<20 {
		t.Errorf("heap grew %d bytes over 190,000 new addresses", grew)
	}
	tb.Reset()
	tb.Snapshot(&s, t0)
	if len(s.Rows) != 0 || s.Packets != 0 {
		t.Errorf("after Reset: %d rows, %d packets", len(s.Rows), s.Packets)
	}
}

func TestLongMessage(t *testing.T) {
	var tb traffic.Table
	long := make([]byte, 2000)
	for k := range long {
		long[k] = 'a'
	}
	tb.Packet(msg(t, "/long", wire.Float64(0.5), wire.String(string(long))), src1, t0)
	var s traffic.Snapshot
	tb.Snapshot(&s, t0)
	r := rowOf(t, &s, "/long")
	if len(r.Args) != 160 || r.Args[:7] != `ds 0.5 ` || r.Tags != "ds" {
		t.Errorf("args %d %q", len(r.Args), r.Args[:20])
	}
}

// TestConcurrent feeds a Table from several goroutines while snapshots are
// taken; run with -race.
func TestConcurrent(t *testing.T) {
	var tb traffic.Table
	var wg sync.WaitGroup
	const n, per = 4, 5000
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkt := msg(t, fmt.Sprintf("/g/%d", g), wire.Int32(int32(g)))
			for range per {
				tb.Packet(pkt, src1, time.Now())
			}
		}()
	}
	var s traffic.Snapshot
	for range 50 {
		tb.Snapshot(&s, time.Now())
	}
	wg.Wait()
	tb.Snapshot(&s, time.Now())
	var sum uint64
	for _, r := range s.Rows {
		sum += r.Count
	}
	if sum != n*per || s.Packets != n*per {
		t.Errorf("counted %d / %d, want %d", sum, s.Packets, n*per)
	}
}

// TestIndexFullNoDuplicateRows: once filtered-out addresses have filled the
// address index, a new address still gets one row, not one per message.
func TestIndexFullNoDuplicateRows(t *testing.T) {
	tb := traffic.Table{MaxRows: 4, Filter: "/keep/*"}
	for k := range 64 {
		tb.Packet(msg(t, fmt.Sprintf("/drop/%d", k), wire.Int32(1)), src1, t0)
	}
	for range 3 {
		tb.Packet(msg(t, "/keep/a", wire.Int32(1)), src1, t0)
	}
	var s traffic.Snapshot
	tb.Snapshot(&s, t0)
	if len(s.Rows) != 1 || s.Rows[0].Count != 3 {
		t.Errorf("%d rows (%+v), want one row of 3", len(s.Rows), s.Rows)
	}
}

// TestOddTimes: a zero or pre-1970 time, or a clock stepped back, neither
// panics nor loses counts.
func TestOddTimes(t *testing.T) {
	var tb traffic.Table
	pkt := msg(t, "/a", wire.Float32(1))
	tb.Packet(pkt, src1, t0)
	tb.Packet(pkt, src1, time.Time{})
	tb.Packet(pkt, src1, time.Unix(-5, 0))
	tb.Packet(pkt, src1, t0.Add(-3*time.Second))
	var s traffic.Snapshot
	tb.Snapshot(&s, t0.Add(time.Second))
	if a := rowOf(t, &s, "/a"); a.Count != 4 || a.Rate != 4 || s.PacketRate != 4 {
		t.Errorf("count %d rate %v packet rate %v, want 4 4 4", a.Count, a.Rate, s.PacketRate)
	}
	tb.Snapshot(&s, time.Time{})
}

// TestLongAddresses: addresses longer than router.MaxLen neither get a row
// nor an index entry of their own (64 KiB each would make the cap of rows
// a cap of little), but are tallied in "(other)".
func TestLongAddresses(t *testing.T) {
	tb := traffic.Table{MaxRows: 4}
	for k := range 8 {
		tb.Packet(msg(t, fmt.Sprintf("/%04d/%s", k, strings.Repeat("x", 60_000)), wire.Int32(1)), src1, t0)
	}
	tb.Packet(msg(t, "/"+strings.Repeat("y", router.MaxLen-1), wire.Int32(1)), src1, t0)
	var s traffic.Snapshot
	tb.Snapshot(&s, t0)
	if len(s.Rows) != 2 || s.Rows[0].Name != "(other)" || s.Rows[0].Count != 8 || len(s.Rows[1].Name) != router.MaxLen {
		t.Errorf("%d rows, want (other) of 8 and one of %d bytes", len(s.Rows), router.MaxLen)
	}
}
