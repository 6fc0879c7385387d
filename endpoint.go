package osc

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osckit/osc/internal/pool"
	"github.com/osckit/osc/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/sched"
	"github.com/osckit/osc/wire"
)

// Endpoint is one socket a Server listens on (oscpy's listen result).
// Its methods are safe for concurrent use.
type Endpoint struct {
	srv  *Server
	ep   netio.Endpoint
	h    router.Handler
	addr net.Addr

	udp  *netio.UDPConn
	tcp  net.Listener
	unix *netio.UnixConn

	shards []*shard
	conns  sync.Map // *streamConn -> struct{}

	st       counters
	logLimit limiter
	done     chan struct{}
	once     sync.Once
	readers  sync.WaitGroup
	paths    pathCache
}

// Addr returns the bound address: with port 0 in the endpoint, the port
// the kernel picked.
func (e *Endpoint) Addr() net.Addr { return e.addr }

// URL returns the endpoint in liblo's URL form, with the bound address.
func (e *Endpoint) URL() string {
	ep := e.ep
	if e.addr != nil && ep.Network != netio.NetworkUnixgram {
		ep.Address = e.addr.String()
	}
	return ep.String()
}

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() Stats {
	s := e.st.snapshot()
	for _, sh := range e.shards {
		ss := sh.sch.Stats()
		s.Queued += ss.Queued
		s.Late += ss.Late
		s.Dropped += ss.DroppedLate + ss.RefusedFull + ss.RefusedHorizon + ss.DroppedAtClose
	}
	return s
}

// Close stops this endpoint alone (oscpy's stop): the socket is closed,
// queued bundles are dropped, and Close waits for its reading goroutines
// to return. The other endpoints keep serving.
func (e *Endpoint) Close() error {
	err := e.stop()
	e.srv.remove(e)
	return err
}

// SendTo sends an encoded packet from this endpoint's socket to addr. It is
// supported on UDP endpoints.
func (e *Endpoint) SendTo(pkt []byte, addr netip.AddrPort) error {
	if e.udp == nil {
		return ErrNotSupported
	}
	_, err := e.udp.WriteTo(pkt, addr)
	return err
}

// origin is what the scheduler carries with every packet: who sent it and
// how to answer.
type origin struct {
	remote netip.AddrPort
	local  netip.Addr  // UDP on a wildcard bind: the address the datagram was sent to
	conn   *streamConn // TCP
	path   []byte      // UNIX sender path (interned, never modified)
}

// shard is one dispatch lane: a scheduler and the request and response
// writer its dispatch calls reuse (they never overlap).
type shard struct {
	e   *Endpoint
	sch *sched.Scheduler[origin]
	req router.Request
	rw  responder
	in  chan job // Workers > 0 only
}

type job struct {
	buf *pool.Buffer
	o   origin
}

func (e *Endpoint) newShard() *shard {
	sh := &shard{e: e}
	sh.rw.e = e
	cfg := e.srv.Schedule
	cfg.Decode = e.srv.Decode
	if cfg.Logger == nil {
		cfg.Logger = e.srv.Logger
	}
	sh.sch = sched.New(cfg, sh.deliver)
	return sh
}

func (e *Endpoint) start() {
	n := 1
	if e.srv.Workers > 0 && e.udp != nil {
		n = e.srv.Workers
	}
	for range n {
		sh := e.newShard()
		if n > 1 {
			sh.in = make(chan job, 1024)
		}
		e.shards = append(e.shards, sh)
	}
	e.srv.wg.Add(1)
	e.readers.Add(1)
	switch {
	case e.udp != nil:
		go e.readDatagrams(e.udpRead)
	case e.unix != nil:
		go e.readDatagrams(e.unix.ReadBatch)
	case e.tcp != nil:
		go e.acceptLoop()
	}
	if n > 1 {
		for _, sh := range e.shards {
			e.srv.wg.Add(1)
			e.readers.Add(1)
			go sh.work()
		}
	}
}

func (e *Endpoint) udpRead(p []netio.Packet) (int, error) { return e.udp.ReadBatch(p) }

