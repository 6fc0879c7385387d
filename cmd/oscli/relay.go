package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

const relayUsage = `[flags] -from URL [-from URL ...] -to URL [-to URL ...]

Forwards every packet that arrives on the -from endpoints (any transport:
UDP, multicast, TCP, UNIX, WebSocket) to every -to destination (any
transport). Each destination has its own bounded queue (-queue packets)
and goroutine: one that is down or slow drops what its queue cannot take,
counted, and never delays the others. TCP and WebSocket destinations that
fail are dialled again with a backoff (100 ms doubling to 5 s), said on
standard error.

-filter PATTERN (repeatable) forwards only the messages whose address
matches one of the OSC patterns. -rewrite /FROM=/TO (repeatable; the first
that applies wins) replaces an address prefix. -flatten sends the messages
of bundles one by one, as bare messages (for devices that refuse bundles).
A bundle that is filtered or rewritten without -flatten is sent as one
bundle of the messages it keeps, with its timetag. Packets that need none
of these are forwarded as they came.

With -stats D a line every D gives each destination's packets, bytes,
drops and reconnects; the totals are printed when relay ends.`

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

type rewrite struct{ from, to []byte }

func runRelay(e *env, args []string) error {
	fs := newFlagSet(e, "relay", relayUsage)
	var from, to, filters, rewrites stringList
	fs.Var(&from, "from", "receive on `URL` (repeatable)")
	fs.Var(&to, "to", "forward to `URL` (repeatable)")
	fs.Var(&filters, "filter", "forward only addresses matching `PATTERN` (repeatable)")
	fs.Var(&rewrites, "rewrite", "replace the address prefix `/FROM=/TO` (repeatable)")
	flatten := fs.Bool("flatten", false, "send the messages of bundles one by one, unbundled")
	queue := fs.Int("queue", 1024, "bound each destination's queue to `N` packets")
	stats := fs.Duration("stats", 0, "print each destination's counters every `D` (0: only at the end)")
	timeout := fs.Duration("timeout", 0, "exit after `D` (0: no limit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if len(from) == 0 || len(to) == 0 {
		return usagef("want at least one -from URL and one -to URL")
	}
	if *queue <= 0 {
		return usagef("-queue %d: want a positive number", *queue)
	}
	for _, f := range filters {
		if !validPattern(f) {
			return usagef("-filter %q: want an OSC address pattern", f)
		}
	}
	r := newRelay(*flatten)
	for _, f := range filters {
		r.filters = append(r.filters, []byte(f))
	}
	for _, rw := range rewrites {
		a, b, ok := strings.Cut(rw, "=")
		if !ok || !validPattern(a) || !validPattern(b) {
			return usagef("-rewrite %q: want /FROM=/TO", rw)
		}
		r.rewrites = append(r.rewrites, rewrite{[]byte(a), []byte(b)})
	}
	var eps []netio.Endpoint
	for _, u := range from {
		ep, err := listenArg(u)
		if err != nil {
			return err
		}
		eps = append(eps, ep)
	}
	for _, u := range to {
		if _, err := netio.ParseEndpoint(u); err != nil {
			return usagef("-to %v", err)
		}
	}
	ctx, cancel := signalContext(e, *timeout)
	defer cancel()
	stderr := &lockedWriter{w: e.stderr}
	for _, u := range to {
		r.dests = append(r.dests, newDest(u, *queue, stderr))
	}
	var wg sync.WaitGroup
	for _, d := range r.dests {
		wg.Go(func() { d.run(ctx) })
	}
	if *stats > 0 {
		wg.Go(func() {
			t := time.NewTicker(*stats)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					r.printStats(stderr)
				case <-ctx.Done():
					return
				}
			}
		})
	}
	srv := &osc.Server{
		Handler:     router.HandlerFunc(func(router.ResponseWriter, *router.Request) {}),
		IdleTimeout: -1,
		Logger:      slog.New(&logHandler{w: stderr, prefix: "oscli relay: "}),
		Accept: func(_ router.ResponseWriter, p *osc.Packet) bool {
			r.forward(p.Data)
			return false
		},
	}
	var err error
	for _, ep := range eps {
		srv.WebSocket.AnyOrigin = isLoopback(ep.Host())
		var l *osc.Endpoint
		if l, err = srv.Listen(ep.String(), nil); err != nil {
			break
		}
		fmt.Fprintf(stderr, "oscli relay: listening on %s\n", l.URL())
	}
	if err == nil {
		<-ctx.Done()
	}
	srv.Close()
	cancel()
	wg.Wait()
	r.printStats(stderr)
	return err
}

// relay turns each received packet into what the destinations get.
type relay struct {
	filters  [][]byte
	rewrites []rewrite
	flatten  bool
	dests    []*dest

	mu     sync.Mutex // Accept runs on a goroutine per TCP connection
	enc    wire.Encoder
	buf    []byte
	pkt    []byte // the bundle being walked
	n      int    // messages of it kept so far
	walkFn func(wire.Message, wire.Timetag) error
}

