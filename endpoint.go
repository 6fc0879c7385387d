package osc

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/internal/pool"
	"github.com/osckit/osc/internal/sched"
	"github.com/osckit/osc/router"
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
	tcp  net.Listener // TCP, or the HTTP listener of a WebSocket endpoint
	unix *netio.UnixConn
	ws   bool         // WebSocket: conns arrive through ServeHTTP
	http *http.Server // the WebSocket endpoint's own, opened by Listen

	shards []*shard

	connMu sync.Mutex
	conns  map[*netio.StreamConn]struct{}
	// byRemote finds the open conns by peer, for WriteTo.
	byRemote map[netip.AddrPort]*netio.StreamConn
	linger   bool // graceful shutdown: conns stay open to write their replies

	st       counters
	logLimit limiter    // malformed packets
	connLog  [5]limiter // by kind of connection event (see reportConn)
	done     chan struct{}
	dropping atomic.Bool // Close: packets still queued for workers are dropped
	once     sync.Once
	readers  sync.WaitGroup
	paths    pathCache
}

// Packet is one received packet, as the Server's Accept and Invalid hooks
// see it.
//
// # Lifetime
//
// Data and Path alias the endpoint's receive buffers and are valid only
// until the hook returns: copy them (bytes.Clone) to keep them.
type Packet struct {
	// Data is the packet: a datagram, or one TCP frame without its framing.
	Data []byte
	// Remote is the sender on UDP and TCP; zero on UNIX sockets.
	Remote netip.AddrPort
	// Path is a UNIX datagram sender's socket path (empty when it is
	// unbound). It must not be modified.
	Path []byte
	// Endpoint is the endpoint the packet arrived on.
	Endpoint *Endpoint
	// More reports that more of the same read is queued behind this
	// packet (on TCP: more bytes are buffered, which may be a partial
	// frame): a hint for buffered output, which can wait to flush.
	More bool
}

// Addr returns the bound address: with port 0 in the endpoint, the port
// the kernel picked.
func (e *Endpoint) Addr() net.Addr { return e.addr }

