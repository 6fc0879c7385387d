package netio

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// WebSocket carries OSC packets as in osc.js: each binary message is one
// packet (a message or a bundle), with no framing of its own. A
// [StreamConn] made by [AcceptWS] or [DialWS] reads and writes them with
// the same API, limits and send queue as a TCP conn.

// ErrTextMessage is the FrameError of a WebSocket text message: OSC
// travels in binary messages. The conn is closed with status 1003
// (unsupported data) and a reason that says so.
var ErrTextMessage = errors.New("netio: WebSocket text message: OSC packets travel in binary messages")

// Close reasons sent to a WebSocket peer.
const (
	wsReasonText    = "osc: text messages are not supported: send each OSC packet as one binary message"
	wsReasonTooBig  = "osc: message exceeds the size limit"
	wsReasonGoingAw = "osc: server shutting down"
)

// DefaultPingInterval is WSConfig.PingInterval's default.
const DefaultPingInterval = 30 * time.Second

// WSConfig configures the WebSocket side of AcceptWS and DialWS.
type WSConfig struct {
	// OriginPatterns lists the hosts (path.Match patterns, such as
	// "*.example.com" or "localhost:*") whose pages may connect besides
	// the server's own origin. Clients that send no Origin header (tools,
	// not browsers) are always accepted.
	OriginPatterns []string
	// AnyOrigin turns the Origin check off: any web page may connect. Meant
	// for tools on the loopback interface.
	AnyOrigin bool
	// PingInterval is the time between pings a server sends to keep
	// proxies and NATs from dropping a quiet connection; 0 means
	// DefaultPingInterval, negative none. A ping that cannot be written
	// within the write timeout disconnects the peer as a slow peer.
	PingInterval time.Duration
	// TLS configures osc.wss:// (certificates of a server, roots of a
	// client). Nil on a client means the system's roots.
	TLS *tls.Config
	// Text, when set, turns a text message into the packet it stands for,
	// appended to dst (a JSON form); nil refuses text messages. A server
	// answers a peer that sent text in text, made by ToText.
	Text, ToText func(dst, b []byte) ([]byte, error)
}

// wsState is the WebSocket part of a StreamConn.
type wsState struct {
	c     *websocket.Conn
	buf   []byte // the last message read
	read  int64  // payload bytes received before the current message
	ping  time.Duration
	wmu   sync.Mutex // writes without a SendQueue
	rt    *time.Timer
	wt    *time.Timer
	pt    *time.Timer
	rwhy  atomic.Int32 // what the read timer is armed for
	rfire atomic.Int32 // what the read timer closed the conn for
	wfire atomic.Bool  // the write timer closed the conn

	// text and toText are WSConfig's; spoke is set once the peer sent a
	// text message: it is answered in text.
	text, toText func(dst, b []byte) ([]byte, error)
	spoke        atomic.Bool

	mu     sync.Mutex // guards closed and wg.Add against Close
	closed bool
	wg     sync.WaitGroup // ping and graceful-close goroutines
}

const (
	wsIdleFired = iota + 1
	wsFrameFired
	wsDeadlineFired
)

// wsAddrConn stands in for the net.Conn of a WebSocket StreamConn: it has
// its addresses and closes the WebSocket; bytes go through the
// websocket.Conn.
type wsAddrConn struct {
	s             *StreamConn
	raw           net.Conn // the TCP (or TLS) conn under the WebSocket
	local, remote net.Addr
}

func (a *wsAddrConn) Read([]byte) (int, error)  { return 0, errors.ErrUnsupported }
func (a *wsAddrConn) Write([]byte) (int, error) { return 0, errors.ErrUnsupported }

// Close closes the conn under the WebSocket first: whatever the WebSocket
// waits for (a close handshake in progress) ends at once.
func (a *wsAddrConn) Close() error {
	if a.raw != nil {
		a.raw.Close()
	}
	return a.s.ws.c.CloseNow()
}
func (a *wsAddrConn) LocalAddr() net.Addr              { return a.local }
func (a *wsAddrConn) RemoteAddr() net.Addr             { return a.remote }
func (a *wsAddrConn) SetDeadline(t time.Time) error    { return a.SetReadDeadline(t) }
func (a *wsAddrConn) SetWriteDeadline(time.Time) error { return nil }

