package oscquery

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// Defaults of the Handler's WebSocket limits, used when a field is 0.
const (
	DefaultMaxConns     = 256       // WebSocket clients at once
	DefaultMaxListens   = 1024      // LISTENed paths per client
	DefaultMaxFrame     = 64 << 10  // bytes in one WebSocket message from a client
	DefaultSendQueue    = 256 << 10 // bytes waiting to be sent to one client
	DefaultWriteTimeout = 5 * time.Second
	defaultPingInterval = 30 * time.Second
)

// maxCommand bounds a text message (a JSON command): longer ones are
// read, dropped and counted as malformed.
const maxCommand = 4096

// The commands of the WebSocket's text messages.
const (
	cmdListen      = "LISTEN"
	cmdIgnore      = "IGNORE"
	cmdPathChanged = "PATH_CHANGED"
	cmdPathAdded   = "PATH_ADDED"
	cmdPathRemoved = "PATH_REMOVED"
	cmdPathRenamed = "PATH_RENAMED"
)

// Close reasons sent to a WebSocket client.
const (
	reasonFull     = "oscquery: too many clients"
	reasonTooBig   = "oscquery: message exceeds the size limit"
	reasonShutdown = "oscquery: server shutting down"
)

// Stats counts what a Handler's WebSocket server did. Every refusal and
// every loss is counted.
type Stats struct {
	Conns          int64  // WebSocket clients connected now
	ConnsRefused   uint64 // upgrades refused: MaxConns reached
	Listens        int64  // LISTENs in force now, over all clients
	ListensRefused uint64 // LISTENs refused: MaxListens reached, or no such node
	Packets        uint64 // OSC packets received from clients (binary messages)
	Commands       uint64 // commands received from clients (text messages)
	Malformed      uint64 // packets and commands that could not be read, oversize messages
	Streamed       uint64 // OSC messages queued to LISTENing clients
	Notices        uint64 // PATH_* notices queued
	NoticesMerged  uint64 // notices merged into a PATH_CHANGED of the root: a client's send queue was full
	Dropped        uint64 // values not queued, or removed, because a client's send queue was full
	SlowClients    uint64 // clients disconnected for not reading within WriteTimeout
	DeadClients    uint64 // clients disconnected for not answering a ping within PingInterval
	Panics         uint64 // panics of the OSC handler, recovered
}

type wsStats struct {
	conns, listens                                                       atomic.Int64
	connsRefused, listensRefused, packets, commands, malformed, streamed atomic.Uint64
	notices, noticesMerged, dropped, slowClients, deadClients, panics    atomic.Uint64
}

// wsHub is the WebSocket side of a Handler: its clients and counters.
type wsHub struct {
	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	closed  bool
	watched *Namespace // the namespace this hub is registered with
	empty   *Namespace // served when Handler.Namespace is nil
	st      wsStats
	wg      sync.WaitGroup // the clients' reading (serveWS) and writing goroutines
}

// Stats returns the counters of the Handler's WebSocket server.
func (h *Handler) Stats() Stats {
	st := &h.hub.st
	return Stats{
		Conns: st.conns.Load(), ConnsRefused: st.connsRefused.Load(),
		Listens: st.listens.Load(), ListensRefused: st.listensRefused.Load(),
		Packets: st.packets.Load(), Commands: st.commands.Load(), Malformed: st.malformed.Load(),
		Streamed: st.streamed.Load(), Notices: st.notices.Load(), NoticesMerged: st.noticesMerged.Load(),
		Dropped:     st.dropped.Load(),
		SlowClients: st.slowClients.Load(), DeadClients: st.deadClients.Load(),
		Panics: st.panics.Load(),
	}
}

// Close disconnects the Handler's WebSocket clients (with status 1001 and
// a reason), refuses new ones and returns once the goroutines serving
// them have ended (a close handshake takes at most a second); HTTP
// requests are still answered. The http.Server does not track upgraded
// connections: call Close after its Shutdown.
func (h *Handler) Close() error {
	hub := &h.hub
	hub.mu.Lock()
	hub.closed = true
	conns := make([]*wsConn, 0, len(hub.conns))
	for c := range hub.conns {
		conns = append(conns, c)
	}
	ns := hub.watched
	hub.mu.Unlock()
	if ns != nil {
		ns.unwatch(hub)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.close(websocket.StatusGoingAway, reasonShutdown)
		}()
	}
	wg.Wait()
	hub.wg.Wait()
	return nil
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHas(r.Header, "Connection", "upgrade") &&
		headerHas(r.Header, "Upgrade", "websocket")
}