// URL returns the endpoint in liblo's URL form, with the bound address.
func (e *Endpoint) URL() string {
	ep := e.ep
	if e.addr != nil && ep.Network != netio.NetworkUnixgram {
		ep.Address = e.addr.String()
		if e.ep.IsMulticast() {
			ep.Address = net.JoinHostPort(e.ep.Host(), portOf(e.addr))
		}
	}
	return ep.String()
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() Stats {
	s := e.st.snapshot()
	for _, sh := range e.shards {
		ss := sh.sch.Stats()
		s.Queued += ss.Queued
		s.QueuedBytes += ss.QueuedBytes
		s.Late += ss.Late
		s.Dropped += ss.DroppedLate + ss.DroppedAtClose
		s.Refused += ss.RefusedFull + ss.RefusedHorizon
	}
	if e.conns != nil {
		e.connMu.Lock()
		s.ConnsOpen = len(e.conns)
		e.connMu.Unlock()
	}
	if e.udp != nil {
		s.KernelDrops = e.udp.Drops()
	}
	return s
}

// Close stops this endpoint alone (oscpy's stop): the socket is closed,
// queued bundles are dropped, and Close waits for its reading goroutines
// to return. The other endpoints keep serving.
func (e *Endpoint) Close() error {
	e.srv.remove(e)
	return e.stop()
}

// WriteTo sends an encoded packet from this endpoint to addr, as a
// ResponseWriter's WriteTo does: on UDP from its socket; on TCP and
// WebSocket on the open connection whose peer is addr (ErrNoReplyAddress
// when there is none), queued as a reply is, without waiting: a reply its
// send queue cannot take is dropped and counted in Stats.ReplyDrops. It is
// not supported on UNIX endpoints.
func (e *Endpoint) WriteTo(pkt []byte, addr netip.AddrPort) (int, error) {
	switch {
	case e.udp != nil:
		return e.udp.WriteTo(pkt, addr)
	case e.conns != nil:
		addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
		e.connMu.Lock()
		sc := e.byRemote[addr]
		e.connMu.Unlock()
		if sc == nil {
			return 0, ErrNoReplyAddress
		}
		r := replier{o: origin{remote: addr, conn: sc}, e: e}
		return r.Write(pkt)
	}
	return 0, ErrNotSupported
}

// WriteToPath sends an encoded packet from a UNIX endpoint's socket to
// the socket at path (a Packet.Path; "@name" is abstract), as a reply
// would go: a sender that connected its socket to the endpoint accepts
// datagrams from that socket only. It is supported on UNIX endpoints.
func (e *Endpoint) WriteToPath(pkt, path []byte) (int, error) {
	if e.unix == nil {
		return 0, ErrNotSupported
	}
	if len(path) == 0 {
		return 0, ErrNoReplyAddress
	}
	return e.unix.WriteTo(pkt, path)
}

// open opens the endpoint's socket.
func (e *Endpoint) open() error {
	s := e.srv
	switch e.ep.Network {
	case netio.NetworkUDP:
		network := "udp"
		host, _, _ := net.SplitHostPort(e.ep.Address)
		if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
			network = "udp4"
		}
		cfg := s.UDP.netio()
		cfg.Logger = s.logger()
		cfg.NoWait = true // a reply never waits: see replier.Write
		c, err := netio.ListenUDP(network, e.ep.Address, cfg)
		if err != nil {
			return err
		}
		if s.UDP.BlockingRead {
			if err := c.SetBlocking(true); err != nil {
				c.Close()
				return err
			}
		}
		e.udp, e.addr = c, c.LocalAddr()
	case netio.NetworkTCP:
		l, err := net.Listen("tcp", e.ep.Address)
		if err != nil {
			return err
		}
		e.tcp, e.addr = l, l.Addr()
		e.conns = make(map[*netio.StreamConn]struct{})
	case netio.NetworkWS:
		return e.openWS()
	case netio.NetworkUnixgram:
		c, err := netio.ListenUnixgram(e.ep.Address, netio.UnixConfig{
			Batch:        s.UDP.Batch,
			BufSize:      s.UDP.BufSize,
			ReadBuffer:   s.UDP.ReadBuffer,
			ReplaceStale: s.ReplaceStaleSocket,
			Logger:       s.logger(),
			NoWait:       true,
		})
		if err != nil {
			return err
		}
		e.unix, e.addr = c, c.LocalAddr()
	default:
		return ErrNotSupported
	}
	return nil
}

// origin is what the scheduler carries with every packet: who sent it and
// how to answer.
type origin struct {
	remote netip.AddrPort
	local  netip.Addr        // UDP on a wildcard bind: the address the datagram was sent to
	conn   *netio.StreamConn // TCP
	path   []byte            // UNIX sender path (interned, never modified)
}

// shard is one dispatch lane: a scheduler and the request and response
// writer its dispatch calls reuse (they never overlap).
type shard struct {
	e   *Endpoint
	sch *sched.Scheduler[origin]
	req router.Request
	rw  replier
	in  chan job // Workers > 0 only
}

type job struct {
	buf *pool.Buffer
	o   origin
}

// start creates the shards and starts the endpoint's goroutines. The
// server's lock is held: the endpoint becomes visible only afterwards.
func (e *Endpoint) start() {
	s := e.srv
	n := 1
	if s.Workers > 0 && e.conns == nil {
		n = s.Workers
	}
	cfg := s.Schedule.sched()
	cfg.Decode = s.Decode
	cfg.Logger = s.logger()
	for range n {
		sh := &shard{e: e}
		sh.rw.bind(e)
		sh.req.Local = e.addr
		sh.sch = sched.New(cfg, sh.deliver)
		if n > 1 {
			sh.in = make(chan job, 1024)
		}
		e.shards = append(e.shards, sh)
	}
	e.goRead(e.read)
	if n > 1 {
		for _, sh := range e.shards {
			e.goRead(sh.work)
		}
	}
}

// goRead runs f on a goroutine that Close and Shutdown wait for.
func (e *Endpoint) goRead(f func()) {
	e.srv.wg.Add(1)
	e.readers.Add(1)
	go func() {
		defer e.srv.wg.Done()
		defer e.readers.Done()
		f()
	}()
}