// SetReadDeadline bounds the wait of a ReadFrame: when it passes, the
// WebSocket is closed (a WebSocket read cannot be resumed after a
// timeout), and ReadFrame returns an error matching os.ErrDeadlineExceeded.
func (a *wsAddrConn) SetReadDeadline(t time.Time) error {
	ws := a.s.ws
	if t.IsZero() {
		ws.rt.Stop()
		return nil
	}
	ws.rt.Stop()
	ws.arm(time.Until(t), wsDeadlineFired)
	return nil
}

// AcceptWS upgrades an HTTP request to a WebSocket and wraps it as a
// StreamConn: each binary message is one frame, MaxFrame caps a message
// (a larger one closes the conn with status 1009), IdleTimeout bounds the
// wait for a message and FrameTimeout the rest of a message once begun.
// On failure the response has been written.
func AcceptWS(w http.ResponseWriter, r *http.Request, cfg TCPConfig, wcfg WSConfig) (*StreamConn, error) {
	hj := &hijackRecorder{ResponseWriter: w}
	c, err := websocket.Accept(hj, r, &websocket.AcceptOptions{
		InsecureSkipVerify: wcfg.AnyOrigin,
		OriginPatterns:     wcfg.OriginPatterns,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		return nil, err
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	var remote net.Addr
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		remote = net.TCPAddrFromAddrPort(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	ping := wcfg.PingInterval
	if ping == 0 {
		ping = DefaultPingInterval
	}
	s := newWSConn(c, hj.conn, local, remote, cfg, ping)
	s.ws.text, s.ws.toText = wcfg.Text, wcfg.ToText
	return s, nil
}

// hijackRecorder keeps the conn that the WebSocket hijacks from the HTTP
// server, so that Close can always end it.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

// wsBufSize is the size of a WebSocket conn's read and write buffers: a
// frame header and a typical OSC message fit; larger messages are read and
// written past them. net/http's own are 4 KiB each, which an idle
// connection would hold for its lifetime.
const wsBufSize = 512

// Hijack takes the conn from the HTTP server and gives the WebSocket
// smaller buffers than net/http's. Bytes the client sent right after its
// handshake (its first message, in the same segment) that net/http has
// already read stay buffered in the new reader: the WebSocket keeps what
// its reader holds and reads the conn after it.
func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	h.conn = c
	if err != nil {
		return c, brw, err
	}
	if err := brw.Writer.Flush(); err != nil {
		return c, brw, err
	}
	var src io.Reader = c
	n := brw.Reader.Buffered()
	if n > 0 {
		early, _ := brw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(early)), c)
	}
	br := bufio.NewReaderSize(src, max(wsBufSize, n))
	if n > 0 {
		// Buffered, not left in src: the WebSocket re-points its reader at
		// the conn, keeping only what the reader has buffered.
		if _, err := br.Peek(n); err != nil {
			return c, brw, err
		}
	}
	return c, bufio.NewReadWriter(br, bufio.NewWriterSize(c, wsBufSize)), nil
}

func (h *hijackRecorder) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// DialWS connects to a WebSocket URL (ws:// or wss://) and wraps the
// connection as a StreamConn (see AcceptWS). The client sends no pings.
func DialWS(ctx context.Context, url string, cfg TCPConfig, wcfg WSConfig) (*StreamConn, error) {
	var raw net.Conn
	var mu sync.Mutex
	d := &net.Dialer{}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				mu.Lock()
				raw = c
				mu.Unlock()
			}
			return c, err
		},
		TLSClientConfig:   wcfg.TLS,
		ForceAttemptHTTP2: false,
	}
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: tr},
		CompressionMode: websocket.CompressionDisabled,
	})
	tr.CloseIdleConnections()
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if raw == nil {
		c.CloseNow()
		return nil, errors.New("netio: WebSocket dial: no connection")
	}
	return newWSConn(c, raw, raw.LocalAddr(), raw.RemoteAddr(), cfg, -1), nil
}

