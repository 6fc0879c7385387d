//go:build !race

package main

import (
	"net/netip"
	"testing"

	"github.com/osckit/osc"
	"github.com/osckit/osc/wire"
)

// TestRelayNoAllocs: once warm, relaying a packet allocates nothing, as it
// came or filtered, rewritten and flattened.
func TestRelayNoAllocs(t *testing.T) {
	msg, err := wire.AppendMessage(nil, "/mixer/ch/1/gain", wire.Float32(0.5), wire.String("x"))
	if err != nil {
		t.Fatal(err)
	}
	var enc wire.Encoder
	enc.BeginBundle(wire.Immediately)
	enc.Message("/mixer/ch/2/gain").Float32(1).End()
	enc.Message("/other").End()
	bundle, err := enc.EndBundle().Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		filter  bool
		rewrite bool
		flatten bool
		pkt     []byte
		want    int // packets a destination gets
	}{
		{"message as it came", false, false, false, msg, 1},
		{"bundle as it came", false, false, false, bundle, 1},
		{"message filtered and rewritten", true, true, false, msg, 1},
		{"bundle filtered and rewritten", true, true, false, bundle, 1},
		{"bundle flattened", false, false, true, bundle, 2},
		{"bundle rewritten and flattened", false, true, true, bundle, 2},
		{"nested bundles rewritten", false, true, false, nestedBundle(t), 1},
		{"nested bundles flattened", false, false, true, nestedBundle(t), 4},
	} {
		r := newRelay(c.flatten)
		if c.filter {
			r.rw.filters = [][]byte{[]byte("/mixer/*/*/gain")}
		}
		if c.rewrite {
			r.rw.rules = []rewriteRule{{[]byte("/mixer"), []byte("/console")}}
		}
		d := newDest("test", 8, nil)
		r.dests = []*dest{d}
		round := func() {
			r.forward(&osc.Packet{Data: c.pkt})
			for range c.want {
				select {
				case b := <-d.q:
					d.free <- b
				default:
					t.Fatalf("%s: a packet is missing", c.name)
				}
			}
			if len(d.q) != 0 {
				t.Fatalf("%s: %d packets too many", c.name, len(d.q))
			}
		}
		for range 10 {
			round()
		}
		if n := testing.AllocsPerRun(200, round); n != 0 {
			t.Errorf("%s: %v allocations a packet", c.name, n)
		}
		if d.drops.Load() != 0 {
			t.Errorf("%s: %d drops", c.name, d.drops.Load())
		}
	}
}

// TestRelayBidirectionalNoAllocs: remembering the sender of an address
// already known allocates nothing, as the packet came or rewritten.
func TestRelayBidirectionalNoAllocs(t *testing.T) {
	msg, err := wire.AppendMessage(nil, "/mixer/ch/1/gain", wire.Float32(0.5))
	if err != nil {
		t.Fatal(err)
	}
	for _, rewrite := range []bool{false, true} {
		r := newRelay(false)
		if rewrite {
			r.rw.rules = []rewriteRule{{[]byte("/mixer"), []byte("/console")}}
		}
		r.routes = newRoutes(16)
		d := newDest("test", 8, nil)
		r.dests = []*dest{d}
		p := &osc.Packet{Data: msg, Remote: netip.MustParseAddrPort("127.0.0.1:9000")}
		round := func() {
			r.forward(p)
			d.free <- <-d.q
		}
		for range 10 {
			round()
		}
		if n := testing.AllocsPerRun(200, round); n != 0 {
			t.Errorf("rewrite %v: %v allocations a packet", rewrite, n)
		}
		if r.routes.len() != 1 {
			t.Errorf("rewrite %v: %d routes, want 1", rewrite, r.routes.len())
		}
	}
}
