package osc

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/osckit/osc/internal/netio"
)

// acceptLoop is the reading goroutine of a TCP endpoint: it accepts
// connections, up to MaxConns open at once, and starts a goroutine for
// each.
func (e *Endpoint) acceptLoop() {
	delay := time.Duration(0)
	for {
		c, err := e.tcp.Accept()
		if err != nil {
			if e.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: log, back off and
			// retry, so that the loop neither spins nor gives up.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			e.reportConn(connAcceptFailed, "osc: accept failed, retrying", slog.String("error", err.Error()), slog.Duration("backoff", delay))
			select {
			case <-time.After(delay):
			case <-e.done:
				return
			}
			continue
		}
		delay = 0
		sc := e.newConn(c)
		if ok, closed := e.admit(sc); ok {
			go func() {
				defer e.connDone()
				e.serveConn(sc)
			}()
		} else if closed {
			return
		}
	}
}

// admit registers a new connection of any kind (TCP or WebSocket), up to
// MaxConns open at once, and counts it as a goroutine that Close and
// Shutdown wait for: its server must call connDone once it ends. A
// connection over the cap, or arriving once the endpoint is closed, is
// closed at once (closed reports the latter).
func (e *Endpoint) admit(sc *netio.StreamConn) (ok, closed bool) {
	maxConns := e.srv.MaxConns
	if maxConns <= 0 {
		maxConns = defaultMaxConns
	}
	e.connMu.Lock()
	closed = e.isClosed() // closeSocket closes the conns it sees under connMu
	full := len(e.conns) >= maxConns
	if !full && !closed {
		e.conns[sc] = struct{}{}
		if r := remoteOf(sc); r.IsValid() {
			if e.byRemote == nil {
				e.byRemote = make(map[netip.AddrPort]*netio.StreamConn)
			}
			e.byRemote[r] = sc
		}
		// Under connMu: once closeSocket has run, no goroutine is added
		// that stop's wait could miss.
		e.srv.wg.Add(1)
		e.readers.Add(1)
	}
	e.connMu.Unlock()
	if closed {
		sc.Close()
		return false, true
	}
	if full {
		e.st.connsRefused.Add(1)
		e.reportConn(connRefused, "osc: connection refused: MaxConns reached",
			slog.String("from", sc.RemoteAddr().String()), slog.Int("max_conns", maxConns))
		sc.Close()
		return false, false
	}
	e.st.conns.Add(1)
	return true, false
}

// connDone ends the goroutine of a connection that admit took.
func (e *Endpoint) connDone() {
	e.readers.Done()
	e.srv.wg.Done()
}

// newConn wraps an accepted connection in the one stream implementation,
// with the server's framing, timeouts and send queue.
func (e *Endpoint) newConn(c net.Conn) *netio.StreamConn {
	return netio.NewStreamConn(c, e.connConfig())
}

// connConfig is the configuration of every connection of the endpoint.
func (e *Endpoint) connConfig() netio.TCPConfig {
	s := e.srv
	idle := orDefault(s.IdleTimeout, defaultIdleTimeout)
	frame := orDefault(s.FrameTimeout, defaultFrameTimeout)
	q := s.SendQueue
	if q <= 0 {
		q = defaultSendQueue
	}
	return netio.TCPConfig{
		Framing:      e.ep.Framing,
		MaxFrame:     s.MaxFrame,
		IdleTimeout:  idle,
		FrameTimeout: frame,
		WriteTimeout: s.WriteTimeout,
		SendQueue:    q,
	}
}

// orDefault maps a timeout setting to netio's: 0 is the default, negative
// is none (0 there).
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// remoteOf is the peer of a TCP or WebSocket conn, IPv4 unmapped.
func remoteOf(sc *netio.StreamConn) netip.AddrPort {
	if ta, ok := sc.RemoteAddr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// serveConn reads a connection's frames and submits them until it ends.
func (e *Endpoint) serveConn(sc *netio.StreamConn) {
	remote := remoteOf(sc)
	defer func() {
		e.connMu.Lock()
		linger := e.linger
		if !linger {
			delete(e.conns, sc)
		}
		if e.byRemote[remote] == sc {
			delete(e.byRemote, remote)
		}
		e.connMu.Unlock()
		if linger {
			return // Shutdown writes what it has queued, then closes it
		}
		// The peer stopped sending (or half-closed): it still gets the
		// replies already queued, within the write timeout.
		e.closeConn(sc, time.Now().Add(e.writeTimeout()))
	}()
	o := origin{remote: remote, conn: sc}
	var hookW replier
	hookW.bind(e)
	sh := e.shards[0]
	for {
		frame, err := sc.ReadFrame()
		if err != nil {
			var fe *netio.FrameError
			if !errors.As(err, &fe) || e.isClosed() {
				return // end of stream, idle timeout, reset, Close
			}
			e.malformed(nil, o, frameError(err))
			if fe.Recoverable {
				continue
			}
			return
		}
		e.st.packets.Add(1)
		e.st.bytes.Add(uint64(len(frame)))
		if e.accept(&hookW, frame, o, sc.Buffered() > 0) {
			e.submit(sh, frame, o)
		}
	}
}

// Connection events, each logged at most once a second.
const (
	connAcceptFailed = iota
	connRefused
	connSlowPeer
	replyDropped
	connOriginRefused
)

func (e *Endpoint) writeTimeout() time.Duration {
	return orDefault(e.srv.WriteTimeout, netio.DefaultWriteTimeout)
}

// closeConn writes what sc has queued until deadline (a zero deadline
// drops it), closes it, and counts a peer that did not read its replies.
func (e *Endpoint) closeConn(sc *netio.StreamConn, deadline time.Time) {
	var err error
	if !deadline.IsZero() {
		err = sc.Flush(deadline)
	}
	sc.Close()
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(sc.SendErr(), netio.ErrSlowPeer) {
		e.st.slowPeers.Add(1)
		e.reportConn(connSlowPeer, "osc: slow peer disconnected: it does not read its replies",
			slog.String("from", sc.RemoteAddr().String()))
	}
}

// reportConn logs a connection event, at most once a second for each kind.
func (e *Endpoint) reportConn(kind int, msg string, attrs ...any) {
	n, ok := e.connLog[kind].allow()
	if !ok {
		return
	}
	attrs = append(attrs, slog.String("endpoint", e.URL()))
	if n > 0 {
		attrs = append(attrs, slog.Uint64("suppressed", n))
	}
	e.srv.logger().Warn(msg, attrs...)
}