func newWSConn(c *websocket.Conn, raw net.Conn, local, remote net.Addr, cfg TCPConfig, ping time.Duration) *StreamConn {
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	c.SetReadLimit(int64(cfg.MaxFrame))
	cfg.Framing, cfg.SendFraming = FrameSizePrefix, FrameSizePrefix // the send queue's own delimiting
	a := &wsAddrConn{raw: raw, local: local, remote: remote}
	s := NewStreamConn(a, cfg)
	a.s = s
	ws := &wsState{c: c, ping: ping}
	never := time.Duration(1<<63 - 1)
	ws.rt = time.AfterFunc(never, func() {
		ws.rfire.Store(ws.rwhy.Load())
		_ = c.CloseNow()
	})
	ws.rt.Stop()
	ws.wt = time.AfterFunc(never, func() {
		ws.wfire.Store(true)
		_ = c.CloseNow()
	})
	ws.wt.Stop()
	s.ws = ws
	if ping > 0 {
		ws.pt = time.AfterFunc(ping, s.pingOnce)
	}
	return s
}

// arm makes the read timer close the conn after d, for the reason why.
// Reset keeps the timer's function: re-arming does not allocate.
func (ws *wsState) arm(d time.Duration, why int32) {
	ws.rwhy.Store(why)
	ws.rt.Reset(d)
}

// wsReadFrame reads one binary message.
func (s *StreamConn) wsReadFrame() ([]byte, error) {
	ws := s.ws
	if cap(ws.buf) > defaultStreamBuf {
		ws.buf = nil // the last message was a large one: do not keep its memory
	}
	ws.read += int64(len(ws.buf))
	ws.buf = ws.buf[:0]
	if s.cfg.IdleTimeout > 0 {
		ws.arm(s.cfg.IdleTimeout, wsIdleFired)
	}
	typ, r, err := ws.c.Reader(context.Background())
	if err != nil {
		ws.rt.Stop()
		return nil, s.wsReadErr(err, false)
	}
	if typ == websocket.MessageText && ws.text != nil {
		return s.wsReadText(r)
	}
	if typ != websocket.MessageBinary {
		// The rest of the message (at most MaxFrame, within FrameTimeout)
		// is read and dropped: the close handshake reads after it.
		ws.rt.Stop()
		if s.cfg.FrameTimeout > 0 {
			ws.arm(s.cfg.FrameTimeout, wsFrameFired)
		}
		_, _ = io.Copy(io.Discard, r)
		ws.rt.Stop()
		s.wsCloseWith(websocket.StatusUnsupportedData, wsReasonText)
		return nil, &FrameError{Offset: ws.read, Err: ErrTextMessage}
	}
	if s.cfg.FrameTimeout > 0 {
		ws.rt.Stop()
		ws.arm(s.cfg.FrameTimeout, wsFrameFired)
	} else if s.cfg.IdleTimeout > 0 {
		ws.rt.Stop()
	}
	b := ws.buf
	for range 1 << 20 {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
			if cap(b) < initialStreamBuf {
				b = make([]byte, 0, initialStreamBuf)
			}
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			ws.rt.Stop()
			ws.buf = b[:0]
			return nil, s.wsReadErr(err, true)
		}
	}
	ws.rt.Stop()
	ws.buf = b
	return b, nil
}

// wsReadErr maps a read error of the WebSocket to StreamConn's errors.
func (s *StreamConn) wsReadErr(err error, inMsg bool) error {
	ws := s.ws
	switch ws.rfire.Load() {
	case wsIdleFired:
		if !inMsg {
			return ErrIdleTimeout
		}
	case wsFrameFired:
		return &FrameError{Offset: ws.read, Err: ErrFrameTimeout}
	case wsDeadlineFired:
		return &timeoutError{"netio: WebSocket read deadline exceeded"}
	}
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return &FrameError{Offset: ws.read, Size: int64(s.cfg.MaxFrame) + 1, Err: ErrFrameTooLarge}
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return io.EOF
	}
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
		return io.EOF
	}
	return err
}