func headerHas(h http.Header, key, token string) bool {
	for _, v := range h[key] {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// serveWS upgrades r and serves the client until it leaves.
func (h *Handler) serveWS(w http.ResponseWriter, r *http.Request) {
	hub := &h.hub
	ns := h.ns()
	c := &wsConn{h: h, hub: hub, ns: ns, wake: make(chan struct{}, 1), done: make(chan struct{}),
		max: max(orInt(h.SendQueue, DefaultSendQueue), 256)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	c.local, _ = r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	// The client is registered for notices before the upgrade is answered:
	// a change made once the client has seen its WebSocket open reaches it.
	hub.mu.Lock()
	if hub.closed {
		hub.mu.Unlock()
		http.Error(w, reasonShutdown, http.StatusServiceUnavailable)
		return
	}
	if len(hub.conns) >= orInt(h.MaxConns, DefaultMaxConns) {
		hub.mu.Unlock()
		hub.st.connsRefused.Add(1)
		w.Header().Set("Retry-After", "1")
		http.Error(w, reasonFull, http.StatusServiceUnavailable)
		return
	}
	if hub.conns == nil {
		hub.conns = make(map[*wsConn]struct{})
	}
	if hub.watched == nil {
		hub.watched = ns
		ns.watch(hub)
	}
	hub.conns[c] = struct{}{}
	hub.st.conns.Add(1)
	hub.wg.Add(1) // under hub.mu, before Close can wait: Close waits for this goroutine too
	hub.mu.Unlock()
	defer hub.wg.Done()
	defer c.leave()

	hj := &hijackRecorder{ResponseWriter: w}
	ws, err := websocket.Accept(hj, r, &websocket.AcceptOptions{
		OriginPatterns:  h.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return // the response says why
	}
	ws.SetReadLimit(int64(orInt(h.MaxFrame, DefaultMaxFrame)))
	c.mu.Lock()
	c.ws, c.raw = ws, hj.conn
	closing := c.closed
	if !closing {
		// Under c.mu: Close waits for the writer once it has closed c.
		hub.wg.Add(1)
	}
	c.mu.Unlock()
	if closing {
		closeWithin(ws, hj.conn, websocket.StatusGoingAway, reasonShutdown)
		return
	}
	go c.writeLoop()
	c.readLoop()
}

// wsConn is one WebSocket client.
type wsConn struct {
	h      *Handler
	hub    *wsHub
	ns     *Namespace
	ws     *websocket.Conn
	raw    net.Conn // the connection under ws
	remote netip.AddrPort
	local  net.Addr
	max    int // send queue bytes

	mu     sync.Mutex
	q      []byte // queued messages: kind, 4-byte length, payload
	spare  []byte
	closed bool
	wake   chan struct{}
	done   chan struct{}
	ctx    context.Context // ends when the client is closed: a ping waits no longer
	cancel context.CancelFunc

	// Owned by the reading goroutine.
	listens map[*entry]struct{}
	osc     router.Handler // Handler.OSC, or the namespace's own
	rbuf    []byte
	req     router.Request
	rw      wsWriter
}

// The kinds of queued messages.
const (
	kindBinary byte = iota
	kindText
)

// enqueue queues one message; it reports false when the client is gone or
// its queue is full. It does not allocate once the queue has grown.
func (c *wsConn) enqueue(kind byte, p []byte) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	wasEmpty := len(c.q) == 0
	ok := c.appendLocked(kind, p)
	c.mu.Unlock()
	if ok && wasEmpty {
		c.signal()
	}
	return ok
}

// appendLocked queues p if it fits. The caller holds c.mu.
func (c *wsConn) appendLocked(kind byte, p []byte) bool {
	if len(c.q)+5+len(p) > c.max {
		return false
	}
	c.q = append(c.q, kind, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(c.q[len(c.q)-4:], uint32(len(p)))
	c.q = append(c.q, p...)
	return true
}

// signal wakes the writing goroutine.
func (c *wsConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// stream queues an OSC message for a LISTENing client.
func (c *wsConn) stream(p []byte) {
	if c.enqueue(kindBinary, p) {
		c.hub.st.streamed.Add(1)
	} else {
		c.hub.st.dropped.Add(1)
	}
}

// rootChanged is the notice that stands for any number of changes: the
// client fetches the whole namespace again.
var rootChanged = []byte(`{"COMMAND":"PATH_CHANGED","DATA":"/"}`)

// notice queues a PATH_* notice. A notice identical to the last one
// waiting is not queued again (a node changed over and over costs one
// notice until the client has read it), nor is any after a PATH_CHANGED of
// the root. When the queue is full, the notices waiting and this one are
// merged into a PATH_CHANGED of the root, and the oldest values are
// dropped as needed to make room for it: the client is told to fetch the
// namespace again rather than left with a stale one, and stays connected.
func (c *wsConn) notice(p []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if last := c.lastText(); last != nil && (string(last) == string(p) || string(last) == string(rootChanged)) {
		c.mu.Unlock()
		if string(last) != string(p) {
			c.hub.st.noticesMerged.Add(1) // the root's PATH_CHANGED stands for it
		}
		return
	}
	wasEmpty := len(c.q) == 0
	if c.appendLocked(kindText, p) {
		c.mu.Unlock()
		c.hub.st.notices.Add(1)
	} else {
		merged, dropped := c.mergeLocked()
		c.mu.Unlock()
		c.hub.st.noticesMerged.Add(merged + 1)
		c.hub.st.dropped.Add(dropped)
	}
	if wasEmpty {
		c.signal()
	}
}

// lastText returns the last text message in the queue, or nil. The caller
// holds c.mu.
func (c *wsConn) lastText() []byte {
	var last []byte
	for q := c.q; len(q) >= 5; {
		n := int(binary.BigEndian.Uint32(q[1:]))
		if q[0] == kindText {
			last = q[5 : 5+n]
		}
		q = q[5+n:]
	}
	return last
}

// mergeLocked removes the text messages from the queue, then the oldest
// binary ones until a PATH_CHANGED of the root fits, and queues it. It
// returns the notices and the values removed. The caller holds c.mu.
func (c *wsConn) mergeLocked() (merged, dropped uint64) {
	w := 0
	for r := 0; r+5 <= len(c.q); {
		n := 5 + int(binary.BigEndian.Uint32(c.q[r+1:]))
		if c.q[r] == kindText {
			merged++
		} else {
			w += copy(c.q[w:], c.q[r:r+n])
		}
		r += n
	}
	c.q = c.q[:w]
	skip := 0
	for len(c.q)-skip+5+len(rootChanged) > c.max && skip < len(c.q) {
		skip += 5 + int(binary.BigEndian.Uint32(c.q[skip+1:]))
		dropped++
	}
	c.q = c.q[:copy(c.q, c.q[skip:])]
	c.appendLocked(kindText, rootChanged)
	return merged, dropped
}

// close ends the client's connection with a status; the goroutines see it
// and leave.
func (c *wsConn) close(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	ws, raw := c.ws, c.raw
	c.mu.Unlock()
	close(c.done)
	if c.cancel != nil {
		c.cancel()
	}
	if ws != nil {
		closeWithin(ws, raw, code, reason)
	}
}

// closeWithin closes a WebSocket with a status, waiting at most a second
// for the peer's answer to the close handshake: then the connection under
// it (raw) is closed, which ends the wait (the WebSocket library's own
// bound is 5 s, and CloseNow does not cut a Close short).
func closeWithin(ws *websocket.Conn, raw net.Conn, code websocket.StatusCode, reason string) {
	t := time.AfterFunc(time.Second, func() {
		if raw != nil {
			_ = raw.Close()
		}
	})
	_ = ws.Close(code, reason)
	t.Stop()
}

// hijackRecorder keeps the connection that the WebSocket takes over from
// the HTTP server, so that a close can always end it.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	h.conn = c
	return c, brw, err
}

func (h *hijackRecorder) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// leave unregisters the client: its LISTENs end, its goroutines stop.
func (c *wsConn) leave() {
	c.close(websocket.StatusNormalClosure, "")
	c.ns.unlistenAll(c)
	c.hub.mu.Lock()
	delete(c.hub.conns, c)
	c.hub.mu.Unlock()
	c.hub.st.conns.Add(-1)
}

// writeLoop sends the queued messages until the client closes, and pings
// the client every PingInterval.
func (c *wsConn) writeLoop() {
	defer c.hub.wg.Done()
	timeout := c.h.WriteTimeout
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	var tick <-chan time.Time
	interval := c.h.PingInterval
	if interval == 0 {
		interval = defaultPingInterval
	}
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-c.wake:
		case <-tick:
			if !c.ping(interval) {
				return
			}
			continue
		case <-c.done:
			return
		}
		c.mu.Lock()
		b := c.q
		c.q, c.spare = c.spare[:0], nil
		c.mu.Unlock()
		if len(b) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		var err error
		for rest := b; len(rest) >= 5 && err == nil; {
			n := int(binary.BigEndian.Uint32(rest[1:]))
			typ := websocket.MessageBinary
			if rest[0] == kindText {
				typ = websocket.MessageText
			}
			err = c.ws.Write(ctx, typ, rest[5:5+n])
			rest = rest[5+n:]
		}
		timedOut := ctx.Err() != nil
		cancel()
		if err != nil {
			if timedOut {
				c.hub.st.slowClients.Add(1)
			}
			c.close(websocket.StatusPolicyViolation, "oscquery: write timed out")
			return
		}
		if cap(b) > c.max+c.max/2 {
			b = nil // do not keep the memory of a burst
		}
		c.mu.Lock()
		c.spare = b[:0]
		c.mu.Unlock()
	}
}

// ping pings the client and waits at most timeout for its pong, which the
// reading goroutine receives. A client that does not answer (a dead host,
// a peer that never reads) is disconnected at once, without a close
// handshake it would not answer either, and counted; ping reports false
// then, or when the client is gone.
func (c *wsConn) ping(timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	err := c.ws.Ping(ctx)
	cancel()
	if err == nil {
		return true
	}
	select {
	case <-c.done:
		return false // closed meanwhile: not the client's fault
	default:
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	c.cancel()
	c.hub.st.deadClients.Add(1)
	_ = c.ws.CloseNow()
	if c.raw != nil {
		_ = c.raw.Close()
	}
	return false
}

// readLoop reads the client's messages until it leaves: text messages
// are commands, binary messages OSC packets.
func (c *wsConn) readLoop() {
	c.rw.c = c
	c.osc = c.h.OSC
	if c.osc == nil {
		c.osc = c.ns.Handler(nil)
	}
	c.req.Remote = c.remote
	c.req.Local = c.local
	for {
		typ, r, err := c.ws.Reader(context.Background())
		if err != nil {
			return
		}
		b, err := c.readAll(r)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				c.hub.st.malformed.Add(1)
				c.close(websocket.StatusMessageTooBig, reasonTooBig)
			}
			return
		}
		if typ == websocket.MessageText {
			c.hub.st.commands.Add(1)
			c.command(b)
			continue
		}
		c.hub.st.packets.Add(1)
		c.dispatch(b)
	}
}

// readAll reads one message into the client's buffer (bounded by the read
// limit); a buffer grown by a large message is not kept.
func (c *wsConn) readAll(r io.Reader) ([]byte, error) {
	if cap(c.rbuf) > 64<<10 {
		c.rbuf = nil
	}
	b, err := readMessage(c.rbuf[:0], r)
	if err == nil {
		c.rbuf = b
	}
	return b, err
}

// readMessage appends what r holds, up to io.EOF, to b: one WebSocket
// message, whose size the connection's read limit bounds.
func readMessage(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// command carries out a client's JSON command.
func (c *wsConn) command(b []byte) {
	cmd, path, err := parseCommand(b)
	if err != nil {
		c.hub.st.malformed.Add(1)
		return
	}
	switch cmd {
	case cmdListen:
		limit := orInt(c.h.MaxListens, DefaultMaxListens)
		if len(c.listens) >= limit {
			c.pruneRemoved()
		}
		if len(c.listens) >= limit || !c.ns.listen(c, path) {
			c.hub.st.listensRefused.Add(1)
		}
	case cmdIgnore:
		c.ns.ignore(c, path)
	default:
		c.hub.st.malformed.Add(1)
	}
}

// CommandError reports a WebSocket text message that is not a command this
// server carries out, with the byte offset where reading it failed.
type CommandError struct {
	Offset int64  // byte offset in the message
	Reason string // what is wrong
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("oscquery: command: %s at offset %d", e.Reason, e.Offset)
}

// parseCommand reads a client's command: a JSON object with COMMAND
// (LISTEN or IGNORE) and DATA (an OSC address). Other members are
// ignored.
func parseCommand(b []byte) (cmd, path string, err error) {
	if len(b) > maxCommand {
		return "", "", &CommandError{Offset: maxCommand, Reason: "longer than 4096 bytes"}
	}
	var v struct {
		COMMAND *string
		DATA    any
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&v); err != nil {
		return "", "", &CommandError{Offset: d.InputOffset(), Reason: "not a JSON object with COMMAND and DATA: " + err.Error()}
	}
	if d.More() {
		return "", "", &CommandError{Offset: d.InputOffset(), Reason: "data after the JSON object"}
	}
	if v.COMMAND == nil {
		return "", "", &CommandError{Reason: "no COMMAND"}
	}
	cmd = *v.COMMAND
	if cmd != cmdListen && cmd != cmdIgnore {
		return "", "", &CommandError{Reason: fmt.Sprintf("unknown COMMAND %.40q", cmd)}
	}
	p, ok := v.DATA.(string)
	if !ok {
		return "", "", &CommandError{Reason: "DATA is not a string"}
	}
	if p != "/" && router.ValidAddress(p) != nil {
		return "", "", &CommandError{Reason: fmt.Sprintf("DATA %.80q is not an OSC address", p)}
	}
	return cmd, p, nil
}

// dispatch serves a client's OSC packet as a server serves one from UDP:
// each message of a bundle in turn, at once (Request.Timetag has the
// bundle's timetag). Answers go back to the client.
func (c *wsConn) dispatch(b []byte) {
	h := c.osc
	defer func() {
		if p := recover(); p != nil {
			c.hub.st.panics.Add(1)
		}
	}()
	if wire.IsBundle(b) {
		err := wire.Walk(b, func(m wire.Message, tt wire.Timetag) error {
			c.req.Message, c.req.Timetag, c.req.Method = m, tt, ""
			h.ServeOSC(&c.rw, &c.req)
			return nil
		})
		if err != nil {
			c.hub.st.malformed.Add(1)
		}
		return
	}
	m, err := wire.ParseMessage(b)
	if err != nil {
		c.hub.st.malformed.Add(1)
		return
	}
	c.req.Message, c.req.Timetag, c.req.Method = m, wire.Immediately, ""
	h.ServeOSC(&c.rw, &c.req)
}

// wsWriter answers a WebSocket client: what a handler writes goes back to
// it as binary messages.
type wsWriter struct {
	c   *wsConn
	enc wire.Encoder
	buf []byte
}

var errQueueFull = errors.New("oscquery: WebSocket client's send queue full")

func (w *wsWriter) Write(pkt []byte) (int, error) {
	if err := new(wire.Options).Validate(pkt); err != nil {
		return 0, err
	}
	if !w.c.enqueue(kindBinary, pkt) {
		w.c.hub.st.dropped.Add(1)
		return 0, errQueueFull
	}
	return len(pkt), nil
}

func (w *wsWriter) WriteTo(pkt []byte, _ netip.AddrPort) (int, error) {
	return 0, errors.New("oscquery: a WebSocket client can only be answered on its socket")
}

func (w *wsWriter) Send(address string, args ...wire.Value) error {
	b, err := wire.AppendMessage(w.buf[:0], address, args...)
	if err != nil {
		return err
	}
	w.buf = b
	_, err = w.Write(b)
	return err
}

func (w *wsWriter) SendAny(address string, args ...any) error {
	vs, err := wire.InferAll(args)
	if err != nil {
		return err
	}
	return w.Send(address, vs...)
}

func (w *wsWriter) Encoder() *wire.Encoder { w.enc.Reset(); return &w.enc }

func (w *wsWriter) Flush() error {
	b, err := w.enc.Bytes()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func (w *wsWriter) RemoteAddr() net.Addr {
	if !w.c.remote.IsValid() {
		return nil
	}
	return net.TCPAddrFromAddrPort(w.c.remote)
}