func (e *Endpoint) read() {
	switch {
	case e.udp != nil:
		e.readDatagrams(e.udp)
	case e.unix != nil:
		e.readDatagrams(e.unix)
	case e.http != nil:
		e.serveHTTP()
	case e.tcp != nil:
		e.acceptLoop()
	}
}

// deliver dispatches one group of messages; the scheduler never runs two
// at once for the same shard.
func (sh *shard) deliver(d *sched.Delivery[origin]) {
	req := &sh.req
	req.Timetag = d.Timetag
	req.Late = d.Late
	req.Remote = d.Origin.remote
	sh.rw.o = d.Origin
	if m, ok := d.Message(); ok {
		req.Message = *m
		sh.serve()
	} else {
		r := d.Messages()
		for r.Next() {
			req.Message = *r.Message()
			sh.serve()
		}
	}
	sh.rw.o = origin{}
}

// serve calls the handler for the shard's current request, with a fresh
// reply state: nothing built for another request can be flushed.
func (sh *shard) serve() {
	sh.req.Method = ""
	sh.rw.built = false
	defer sh.recover()
	sh.e.h.ServeOSC(&sh.rw, &sh.req)
}

// recover is the server's recovery layer on the dispatch path (the same as
// recoverer.serve, kept apart because a deferred method with no closure is
// the cheapest defer on the hot path).
func (sh *shard) recover() {
	if v := recover(); v != nil {
		sh.e.st.panics.Add(1)
		sh.e.srv.panics.report(sh.e.srv.Logger, &sh.req, v)
	}
}

// accept runs the Accept hook, if any, and reports whether the packet
// goes on to dispatch. w answers the packet's sender.
func (e *Endpoint) accept(w *replier, data []byte, o origin, more bool) bool {
	f := e.srv.Accept
	if f == nil {
		return true
	}
	w.pkt = Packet{Data: data, Remote: o.remote, Path: o.path, Endpoint: e, More: more}
	w.o, w.built = o, false
	ok := e.callAccept(f, w)
	w.o, w.pkt = origin{}, Packet{}
	if !ok {
		e.st.filtered.Add(1)
	}
	return ok
}

// callAccept runs the Accept hook; a panic in it drops the packet.
func (e *Endpoint) callAccept(f func(router.ResponseWriter, *Packet) bool, w *replier) (ok bool) {
	defer e.recoverHook()
	return f(w, &w.pkt)
}

func (e *Endpoint) callInvalid(f func(*Packet, error), p *Packet, err error) {
	defer e.recoverHook()
	f(p, err)
}

// recoverHook puts the packet hooks behind the server's recovery layer: a
// panic is counted in Stats.Panics and logged like a handler's.
func (e *Endpoint) recoverHook() {
	if v := recover(); v != nil {
		e.st.panics.Add(1)
		e.srv.panics.report(e.srv.Logger, nil, v)
	}
}

// submit hands one received packet to a shard.
func (e *Endpoint) submit(sh *shard, pkt []byte, o origin) {
	err := sh.sch.Submit(pkt, o)
	if err == nil {
		return
	}
	var pe *wire.ParseError
	if errors.As(err, &pe) {
		e.malformed(pkt, o, err)
	}
	// Anything else is a refusal the scheduler counts itself (queue full,
	// memory budget, horizon), or ErrClosed at shutdown.
}

// malformed counts a packet or frame that did not decode and hands it to
// the Invalid hook, or, without one, logs it at most once a second.
func (e *Endpoint) malformed(pkt []byte, o origin, err error) {
	e.st.malformed.Add(1)
	if f := e.srv.Invalid; f != nil {
		e.callInvalid(f, &Packet{Data: pkt, Remote: o.remote, Path: o.path, Endpoint: e}, err)
		return
	}
	n, ok := e.logLimit.allow()
	if !ok {
		return
	}
	attrs := []any{
		slog.String("endpoint", e.URL()),
		slog.String("error", err.Error()),
		slog.String("bytes", hex.EncodeToString(pkt[:min(len(pkt), 64)])),
		slog.Int("length", len(pkt)),
	}
	if from := o.String(); from != "" {
		attrs = append(attrs, slog.String("from", from))
	}
	if n > 0 {
		attrs = append(attrs, slog.Uint64("suppressed", n))
	}
	e.srv.logger().Warn("osc: malformed packet", attrs...)
}