// wsWrite writes one message, bounded by the write timeout.
func (s *StreamConn) wsWrite(pkt []byte) error {
	ws := s.ws
	if s.cfg.WriteTimeout > 0 {
		ws.wt.Reset(s.cfg.WriteTimeout)
	}
	typ := websocket.MessageBinary
	if ws.toText != nil && ws.spoke.Load() {
		b, err := ws.toText(nil, pkt)
		if err != nil {
			return err
		}
		typ, pkt = websocket.MessageText, b
	}
	err := ws.c.Write(context.Background(), typ, pkt)
	if s.cfg.WriteTimeout > 0 && !ws.wt.Stop() && ws.wfire.Load() {
		return ErrSlowPeer
	}
	return err
}

// wsWriteBatch writes the size-prefixed frames of a send queue's batch, one
// message each.
func (s *StreamConn) wsWriteBatch(batch []byte) error {
	for len(batch) >= 4 {
		n := int(binary.BigEndian.Uint32(batch))
		if 4+n > len(batch) {
			break
		}
		if err := s.wsWrite(batch[4 : 4+n]); err != nil {
			return err
		}
		batch = batch[4+n:]
	}
	return nil
}

// pingOnce sends a ping and schedules the next; it runs on the ping
// timer's goroutine.
func (s *StreamConn) pingOnce() {
	ws := s.ws
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		return
	}
	ws.wg.Add(1)
	ws.mu.Unlock()
	defer ws.wg.Done()
	timeout := s.cfg.WriteTimeout
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	// A missing pong alone is not fatal (a client answers only while it
	// reads); a ping that cannot be written in time means a peer that
	// does not read, and the WebSocket closes the conn.
	_ = ws.c.Ping(ctx)
	cancel()
	ws.mu.Lock()
	if !ws.closed {
		ws.pt.Reset(ws.ping)
	}
	ws.mu.Unlock()
}

// wsCloseRead ends reading gracefully: the queued frames are written
// (within the write timeout), then the close handshake says the server is
// going away, which ends a pending ReadFrame.
func (s *StreamConn) wsCloseRead() error {
	ws := s.ws
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		return net.ErrClosed
	}
	ws.wg.Add(1)
	ws.mu.Unlock()
	go func() {
		defer ws.wg.Done()
		timeout := s.cfg.WriteTimeout
		if timeout <= 0 {
			timeout = DefaultWriteTimeout
		}
		_ = s.Flush(time.Now().Add(timeout))
		s.wsCloseWith(websocket.StatusGoingAway, wsReasonGoingAw)
	}()
	return nil
}

// wsCloseHandshake bounds a close handshake: a peer that does not answer
// is cut off after it.
const wsCloseHandshake = time.Second

// wsCloseWith closes the WebSocket with a status and a reason, waiting at
// most wsCloseHandshake for the peer's answer.
func (s *StreamConn) wsCloseWith(code websocket.StatusCode, reason string) {
	a := s.c.(*wsAddrConn)
	t := time.AfterFunc(wsCloseHandshake, func() {
		if a.raw != nil {
			a.raw.Close()
		}
	})
	_ = s.ws.c.Close(code, reason)
	t.Stop()
}

// wsClose stops the timers and waits for the conn's own goroutines.
func (s *StreamConn) wsClose() {
	ws := s.ws
	ws.mu.Lock()
	ws.closed = true
	ws.mu.Unlock()
	if ws.pt != nil {
		ws.pt.Stop()
	}
	ws.rt.Stop()
	ws.wt.Stop()
	ws.wg.Wait()
}

// IsWebSocket reports whether s carries a WebSocket.
func (s *StreamConn) IsWebSocket() bool { return s.ws != nil }
