package osc

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
)

// openWS opens the listener of an osc.ws:// or osc.wss:// endpoint and the
// HTTP server that upgrades requests at its path.
func (e *Endpoint) openWS() error {
	s := e.srv
	var tcfg *tls.Config
	if e.ep.TLS {
		tcfg = s.WebSocket.TLS
		if tcfg == nil || len(tcfg.Certificates) == 0 && tcfg.GetCertificate == nil {
			return fmt.Errorf("%w: osc.wss:// needs a certificate in Server.WebSocket.TLS", ErrConfig)
		}
	}
	l, err := net.Listen("tcp", e.ep.Address)
	if err != nil {
		return err
	}
	e.addr = l.Addr()
	maxConns := s.MaxConns
	if maxConns <= 0 {
		maxConns = defaultMaxConns
	}
	// Requests not yet upgraded are capped too: MaxConns WebSockets plus
	// as many connections again in their handshake.
	l = &capListener{Listener: l, e: e, max: 2 * int64(maxConns)}
	if tcfg != nil {
		l = tls.NewListener(l, tcfg)
	}
	mux := http.NewServeMux()
	mux.Handle(e.ep.Path, e)
	e.tcp, e.ws = l, true
	e.conns = make(map[*netio.StreamConn]struct{})
	e.http = &http.Server{
		Handler: mux,
		// A request must arrive whole in time, as a TCP frame must.
		ReadHeaderTimeout: orDefault(s.FrameTimeout, defaultFrameTimeout),
		IdleTimeout:       orDefault(s.IdleTimeout, defaultIdleTimeout),
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	return nil
}

// serveHTTP is the reading goroutine of an osc.ws:// endpoint.
func (e *Endpoint) serveHTTP() {
	_ = e.http.Serve(e.tcp)
}

// WebSocketHandler opens an endpoint with no socket of its own that serves OSC
// over WebSocket as an http.Handler: mount it on an existing mux or
// http.Server at a path, so that one port serves a web page, an OSCQuery
// description and OSC. Its connections are served as those of an
// osc.ws:// endpoint opened with Listen: h (nil means Server.Handler)
// serves their messages, replies go back on the same WebSocket, and
// MaxConns, MaxFrame, the timeouts, SendQueue and WebSocket apply.
//
//	ep, _ := srv.WebSocketHandler(nil)
//	mux.Handle("/osc", ep)
//
// Closing the endpoint closes its connections; the HTTP server is the
// caller's.
func (s *Server) WebSocketHandler(h router.Handler) (*Endpoint, error) {
	h = s.handlerFor(h)
	e := &Endpoint{srv: s, ep: netio.Endpoint{Network: netio.NetworkWS, Path: "/"}, h: h, done: make(chan struct{}), ws: true}
	e.conns = make(map[*netio.StreamConn]struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrServerClosed
	}
	e.start()
	s.endpoints = append(s.endpoints, e)
	return e, nil
}

// ServeHTTP upgrades a request to a WebSocket and serves its packets: each
// binary message is one OSC packet. A text message closes the connection
// with status 1003 and a reason that says OSC travels in binary messages;
// a message over MaxFrame closes it with status 1009. Both are counted in
// Stats.Malformed and shown to the Invalid hook. Browsers' pages from
// other origins are refused unless Server.WebSocket allows them (403,
// counted in Stats.ConnsRefused and logged at most once a second). On an
// endpoint that is not a WebSocket endpoint, ServeHTTP answers 404.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !e.ws {
		http.Error(w, "osc: not a WebSocket endpoint", http.StatusNotFound)
		return
	}
	if e.isClosed() {
		http.Error(w, "osc: endpoint closed", http.StatusServiceUnavailable)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	sc, err := netio.AcceptWS(sw, r, e.connConfig(), e.srv.WebSocket.netio())
	if err != nil {
		// The response says why: a bad handshake (400, 426) or an Origin
		// refused (403), which is counted and logged, since it is what a
		// misconfigured web page sees.
		if sw.code == http.StatusForbidden {
			e.st.connsRefused.Add(1)
			e.reportConn(connOriginRefused, "osc: WebSocket refused: its Origin is not allowed (Server.WebSocket)",
				slog.String("from", r.RemoteAddr), slog.String("origin", r.Header.Get("Origin")))
		}
		return
	}
	ok, _ := e.admit(sc)
	if !ok {
		return
	}
	// The conn is served on a goroutine of its own and ServeHTTP returns:
	// the HTTP server's goroutine, its deep stack and its request state
	// (4 KiB buffers among them) are freed instead of being held for the
	// life of the WebSocket.
	go func() {
		defer e.connDone()
		e.serveConn(sc)
	}()
}

// statusWriter remembers the status of the response a failed WebSocket
// handshake wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// capListener caps the TCP connections of an osc.ws:// endpoint, upgraded
// or not: one over the cap is closed at once and counted in
// Stats.ConnsRefused, so that peers that open connections and never finish
// their handshake cannot hold more than the cap.
type capListener struct {
	net.Listener
	e    *Endpoint
	max  int64
	open atomic.Int64
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			c.Close()
			l.e.st.connsRefused.Add(1)
			l.e.reportConn(connRefused, "osc: connection refused: too many connections in their WebSocket handshake",
				slog.String("from", c.RemoteAddr().String()), slog.Int64("max", l.max))
			continue
		}
		return &cappedConn{Conn: c, l: l}, nil
	}
}

// cappedConn gives its place back to its capListener once closed.
type cappedConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *cappedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}