// deliver dispatches one group of messages; the scheduler never runs two
// at once for the same shard.
func (sh *shard) deliver(d *sched.Delivery[origin]) {
	req := &sh.req
	req.Timetag = d.Timetag
	req.Late = d.Lateness
	req.Remote = d.Origin.remote
	req.Local = sh.e.addr
	sh.rw.o = d.Origin
	if m, ok := d.Message(); ok {
		req.Message = *m
		req.Method = ""
		sh.serve(req)
	} else {
		r := d.Messages()
		for r.Next() {
			req.Message = *r.Message()
			req.Method = ""
			sh.serve(req)
		}
	}
	sh.rw.o = origin{}
}

// serve calls the handler for one message, recovering a panic.
func (sh *shard) serve(req *router.Request) {
	defer func() {
		if v := recover(); v != nil {
			sh.e.st.panics.Add(1)
			sh.e.srv.logger().Error("osc: handler panic",
				slog.String("address", string(req.Message.Address())), slog.Any("panic", v))
		}
	}()
	sh.e.h.ServeOSC(&sh.rw, req)
}

// submit hands one received packet to a shard.
func (e *Endpoint) submit(sh *shard, pkt []byte, o origin) {
	err := sh.sch.Submit(pkt, o)
	if err == nil {
		return
	}
	var pe *wire.ParseError
	if errors.As(err, &pe) {
		e.st.malformed.Add(1)
		e.reportMalformed(pkt, o, err)
		return
	}
	e.st.dropped.Add(1)
}

func (e *Endpoint) reportMalformed(pkt []byte, o origin, err error) {
	n, ok := e.logLimit.allow()
	if !ok {
		return
	}
	show := pkt[:min(len(pkt), 64)]
	attrs := []any{
		slog.String("endpoint", e.URL()),
		slog.String("error", err.Error()),
		slog.String("bytes", hex.EncodeToString(show)),
		slog.Int("length", len(pkt)),
	}
	if o.remote.IsValid() {
		attrs = append(attrs, slog.String("from", o.remote.String()))
	} else if len(o.path) > 0 {
		attrs = append(attrs, slog.String("from", string(o.path)))
	}
	if n > 0 {
		attrs = append(attrs, slog.Uint64("suppressed", n))
	}
	e.srv.logger().Warn("osc: malformed packet", attrs...)
}

// readDatagrams is the reading goroutine of a UDP or UNIX datagram
// endpoint.
func (e *Endpoint) readDatagrams(read func([]netio.Packet) (int, error)) {
	defer e.srv.wg.Done()
	defer e.readers.Done()
	batch := e.srv.UDP.Batch
	if batch <= 0 {
		batch = netio.DefaultBatch
	}
	pkts := make([]netio.Packet, batch)
	errs := 0
	for {
		n, err := read(pkts)
		if err != nil {
			if e.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient errors (ICMP reports, ENOBUFS) must not stop the
			// server, but a socket that fails forever must not spin.
			errs++
			if errs > 100 {
				time.Sleep(10 * time.Millisecond)
			}
			continue
		}
		errs = 0
		e.st.packets.Add(uint64(n))
		var bytes uint64
		for i := range pkts[:n] {
			p := &pkts[i]
			bytes += uint64(len(p.Data))
			if p.Truncated {
				e.st.dropped.Add(1)
				continue
			}
			o := origin{remote: p.Addr, local: p.Local}
			if len(p.Path) > 0 {
				o.path = e.paths.intern(p.Path)
			}
			if len(e.shards) == 1 {
				e.submit(e.shards[0], p.Data, o)
				continue
			}
			sh := e.shards[shardOf(o, len(e.shards))]
			select {
			case sh.in <- job{buf: pool.Copy(p.Data), o: o}:
			default:
				e.st.dropped.Add(1) // the worker is overloaded
			}
		}
		e.st.bytes.Add(bytes)
	}
}

