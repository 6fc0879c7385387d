package osc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// Errors of the Server and Client.
var (
	ErrServerClosed   = errors.New("osc: server closed")
	ErrNoDefault      = errors.New("osc: server has no default endpoint")
	ErrNotSupported   = errors.New("osc: not supported on this transport")
	ErrNoReplyAddress = errors.New("osc: sender has no address to reply to")
	ErrNoReply        = errors.New("osc: Flush without a reply built in Encoder")
	// ErrConfig reports a Listen the server's settings refuse (a second
	// default endpoint, or osc.wss:// without a certificate), or a Handle
	// on a server whose Handler is set.
	ErrConfig = errors.New("osc: server configuration refused")
)

// Defaults of the Server's limits.
const (
	defaultMaxConns     = 1024             // Server.MaxConns
	defaultSendQueue    = 256 << 10        // Server.SendQueue, bytes per connection
	defaultIdleTimeout  = 5 * time.Minute  // Server.IdleTimeout
	defaultFrameTimeout = 10 * time.Second // Server.FrameTimeout
)

// Server receives OSC packets on any number of endpoints at once (UDP over
// IPv4 or IPv6, TCP with either framing, WebSocket, UNIX datagram sockets) and
// dispatches their messages to handlers. Set its fields before the first
// Listen; the zero value is ready to use.
//
// # Dispatch
//
// Every packet goes through a per-endpoint scheduler: bare messages
// and due bundles are dispatched on the goroutine that read them, in
// arrival order, before the next packet is read; bundles timed in the
// future wait in the scheduler and are dispatched at their time from its
// goroutine. Without Workers, the dispatch calls of one endpoint never
// overlap (those of its TCP connections included), so the messages of a
// bundle reach the handlers together with nothing in between. With
// Workers > 0, a UDP or UNIX endpoint spreads packets over Workers
// goroutines sharded by sender: one sender's packets keep their order and
// never overlap, while different senders' packets are dispatched in
// parallel.
//
// # Faults
//
// No peer can stall another. A handler's panic is recovered, counted in
// Stats.Panics and logged (the first with its stack, then at most one
// record a second with a count), and the endpoint keeps serving. Malformed
// packets are counted, handed to Invalid, and logged at most once a second.
// Every TCP connection has its own bounded send queue (SendQueue) written
// by its own goroutine with a deadline; a peer that does not read its
// replies is disconnected and counted (Stats.SlowPeers), never waited for.
// A frame must arrive whole within FrameTimeout of its first byte, and the
// number of connections is capped (MaxConns). Scheduled bundles are bounded
// in count and bytes (Schedule.MaxQueue and Schedule.MaxBytes). A UDP or
// UNIX reply never waits: one the socket cannot take at once is dropped.
// What is lost is counted in Stats.
//
// Memory of an endpoint is bounded by its settings: per TCP connection a
// read buffer of at most 64 KiB (512 bytes while idle), a frame being
// assembled of at most MaxFrame (it grows only as its bytes arrive, and
// lives at most FrameTimeout), and at most SendQueue bytes of replies plus
// one batch in flight; so MaxConns × (64 KiB + MaxFrame + 2 × SendQueue)
// in the worst case, about 1.6 GiB with the defaults against peers that
// fill them all at once. Lower MaxConns or MaxFrame where that matters.
type Server struct {
	// Handler serves endpoints opened without a handler of their own;
	// nil means the server's own router, which Handle and HandleFunc bind
	// to.
	Handler router.Handler
	// Decode are the decoding options; the zero value is strict.
	Decode wire.Options
	// UDP configures UDP and UNIX datagram sockets (batch size, buffers,
	// multicast).
	UDP UDPConfig
	// Schedule configures timetag scheduling (late policy, bounds, clock
	// offset).
	Schedule ScheduleConfig
	// Workers, when positive, dispatches each UDP or UNIX endpoint's
	// packets on that many goroutines, sharded by sender, each with a
	// queue of 1024 packets (a packet a full queue cannot take is counted
	// in Stats.Dropped). Without Workers a slow handler keeps the reader
	// from reading, and the kernel drops what its socket buffer cannot
	// hold (counted in Stats.KernelDrops): measured on loopback, 4 senders
	// at 1,000 datagrams a second each to a handler taking 5 ms, with a
	// 16 KiB receive buffer, lost 150 of 200 datagrams with Workers = 0
	// and none with Workers = 4. Workers only help when the handler's time
	// is spent waiting or when the senders are several: one sender's
	// packets stay on one goroutine, in order.
	Workers int
	// MaxFrame caps one TCP or WebSocket frame; 0 means 1 MiB.
	MaxFrame int
	// MaxConns caps the open TCP connections of one endpoint; 0 means
	// 1024. A connection over the cap is closed at once and counted
	// (Stats.ConnsRefused).
	MaxConns int
	// IdleTimeout closes a TCP connection that sends nothing for that long;
	// 0 means 5 minutes, negative means never. A control surface that
	// stays quiet for long wants -1.
	IdleTimeout time.Duration
	// FrameTimeout closes a TCP connection whose frame has not arrived
	// whole that long after its first byte; 0 means 10 seconds, negative
	// means never.
	FrameTimeout time.Duration
	// SendQueue bounds the replies waiting to be written to one TCP
	// connection, in bytes; 0 means 256 KiB. WriteTimeout bounds one
	// write of them; 0 means 5 seconds. A peer that lets its queue fill or
	// a write time out is disconnected.
	SendQueue    int
	WriteTimeout time.Duration
	// WebSocket configures osc.ws:// and osc.wss:// endpoints and those of
	// Server.WebSocketHandler: the Origin check (on by default: pages from other
	// origins are refused), pings, and the TLS certificate of osc.wss://.
	WebSocket WebSocketConfig
	// ReplaceStaleSocket lets Listen on a UNIX socket path replace a stale
	// socket file that nobody serves.
	ReplaceStaleSocket bool
	// Accept, if set, sees every packet (a datagram, or a TCP frame)
	// before it is decoded, with a ResponseWriter that answers its sender.
	// Returning false drops the packet (counted in Stats.Filtered). It runs
	// on the goroutine that read the packet: an endpoint's reader, or one
	// goroutine per TCP connection, so calls for different connections
	// may overlap. The Packet and its Data are valid only until it returns.
	// A panic in it is recovered and counted like a handler's, and drops
	// the packet.
	Accept func(w router.ResponseWriter, p *Packet) bool
	// Invalid, if set, hears about every malformed packet or frame, with
	// the error (a *wire.ParseError or *FrameError, with its byte
	// offset), on the same goroutines as Accept. When it is set, the
	// server does not log malformed packets itself. For a framing error
	// p.Data is empty.
	Invalid func(p *Packet, err error)
	// Logger receives every report of the server, its sockets and its
	// schedulers; nil means slog.Default().
	Logger *slog.Logger

	mu        sync.Mutex
	mux       *router.Router // the server's own routes (Handle)
	endpoints []*Endpoint
	def       *Endpoint
	closed    bool
	wg        sync.WaitGroup
	panics    recoverer
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// ListenAndServe listens on endpoint with h and serves until ctx is done,
// then shuts down, waiting for handlers in flight.
func ListenAndServe(ctx context.Context, endpoint string, h router.Handler) error {
	s := &Server{Handler: h}
	if _, err := s.Listen(endpoint, nil); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Shutdown(sctx)
}

// Listen opens an endpoint and starts serving it at once. endpoint is a URL
// in liblo's form, osc.udp://host:port, osc.tcp://host:port (auto-detected
// framing; osc.tcp+slip:// or osc.tcp+size:// to fix it), osc.unix:///path,
// osc.ws://host:port/path (WebSocket; osc.wss:// over TLS), or a bare
// "host:port" or port for UDP. An empty host listens on all
// interfaces; port 0 picks a free port (see Endpoint.Addr). h serves this
// endpoint; nil means Server.Handler. The endpoint does not become the
// default endpoint that Server.WriteTo uses: ListenDefault opens that one.
//
// Listen returns once the endpoint is serving; an endpoint that Close or
// Shutdown has not seen is never left running. After every endpoint has
// been closed one by one (Endpoint.Close, oscpy's stop_all), the server
// still listens again; only Server.Close and Shutdown end it.
func (s *Server) Listen(endpoint string, h router.Handler) (*Endpoint, error) {
	return s.listen(endpoint, h, false)
}

// ListenDefault is Listen for the default endpoint, the one Server.WriteTo
// sends from (oscpy's listen(default=True)). While a default endpoint is
// open, a second ListenDefault fails with an error matching ErrConfig and
// opens nothing; once it is closed, the server has no default until the
// next ListenDefault (or SetDefault).
func (s *Server) ListenDefault(endpoint string, h router.Handler) (*Endpoint, error) {
	return s.listen(endpoint, h, true)
}

func (s *Server) listen(endpoint string, h router.Handler, def bool) (*Endpoint, error) {
	ep, err := netio.ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	h = s.handlerFor(h)
	if s.isClosed() {
		return nil, ErrServerClosed
	}
	if d := s.Default(); def && d != nil {
		return nil, errDefaultOpen(d)
	}
	e := &Endpoint{srv: s, ep: ep, h: h, done: make(chan struct{})}
	if err := e.open(); err != nil {
		return nil, err
	}
	// Like net/http's listener tracking: the endpoint is published and
	// started under the lock that Close takes, so Close either sees it
	// running or Listen sees the server closed.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		e.closeSocket(false)
		return nil, ErrServerClosed
	}
	if def && s.def != nil {
		e.closeSocket(false)
		return nil, errDefaultOpen(s.def)
	}
	e.start()
	s.endpoints = append(s.endpoints, e)
	if def {
		s.def = e
	}
	return e, nil
}