// String names the sender for logs.
func (o origin) String() string {
	switch {
	case o.remote.IsValid():
		return o.remote.String()
	case len(o.path) > 0:
		return string(o.path)
	}
	return ""
}

// datagramConn is what the datagram loop reads from: a UDP or UNIX
// datagram socket.
type datagramConn interface {
	ReadBatch(dst []netio.Packet) (int, error)
}

// readDatagrams is the reading goroutine of a UDP or UNIX datagram
// endpoint.
func (e *Endpoint) readDatagrams(c datagramConn) {
	batch := e.srv.UDP.Batch
	if batch <= 0 {
		batch = netio.DefaultBatch
	}
	pkts := make([]netio.Packet, batch)
	var hookW replier
	hookW.bind(e)
	if len(e.shards) > 1 {
		// The workers end once they have taken what the reader gave them.
		defer func() {
			for _, sh := range e.shards {
				close(sh.in)
			}
		}()
	}
	errs := 0
	for {
		n, err := c.ReadBatch(pkts)
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
			if !e.accept(&hookW, p.Data, o, i < n-1) {
				continue
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

// work is a worker goroutine's loop (Workers > 0). It takes every packet
// the reader queued: after Close it drops them, counted; during a graceful
// Shutdown it still dispatches them.
func (sh *shard) work() {
	for j := range sh.in {
		if sh.e.dropping.Load() {
			sh.e.st.dropped.Add(1)
		} else {
			sh.e.submit(sh, j.buf.B, j.o)
		}
		pool.Put(j.buf)
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

// closeSocket closes the socket once. TCP connections are closed too, or,
// for a graceful shutdown, only their reading side, so that the replies of
// what is still dispatched can be written.
func (e *Endpoint) closeSocket(graceful bool) {
	e.once.Do(func() {
		close(e.done)
		switch {
		case e.udp != nil:
			e.udp.Close()
		case e.unix != nil:
			e.unix.Close()
		case e.conns != nil:
			if e.http != nil {
				e.http.Close() // the listener and requests not upgraded
			} else if e.tcp != nil {
				e.tcp.Close()
			}
			e.connMu.Lock()
			e.linger = graceful
			for c := range e.conns {
				if graceful {
					c.CloseRead()
				} else {
					c.NetConn().Close() // the conn's goroutine closes the rest
				}
			}
			e.connMu.Unlock()
		}
	})
}

// closeConns closes every connection left. After a graceful shutdown
// each gets until deadline to write what it has queued, all at once; a
// zero deadline drops what is queued.
func (e *Endpoint) closeConns(deadline time.Time) {
	if e.conns == nil {
		return
	}
	e.connMu.Lock()
	e.linger = false
	conns := make([]*netio.StreamConn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	clear(e.conns)
	clear(e.byRemote)
	e.connMu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { e.closeConn(c, deadline) })
	}
	wg.Wait()
}

// stop closes the socket, waits for the readers and drops what the
// schedulers still hold.
func (e *Endpoint) stop() error {
	e.dropping.Store(true)
	e.closeSocket(false)
	e.closeConns(time.Time{})
	e.readers.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, sh := range e.shards {
		_ = sh.sch.Close(ctx)
	}
	return nil
}

// shutdown waits for the readers, lets the schedulers drain or drop as
// configured, and lets TCP connections write their queued replies, all
// within ctx.
func (e *Endpoint) shutdown(ctx context.Context) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(orDefault(e.srv.WriteTimeout, netio.DefaultWriteTimeout))
	}
	done := make(chan struct{})
	go func() { e.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// A handler is still running: give up waiting, but finish the
		// endpoint when it returns, dropping what is left, so that no
		// goroutine outlives it.
		e.closeConns(time.Time{})
		go func() {
			<-done
			_ = e.stop()
		}()
		return ctx.Err()
	}
	defer func() { e.closeConns(deadline) }()
	// Closing a scheduler waits for a dispatch in progress: bound that by
	// ctx too, letting it finish in the background.
	closed := make(chan error, 1)
	go func() {
		var first error
		for _, sh := range e.shards {
			if err := sh.sch.Close(ctx); err != nil && first == nil {
				first = err
			}
		}
		closed <- first
	}()
	select {
	case err := <-closed:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats are an endpoint's (or a server's) counters. Every packet that
// arrives and is not dispatched is counted in exactly one of Malformed,
// Filtered, Refused and Dropped; datagrams lost before they arrive, in
// KernelDrops. The struct marshals to JSON, so it can be
// published with expvar:
//
//	expvar.Publish("osc", expvar.Func(func() any { return srv.Stats() }))
type Stats struct {
	Packets   uint64 `json:"packets"`   // datagrams or frames received
	Bytes     uint64 `json:"bytes"`     // their bytes
	Malformed uint64 `json:"malformed"` // packets or frames that did not decode
	Filtered  uint64 `json:"filtered"`  // packets the Accept hook dropped
	Refused   uint64 `json:"refused"`   // bundles the scheduler refused: queue or memory full, beyond the horizon
	Dropped   uint64 `json:"dropped"`   // truncated datagrams, packets an overloaded worker could not take, late bundles dropped by the late policy, queued bundles dropped at close

	// KernelDrops are the datagrams the kernel dropped because the UDP
	// socket's receive buffer was full: the reader (a slow handler, or
	// too few Workers) did not keep up. Linux reports them (SO_RXQ_OVFL)
	// with the next datagram that does arrive; elsewhere they stay 0.
	KernelDrops uint64 `json:"kernel_drops"`

	Late   uint64 `json:"late"`   // bundle groups that arrived after their time
	Panics uint64 `json:"panics"` // handler panics recovered
	Queued int    `json:"queued"` // bundle groups waiting for their time now

	QueuedBytes int64 `json:"queued_bytes"` // memory they hold (capped by Schedule.MaxBytes)

	Conns        uint64 `json:"conns"`         // stream connections accepted
	ConnsOpen    int    `json:"conns_open"`    // stream connections open now
	ConnsRefused uint64 `json:"conns_refused"` // connections closed at once: MaxConns reached, a WebSocket Origin not allowed
	SlowPeers    uint64 `json:"slow_peers"`    // connections closed because the peer did not read its replies
	ReplyDrops   uint64 `json:"reply_drops"`   // replies dropped: a TCP send queue, a UDP socket buffer or a UNIX peer's queue was full
}

func (s *Stats) add(o Stats) {
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.Malformed += o.Malformed
	s.Filtered += o.Filtered
	s.Refused += o.Refused
	s.Dropped += o.Dropped
	s.KernelDrops += o.KernelDrops
	s.Late += o.Late
	s.Panics += o.Panics
	s.Queued += o.Queued
	s.QueuedBytes += o.QueuedBytes
	s.Conns += o.Conns
	s.ConnsOpen += o.ConnsOpen
	s.ConnsRefused += o.ConnsRefused
	s.SlowPeers += o.SlowPeers
	s.ReplyDrops += o.ReplyDrops
}

type counters struct {
	packets, bytes, malformed, filtered, dropped, panics atomic.Uint64
	conns, connsRefused, slowPeers, replyDrops           atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Packets:      c.packets.Load(),
		Bytes:        c.bytes.Load(),
		Malformed:    c.malformed.Load(),
		Filtered:     c.filtered.Load(),
		Dropped:      c.dropped.Load(),
		Panics:       c.panics.Load(),
		Conns:        c.conns.Load(),
		ConnsRefused: c.connsRefused.Load(),
		SlowPeers:    c.slowPeers.Load(),
		ReplyDrops:   c.replyDrops.Load(),
	}
}

// limiter allows one report a second and counts the ones it suppressed.
type limiter struct {
	last       atomic.Int64
	suppressed atomic.Uint64
	seen       atomic.Bool
}

func (l *limiter) allow() (suppressed uint64, ok bool) {
	n, _, ok := l.allowFirst()
	return n, ok
}

// allowFirst is allow, also reporting whether this is the first report
// ever allowed.
func (l *limiter) allowFirst() (suppressed uint64, first, ok bool) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if now-last < int64(time.Second) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return 0, false, false
	}
	return l.suppressed.Swap(0), !l.seen.Swap(true), true
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