// work is a worker goroutine's loop (Workers > 0).
func (sh *shard) work() {
	defer sh.e.srv.wg.Done()
	defer sh.e.readers.Done()
	for {
		select {
		case j := <-sh.in:
			sh.e.submit(sh, j.buf.B, j.o)
			pool.Put(j.buf)
		case <-sh.e.done:
			for {
				select {
				case j := <-sh.in:
					pool.Put(j.buf)
				default:
					return
				}
			}
		}
	}
}

// shardOf maps a sender to a shard, so that each sender's packets keep
// their order.
func shardOf(o origin, n int) int {
	var h uint64 = 14695981039346656037
	a := o.remote.Addr().As16()
	for _, c := range a {
		h = (h ^ uint64(c)) * 1099511628211
	}
	h = (h ^ uint64(o.remote.Port())) * 1099511628211
	for i := 0; i < len(o.path); i++ {
		h = (h ^ uint64(o.path[i])) * 1099511628211
	}
	return int(h % uint64(n))
}

func (e *Endpoint) isClosed() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// closeSocket closes the socket (and TCP connections) once.
func (e *Endpoint) closeSocket() {
	e.once.Do(func() {
		close(e.done)
		switch {
		case e.udp != nil:
			e.udp.Close()
		case e.unix != nil:
			e.unix.Close()
		case e.tcp != nil:
			e.tcp.Close()
			e.conns.Range(func(k, _ any) bool {
				k.(*streamConn).c.Close()
				return true
			})
		}
	})
}

// stop closes the socket, waits for the readers and drops what the
// schedulers still hold.
func (e *Endpoint) stop() error {
	e.closeSocket()
	e.readers.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, sh := range e.shards {
		_ = sh.sch.Close(ctx)
	}
	return nil
}

// shutdown waits for the readers, then lets the schedulers drain or drop
// as configured, within ctx.
func (e *Endpoint) shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { e.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	var first error
	for _, sh := range e.shards {
		if err := sh.sch.Close(ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Stats are an endpoint's (or a server's) counters. The struct marshals to
// JSON, so it can be published with expvar:
//
//	expvar.Publish("osc", expvar.Func(func() any { return srv.Stats() }))
type Stats struct {
	Packets   uint64 `json:"packets"`   // datagrams or frames received
	Bytes     uint64 `json:"bytes"`     // their bytes
	Malformed uint64 `json:"malformed"` // packets that did not decode
	Dropped   uint64 `json:"dropped"`   // truncated, refused by the scheduler or dropped late
	Late      uint64 `json:"late"`      // bundle groups that arrived after their time
	Panics    uint64 `json:"panics"`    // handler panics recovered
	Queued    int    `json:"queued"`    // bundle groups waiting for their time now
	Conns     uint64 `json:"conns"`     // stream connections accepted
}

func (s *Stats) add(o Stats) {
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.Malformed += o.Malformed
	s.Dropped += o.Dropped
	s.Late += o.Late
	s.Panics += o.Panics
	s.Queued += o.Queued
	s.Conns += o.Conns
}

type counters struct {
	packets, bytes, malformed, dropped, panics, conns atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Packets:   c.packets.Load(),
		Bytes:     c.bytes.Load(),
		Malformed: c.malformed.Load(),
		Dropped:   c.dropped.Load(),
		Panics:    c.panics.Load(),
		Conns:     c.conns.Load(),
	}
}

// limiter allows one report a second and counts the ones it suppressed.
type limiter struct {
	last       atomic.Int64
	suppressed atomic.Uint64
}

func (l *limiter) allow() (suppressed uint64, ok bool) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if now-last < int64(time.Second) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return 0, false
	}
	return l.suppressed.Swap(0), true
}

// pathCache interns UNIX sender paths so that a packet's origin does not
// allocate for senders seen before. The slices it returns are never
// modified.
type pathCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *pathCache) intern(b []byte) []byte {
	c.mu.Lock()
	p, ok := c.m[string(b)]
	if !ok {
		if c.m == nil || len(c.m) >= 4096 {
			c.m = make(map[string][]byte)
		}
		p = bytes.Clone(b)
		c.m[string(p)] = p
	}
	c.mu.Unlock()
	return p
}
