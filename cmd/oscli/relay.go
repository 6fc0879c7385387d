package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/internal/sched"
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
-flatten=due holds each bundle until it is due, then sends its messages
bare (a nested bundle when its own time comes); at most 65536 bundle
levels and 64 MiB wait, and bundles beyond that or more than an hour ahead
are refused, counted on the status line.
A bundle that is filtered or rewritten without -flatten keeps its shape:
nested bundles stay nested with their timetags, and bundles left with no
message are dropped. Packets that need none
of these are forwarded as they came.

With -bidirectional what a destination sends back goes to the sender
that last sent the address it answers (the first message's address of a
reply bundle), from the endpoint that sender used, with the -rewrite rules
undone. The sender of at most -routes addresses is remembered; a new one
past the cap replaces another. Replies no route explains, replies to a
sender that cannot be answered (an unbound UNIX socket) and replies that
fail are counted on the status line.

An osc.wss:// -from endpoint listens with the certificate -cert and its
key -key.

With -stats D a line every D gives each -from endpoint's packets, bytes,
malformed packets and connections (accepted, refused past the cap, closed
for not reading their replies) and each destination's packets, bytes,
drops and reconnects; the totals are printed when relay ends.`

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func runRelay(e *env, args []string) error {
	fs := newFlagSet(e, "relay", relayUsage)
	var from, to, filters, rewrites stringList
	fs.Var(&from, "from", "receive on `URL` (repeatable)")
	fs.Var(&to, "to", "forward to `URL` (repeatable)")
	fs.Var(&filters, "filter", "forward only addresses matching `PATTERN` (repeatable)")
	fs.Var(&rewrites, "rewrite", "replace the address prefix `/FROM=/TO` (repeatable)")
	var flatten flattenFlag
	fs.Var(&flatten, "flatten", "send the messages of bundles one by one, unbundled (-flatten=due: each when its bundle is due)")
	queue := fs.Int("queue", 1024, "bound each destination's queue to `N` packets")
	stats := fs.Duration("stats", 0, "print each destination's counters every `D` (0: only at the end)")
	timeout := fs.Duration("timeout", 0, "exit after `D` (0: no limit)")
	bidi := fs.Bool("bidirectional", false, "send the destinations' replies back to the sender of each address")
	maxRoutes := fs.Int("routes", defaultRoutes, "-bidirectional: remember the sender of at most `N` addresses")
	ws := addWSFlags(fs)
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
	if *maxRoutes <= 0 {
		return usagef("-routes %d: want a positive number", *maxRoutes)
	}
	for _, f := range filters {
		if !validPattern(f) {
			return usagef("-filter %q: want an OSC address pattern", f)
		}
	}
	r := newRelay(flatten != flattenOff)
	for _, f := range filters {
		r.rw.filters = append(r.rw.filters, []byte(f))
	}
	for _, spec := range rewrites {
		rule, err := parseRewrite(spec)
		if err != nil {
			return usagef("-rewrite %v", err)
		}
		r.rw.rules = append(r.rw.rules, rule)
	}
	if *bidi {
		r.routes = newRoutes(*maxRoutes)
		r.replies = newReplies(r.routes, r.rw.rules)
	}
	var eps []netio.Endpoint
	for _, u := range from {
		ep, err := listenArg(u)
		if err != nil {
			return err
		}
		eps = append(eps, ep)
	}
	if err := ws.check(eps...); err != nil {
		return err
	}
	for _, u := range to {
		if _, err := netio.ParseEndpoint(u); err != nil {
			return usagef("-to %v", err)
		}
	}
	ctx, cancel := signalContext(e, *timeout)
	defer cancel()
	stderr := &lockedWriter{w: e.stderr}
	logger := slog.New(&logHandler{w: stderr, prefix: "oscli relay: "})
	if flatten == flattenDue {
		r.rw.flatten = false // bundles keep their times until due
		r.sched = sched.New(sched.Config{Logger: logger}, r.dispatch)
	}
	for _, u := range to {
		d := newDest(u, *queue, stderr)
		d.replies = r.replies
		r.dests = append(r.dests, d)
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
		Logger:      logger,
		Accept: func(_ router.ResponseWriter, p *osc.Packet) bool {
			r.forward(p)
			return false
		},
	}
	var err error
	// One WebSocket configuration serves every endpoint: a loopback one
	// does not open the others to pages of any origin.
	ws.apply(srv, eps...)
	for _, ep := range eps {
		var l *osc.Endpoint
		if l, err = srv.Listen(ep.String(), nil); err != nil {
			break
		}
		fmt.Fprintf(stderr, "oscli relay: listening on %s\n", l.URL())
		r.epMu.Lock()
		r.eps = append(r.eps, l)
		r.epMu.Unlock()
	}
	if err == nil {
		<-ctx.Done()
	}
	srv.Close()
	if r.sched != nil {
		r.sched.Close(context.Background()) // what is still queued is dropped, counted
	}
	cancel()
	wg.Wait()
	r.printStats(stderr)
	return err
}

// relay turns each received packet into what the destinations get.
type relay struct {
	rw      rewriter
	dests   []*dest
	routes  *routes  // -bidirectional: who sent each address
	replies *replies // -bidirectional
	// sched, with -flatten=due, holds bundles until their time; it is
	// bounded (sched.DefaultMaxQueue groups, DefaultMaxBytes), and
	// bundles it refuses are counted in refused.
	sched   *sched.Scheduler[struct{}]
	refused atomic.Uint64
	// malformed counts the packets that -filter, -rewrite or -flatten
	// could not read, which are not forwarded.
	malformed atomic.Uint64

	epMu sync.Mutex
	eps  []*osc.Endpoint // the -from endpoints open, for the status line

	mu  sync.Mutex // Accept runs on a goroutine per TCP connection
	buf []byte
}

func newRelay(flatten bool) *relay { return &relay{rw: rewriter{flatten: flatten}} }

// forward hands p's packet, as the options make it, to every
// destination, and remembers its sender when replies go back.
func (r *relay) forward(p *osc.Packet) {
	pkt := p.Data
	if r.rw.identity(pkt) && (r.sched == nil || !wire.IsBundle(pkt)) {
		if r.routes != nil && r.rw.opts.Validate(pkt) == nil {
			r.routes.remember(pkt, p)
		}
		r.send(pkt) // as it came
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b, n, err := r.rw.appendPacket(r.buf[:0], pkt)
	r.buf = b
	if err != nil {
		r.malformed.Add(1) // not OSC: nothing to filter or rewrite
		return
	}
	for range n {
		var out []byte
		out, b = nextPacket(b)
		if r.routes != nil {
			r.routes.remember(out, p)
		}
		if r.sched != nil && wire.IsBundle(out) {
			if r.sched.Submit(out, struct{}{}) != nil {
				r.refused.Add(1)
			}
			continue
		}
		r.send(out)
	}
}

// dispatch sends the messages of a bundle level that is due, one by one.
func (r *relay) dispatch(d *sched.Delivery[struct{}]) {
	m := d.Messages()
	for m.Next() {
		r.send(m.Message().Bytes())
	}
}

// send copies pkt to every destination's queue.
func (r *relay) send(pkt []byte) {
	for _, d := range r.dests {
		d.enqueue(pkt)
	}
}

func (r *relay) printStats(w *lockedWriter) {
	r.epMu.Lock()
	eps := slices.Clone(r.eps)
	r.epMu.Unlock()
	for _, ep := range eps {
		st := ep.Stats()
		fmt.Fprintf(w, "oscli relay: from %s packets=%d bytes=%d malformed=%d conns=%d conns_refused=%d slow_peers=%d reply_drops=%d\n",
			ep.URL(), st.Packets, st.Bytes, st.Malformed, st.Conns, st.ConnsRefused, st.SlowPeers, st.ReplyDrops)
	}
	for _, d := range r.dests {
		fmt.Fprintf(w, "oscli relay: %s packets=%d bytes=%d drops=%d reconnects=%d\n",
			d.url, d.packets.Load(), d.bytes.Load(), d.drops.Load(), d.reconnects.Load())
	}
	if n := r.malformed.Load(); n > 0 {
		fmt.Fprintf(w, "oscli relay: malformed=%d (not forwarded: -filter, -rewrite and -flatten read OSC)\n", n)
	}
	if r.sched != nil {
		st := r.sched.Stats()
		fmt.Fprintf(w, "oscli relay: bundles queued=%d queued_bytes=%d dispatched=%d late=%d refused=%d dropped_at_close=%d\n",
			st.Queued, st.QueuedBytes, st.Dispatched, st.Late, r.refused.Load(), st.DroppedAtClose)
	}
	if rp := r.replies; rp != nil {
		fmt.Fprintf(w, "oscli relay: replies sent=%d unrouted=%d unanswerable=%d failed=%d routes=%d evicted=%d too_long=%d\n",
			rp.sent.Load(), rp.unrouted.Load(), rp.unanswerable.Load(), rp.failed.Load(), r.routes.len(), r.routes.evicted.Load(), r.routes.long.Load())
	}
}

// dest is one destination: a bounded queue and the goroutine that sends
// what it holds.
type dest struct {
	url    string
	q      chan []byte
	free   chan []byte // buffers to reuse
	stderr *lockedWriter
	// replies, with -bidirectional, takes what the destination answers.
	replies *replies

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
			var rwg sync.WaitGroup
			if d.replies != nil {
				rwg.Go(func() { d.readReplies(ctx, c) })
			}
			err = d.sendAll(ctx, c)
			c.Close()
			rwg.Wait()
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

// readReplies hands what the destination sends on c to the sender that
// caused it, until c is closed.
func (d *dest) readReplies(ctx context.Context, c *osc.Client) {
	var buf []byte
	for {
		pkt, err := c.Receive(ctx)
		if errors.Is(err, syscall.ECONNREFUSED) && ctx.Err() == nil {
			continue // a UDP destination not listening yet (ICMP) is no reason to stop
		}
		if err != nil {
			return // closed, or the destination is gone: sendAll finds out
		}
		buf = d.replies.answer(buf, pkt)
	}
}

// flattenFlag is -flatten (bundles unbundled at once) or -flatten=due
// (each bundle unbundled when due).
type flattenFlag int

const (
	flattenOff flattenFlag = iota
	flattenNow
	flattenDue
)

func (f *flattenFlag) String() string {
	switch *f {
	case flattenNow:
		return "true"
	case flattenDue:
		return "due"
	}
	return "false"
}

func (f *flattenFlag) Set(s string) error {
	switch s {
	case "due":
		*f = flattenDue
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true, false or due")
	}
	*f = flattenOff
	if b {
		*f = flattenNow
	}
	return nil
}

func (f *flattenFlag) IsBoolFlag() bool { return true }