// handlerFor is the handler an endpoint opened with h serves: h, else
// Server.Handler, else the server's own routes.
func (s *Server) handlerFor(h router.Handler) router.Handler {
	if h == nil {
		h = s.Handler
	}
	if h == nil {
		h = s.routes()
	}
	return h
}

func errDefaultOpen(d *Endpoint) error {
	return fmt.Errorf("%w: default endpoint %s is open already", ErrConfig, d.URL())
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Endpoints returns the endpoints open now, in the order they were opened.
func (s *Server) Endpoints() []*Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Endpoint(nil), s.endpoints...)
}

// Default returns the default endpoint, or nil.
func (s *Server) Default() *Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.def
}

// SetDefault makes e, one of the server's endpoints, the default endpoint
// whatever the default was: the one deliberate way to replace it, where
// ListenDefault refuses a second default. nil, or an endpoint that is not
// open on this server, leaves the server without a default (WriteTo then
// returns ErrNoDefault).
func (s *Server) SetDefault(e *Endpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.endpoints, e) {
		e = nil
	}
	s.def = e
}

// WriteTo sends an encoded packet from the default endpoint to addr (UDP
// endpoints only), like oscpy's send_message with the default socket. A
// server without a default endpoint (none opened with ListenDefault, or it
// was closed) returns ErrNoDefault.
func (s *Server) WriteTo(pkt []byte, addr netip.AddrPort) (int, error) {
	e := s.Default()
	if e == nil {
		return 0, ErrNoDefault
	}
	return e.WriteTo(pkt, addr)
}