func newRelay(flatten bool) *relay {
	r := &relay{flatten: flatten}
	r.walkFn = r.element // bound once: walking a bundle does not allocate
	return r
}

// forward hands pkt, as the options make it, to every destination.
func (r *relay) forward(pkt []byte) {
	if len(r.filters) == 0 && len(r.rewrites) == 0 && !(r.flatten && wire.IsBundle(pkt)) {
		r.send(pkt) // as it came
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !wire.IsBundle(pkt) {
		m, err := wire.ParseMessage(pkt)
		if err != nil {
			return // not OSC: nothing to filter or rewrite
		}
		if b, ok := r.message(r.buf[:0], &m); ok {
			r.buf = b
			r.send(b)
		}
		return
	}
	r.n, r.pkt = 0, pkt
	r.enc.Reset()
	_ = wire.Walk(pkt, r.walkFn)
	if r.n > 0 {
		if b, err := r.enc.EndBundle().Bytes(); err == nil {
			r.send(b)
		}
	}
	r.pkt = nil
}

// element handles one message of the bundle being walked.
func (r *relay) element(m wire.Message, _ wire.Timetag) error {
	b, ok := r.message(r.buf[:0], &m)
	if !ok {
		return nil
	}
	r.buf = b
	if r.flatten {
		r.send(b)
		return nil
	}
	if r.n == 0 {
		r.enc.BeginBundle(wire.Timetag(bundleTimetag(r.pkt)))
	}
	r.enc.Raw(b)
	r.n++
	return nil
}

// bundleTimetag is the timetag of the outer bundle pkt.
func bundleTimetag(pkt []byte) uint64 {
	var t uint64
	for _, c := range pkt[8:16] {
		t = t<<8 | uint64(c)
	}
	return t
}

// message appends m, rewritten, to dst, or reports that the filters drop it.
func (r *relay) message(dst []byte, m *wire.Message) ([]byte, bool) {
	addr := m.Address()
	if len(r.filters) > 0 {
		keep := false
		for _, f := range r.filters {
			if router.Match(f, addr) {
				keep = true
				break
			}
		}
		if !keep {
			return dst, false
		}
	}
	raw := m.Bytes()
	for _, rw := range r.rewrites {
		if !bytes.HasPrefix(addr, rw.from) {
			continue
		}
		rest := addr[len(rw.from):]
		if len(rest) > 0 && rest[0] != '/' && rw.from[len(rw.from)-1] != '/' {
			continue // /a does not rewrite /ab
		}
		padded := (len(addr) + 4) &^ 3
		n := len(dst)
		dst = append(append(dst, rw.to...), rest...)
		for range 4 - (len(dst)-n)%4 {
			dst = append(dst, 0)
		}
		return append(dst, raw[padded:]...), true
	}
	return append(dst, raw...), true
}

// send copies pkt to every destination's queue.
func (r *relay) send(pkt []byte) {
	for _, d := range r.dests {
		d.enqueue(pkt)
	}
}

func (r *relay) printStats(w *lockedWriter) {
	for _, d := range r.dests {
		fmt.Fprintf(w, "oscli relay: %s packets=%d bytes=%d drops=%d reconnects=%d\n",
			d.url, d.packets.Load(), d.bytes.Load(), d.drops.Load(), d.reconnects.Load())
	}
}

// dest is one destination: a bounded queue and the goroutine that sends
// what it holds.
type dest struct {
	url    string
	q      chan []byte
	free   chan []byte // buffers to reuse
	stderr *lockedWriter

	packets, bytes, drops, reconnects atomic.Uint64
}

func newDest(url string, n int, stderr *lockedWriter) *dest {
	return &dest{url: url, q: make(chan []byte, n), free: make(chan []byte, n), stderr: stderr}
}

// enqueue copies pkt into the queue, or counts it dropped when the queue
// is full.
func (d *dest) enqueue(pkt []byte) {
	var b []byte
	select {
	case b = <-d.free:
	default:
	}
	select {
	case d.q <- append(b[:0], pkt...):
	default:
		d.drops.Add(1)
	}
}

// run sends the queue to the destination until ctx ends, dialling it again
// with a backoff when it fails; packets that wait in the meantime are
// kept up to the queue's bound.
func (d *dest) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := osc.DialContext(dctx, d.url)
		cancel()
		if err == nil {
			backoff = 100 * time.Millisecond
			err = d.sendAll(ctx, c)
			c.Close()
			if ctx.Err() != nil {
				return
			}
		}
		d.reconnects.Add(1)
		fmt.Fprintf(d.stderr, "oscli relay: %s: %v; dialling again in %v\n", d.url, err, backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// sendAll writes queued packets to c until a write fails or ctx ends.
func (d *dest) sendAll(ctx context.Context, c *osc.Client) error {
	for {
		select {
		case b := <-d.q:
			_, err := c.Write(b)
			if err != nil {
				d.drops.Add(1)
				return err
			}
			d.packets.Add(1)
			d.bytes.Add(uint64(len(b)))
			select {
			case d.free <- b:
			default:
			}
		case <-ctx.Done():
			return nil
		}
	}
}
