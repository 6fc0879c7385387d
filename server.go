package osc

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/osckit/osc/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/sched"
	"github.com/osckit/osc/wire"
)

// Errors of the Server and Client.
var (
	ErrServerClosed   = errors.New("osc: server closed")
	ErrNoHandler      = errors.New("osc: no handler")
	ErrNoDefault      = errors.New("osc: server has no default endpoint")
	ErrNotSupported   = errors.New("osc: not supported on this transport")
	ErrNoReplyAddress = errors.New("osc: sender has no address to reply to")
)

// Server receives OSC packets on any number of endpoints at once (UDP over
// IPv4 or IPv6, TCP with either framing, UNIX datagram sockets) and
// dispatches their messages to handlers. Set its fields before the first
// Listen; the zero value is ready to use.
//
// # Dispatch
//
// Every packet goes through a per-endpoint sched.Scheduler: bare messages
// and due bundles are dispatched on the endpoint's reading goroutine, in
// arrival order, before the next packet is read; bundles timed in the
// future wait in the scheduler and are dispatched at their time from its
// goroutine. Dispatch calls of one endpoint never overlap, so the messages
// of a bundle reach the handlers together with nothing in between. With
// Workers > 0, a UDP endpoint spreads packets over Workers goroutines
// sharded by sender, keeping each sender's order.
//
// A handler's panic is recovered and logged, and the endpoint keeps
// serving. Malformed packets are counted and logged at most once a second.
type Server struct {
	// Handler serves endpoints opened without a handler of their own.
	Handler router.Handler
	// Decode are the decoding options; the zero value is strict.
	Decode wire.Options
	// UDP configures UDP and UNIX datagram sockets (batch size, buffers,
	// multicast).
	UDP netio.UDPConfig
	// Schedule configures timetag scheduling (late policy, bounds, clock
	// offset). Its Decode field is replaced by Server.Decode.
	Schedule sched.Config
	// Workers, when positive, dispatches each UDP endpoint's packets on
	// that many goroutines, sharded by sender.
	Workers int
	// MaxFrame caps one TCP frame; 0 means netio.DefaultMaxFrame.
	MaxFrame int
	// IdleTimeout closes a TCP connection that sends nothing for that long;
	// 0 means 5 minutes, negative means never.
	IdleTimeout time.Duration
	// FrameTimeout closes a TCP connection that stalls inside a frame for
	// that long; 0 means 10 seconds, negative means never.
	FrameTimeout time.Duration
	// ReplaceStaleSocket lets Listen on a UNIX socket path replace a stale
	// socket file that nobody serves.
	ReplaceStaleSocket bool
	// Logger receives error reports; nil means slog.Default().
	Logger *slog.Logger

	mu        sync.Mutex
	endpoints []*Endpoint
	def       *Endpoint
	closed    bool
	wg        sync.WaitGroup
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
// or a bare "host:port" or port for UDP. An empty host listens on all
// interfaces; port 0 picks a free port (see Endpoint.Addr). h serves this
// endpoint; nil means Server.Handler. The first endpoint opened becomes the
// default endpoint that Server.Send uses.
func (s *Server) Listen(endpoint string, h router.Handler) (*Endpoint, error) {
	ep, err := netio.ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = s.Handler
	}
	if h == nil {
		return nil, ErrNoHandler
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrServerClosed
	}
	e := &Endpoint{srv: s, ep: ep, h: h, done: make(chan struct{})}
	switch ep.Network {
	case netio.NetworkUDP:
		err = e.openUDP()
	case netio.NetworkTCP:
		err = e.openTCP()
	case netio.NetworkUnixgram:
		err = e.openUnix()
	default:
		err = ErrNotSupported
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		e.closeSocket()
		return nil, ErrServerClosed
	}
	s.endpoints = append(s.endpoints, e)
	if s.def == nil {
		s.def = e
	}
	s.mu.Unlock()
	e.start()
	return e, nil
}

// Endpoints returns the endpoints open now, in the order they were opened.
func (s *Server) Endpoints() []*Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Endpoint(nil), s.endpoints...)
}

// Addrs returns the bound address of every open endpoint.
func (s *Server) Addrs() []net.Addr {
	var as []net.Addr
	for _, e := range s.Endpoints() {
		as = append(as, e.Addr())
	}
	return as
}

// Default returns the default endpoint, or nil.
func (s *Server) Default() *Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.def
}

// SetDefault makes e the default endpoint.
func (s *Server) SetDefault(e *Endpoint) {
	s.mu.Lock()
	s.def = e
	s.mu.Unlock()
}

// SendTo sends an encoded packet from the default endpoint to addr (UDP
// endpoints only), like oscpy's send_message with the default socket.
func (s *Server) SendTo(pkt []byte, addr netip.AddrPort) error {
	e := s.Default()
	if e == nil {
		return ErrNoDefault
	}
	return e.SendTo(pkt, addr)
}

func (s *Server) remove(e *Endpoint) {
	s.mu.Lock()
	for i, x := range s.endpoints {
		if x == e {
			s.endpoints = append(s.endpoints[:i], s.endpoints[i+1:]...)
			break
		}
	}
	if s.def == e {
		s.def = nil
		if len(s.endpoints) > 0 {
			s.def = s.endpoints[0]
		}
	}
	s.mu.Unlock()
}

// Close closes every endpoint at once and drops the bundles still queued
// (oscpy's stop_all). It returns once the reading goroutines have stopped,
// so a handler running on one of them finishes first; it has no deadline.
// Shutdown bounds the wait with a context and can let queued bundles run.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	eps := append([]*Endpoint(nil), s.endpoints...)
	s.mu.Unlock()
	var first error
	for _, e := range eps {
		if err := e.stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Shutdown closes every endpoint, lets the schedulers deliver or drop their
// queued bundles (as Schedule.DrainOnClose says), and waits for handlers in
// flight to return, or for ctx to end (oscpy's terminate_server and
// join_server).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	eps := append([]*Endpoint(nil), s.endpoints...)
	s.mu.Unlock()
	for _, e := range eps {
		e.closeSocket()
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
