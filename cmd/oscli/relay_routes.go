package main

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// defaultRoutes is -routes' default: the addresses whose sender a
// bidirectional relay remembers.
const defaultRoutes = 4096

// origin is a sender the relay can answer: a UDP, TCP or WebSocket peer
// of one of its endpoints, or a named UNIX socket. A sender with neither
// (an unbound UNIX socket) cannot be answered.
type origin struct {
	ep   *osc.Endpoint
	addr netip.AddrPort
	path string
}

func (o *origin) answerable() bool { return o.addr.IsValid() || o.path != "" }

// is reports whether o is the sender of p, without allocating.
func (o *origin) is(p *osc.Packet) bool {
	return o.ep == p.Endpoint && o.addr == p.Remote && o.path == string(p.Path)
}

// routes remembers, for each address a destination was sent, the sender
// that sent it last, so that a destination's replies on that address go
// back to it. At most max addresses are kept: a new one beyond the cap
// replaces an arbitrary other, counted in evicted. Addresses longer than
// router.MaxLen are not remembered (counted in long), so that the map
// holds at most max × 1 KiB of addresses whatever senders send.
type routes struct {
	mu  sync.Mutex
	max int
	m   map[string]*origin

	evicted, long atomic.Uint64
}

func newRoutes(max int) *routes {
	return &routes{max: max, m: make(map[string]*origin, min(max, 1024))}
}

// remember records p's sender for every message address of out, the
// validated packet sent on. Once an address is known, remembering it again
// allocates nothing.
func (rt *routes) remember(out []byte, p *osc.Packet) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.walk(out, p)
}

func (rt *routes) walk(b []byte, p *osc.Packet) {
	if !wire.IsBundle(b) {
		rt.set(b[:bytes.IndexByte(b, 0)], p)
		return
	}
	for off := 16; off+4 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		rt.walk(b[off+4:off+4+size], p)
		off += 4 + size
	}
}

func (rt *routes) set(addr []byte, p *osc.Packet) {
	if len(addr) > router.MaxLen {
		rt.long.Add(1)
		return
	}
	if o, ok := rt.m[string(addr)]; ok {
		if !o.is(p) {
			*o = origin{ep: p.Endpoint, addr: p.Remote, path: string(p.Path)}
		}
		return
	}
	if len(rt.m) >= rt.max {
		for k := range rt.m {
			delete(rt.m, k)
			rt.evicted.Add(1)
			break
		}
	}
	rt.m[string(addr)] = &origin{ep: p.Endpoint, addr: p.Remote, path: string(p.Path)}
}

// lookup returns the sender of the first message address of the validated
// packet b.
func (rt *routes) lookup(b []byte) (origin, bool) {
	for wire.IsBundle(b) {
		if len(b) < 20 {
			return origin{}, false
		}
		size := int(binary.BigEndian.Uint32(b[16:]))
		b = b[20 : 20+size]
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	o, ok := rt.m[string(b[:bytes.IndexByte(b, 0)])]
	if !ok {
		return origin{}, false
	}
	return *o, true
}

func (rt *routes) len() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return len(rt.m)
}

// replies is the reply side of a bidirectional relay: it undoes the
// rewrites on what destinations answer and sends it to the sender that
// caused it, counting what cannot go.
type replies struct {
	rt   *routes
	back rewriter // the -rewrite rules reversed

	sent, unrouted, unanswerable, failed atomic.Uint64
}

func newReplies(rt *routes, rules []rewriteRule) *replies {
	r := &replies{rt: rt}
	for _, rule := range rules {
		r.back.rules = append(r.back.rules, rewriteRule{from: rule.to, to: rule.from})
	}
	return r
}

// answer sends pkt, a destination's reply, to its sender; buf is the
// caller's scratch buffer, returned grown.
func (r *replies) answer(buf, pkt []byte) []byte {
	b, n, err := r.back.appendPacket(buf[:0], pkt)
	if err != nil || n == 0 {
		r.unrouted.Add(1) // not OSC: no address to route by
		return b
	}
	out, _ := nextPacket(b)
	o, ok := r.rt.lookup(pkt) // routes know addresses as destinations do
	switch {
	case !ok:
		r.unrouted.Add(1)
		return b
	case !o.answerable():
		r.unanswerable.Add(1)
		return b
	}
	if o.path != "" {
		_, err = o.ep.WriteToPath(out, []byte(o.path))
	} else {
		_, err = o.ep.WriteTo(out, o.addr)
	}
	if err != nil {
		r.failed.Add(1)
	} else {
		r.sent.Add(1)
	}
	return b
}