// remove forgets e; the server has no default if e was it.
func (s *Server) remove(e *Endpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.endpoints {
		if x == e {
			s.endpoints = append(s.endpoints[:i], s.endpoints[i+1:]...)
			break
		}
	}
	if s.def == e {
		s.def = nil
	}
}

// takeAll marks the server closed and takes every endpoint out of it.
func (s *Server) takeAll() []*Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	eps := s.endpoints
	s.endpoints, s.def = nil, nil
	return eps
}

// Close closes every endpoint at once and drops the bundles and TCP
// replies still queued, and ends the server: Listen fails afterwards with
// ErrServerClosed (to stop every endpoint and listen again, as oscpy's
// stop_all allows, close the Endpoints one by one). It returns once the reading
// goroutines have stopped, so a handler running on one of them finishes
// first; it has no deadline. Shutdown bounds the wait with a context and
// can let queued bundles run. Close and Shutdown wait for handlers: a
// handler must not call them (it would wait for itself); it can start them
// on a goroutine of their own (go srv.Close()).
func (s *Server) Close() error {
	var first error
	for _, e := range s.takeAll() {
		if err := e.stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Shutdown closes every endpoint, lets the schedulers deliver or drop their
// queued bundles (as Schedule.DrainOnClose says), waits for handlers in
// flight to return and for TCP connections to write the replies they have
// queued, or for ctx to end (oscpy's terminate_server and join_server).
// UDP and UNIX sockets close at once: a bundle delivered during the drain
// cannot answer over them, while TCP connections stay open for writing.
// When ctx ends first, Shutdown returns its error and the endpoints finish
// by themselves as soon as their handlers return, dropping what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	eps := s.takeAll()
	for _, e := range eps {
		e.closeSocket(true)
	}
	var first error
	for _, e := range eps {
		if err := e.shutdown(ctx); err != nil && first == nil {
			first = err
		}
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return first
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the sum of the counters of all open endpoints.
func (s *Server) Stats() Stats {
	var t Stats
	for _, e := range s.Endpoints() {
		t.add(e.Stats())
	}
	return t
}

// recoverer is osckit's one panic-recovery layer, as in net/http: a
// Server's endpoints and a Client's Serve call every handler through it,
// whatever the handler is.
type recoverer struct {
	limit limiter
}

// serve calls h for one request, recovering a panic: it is counted in
// panics (if not nil) and logged to log (nil: slog.Default()), the first
// with its stack, then at most one record a second with the count of those
// in between.
func (rc *recoverer) serve(h router.Handler, w router.ResponseWriter, req *router.Request, panics *atomic.Uint64, log *slog.Logger) {
	defer func() {
		if v := recover(); v != nil {
			if panics != nil {
				panics.Add(1)
			}
			rc.report(log, req, v)
		}
	}()
	h.ServeOSC(w, req)
}

func (rc *recoverer) report(log *slog.Logger, req *router.Request, v any) {
	n, first, ok := rc.limit.allowFirst()
	if !ok {
		return
	}
	if log == nil {
		log = slog.Default()
	}
	attrs := []any{slog.Any("panic", v)}
	if req != nil {
		attrs = append(attrs, slog.String("address", string(req.Message.Address())), slog.String("method", req.Method))
	} else {
		attrs = append(attrs, slog.String("in", "packet hook"))
	}
	if first {
		attrs = append(attrs, slog.String("stack", string(debug.Stack())))
	} else if n > 0 {
		attrs = append(attrs, slog.Uint64("suppressed", n))
	}
	log.Error("osc: handler panic recovered", attrs...)
}
