package osc

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// Client sends OSC packets to one endpoint and reads its replies on the
// same socket. Send and the other sending methods are safe for concurrent
// use; Receive and Serve must be used from one goroutine at a time.
type Client struct {
	ep   netio.Endpoint
	udp  *netio.UDPConn
	unix *netio.UnixConn
	tcp  *netio.StreamConn

	mu  sync.Mutex
	buf []byte
	enc wire.Encoder
	out []netio.OutPacket

	rmu  sync.Mutex
	rpkt [1]netio.Packet
	// The cancellation hook of the last context Receive was given, kept
	// registered while Receive is called with the same one (as Serve does),
	// so that a call costs no allocation: see watch.
	wctx  <-chan struct{} // its Done channel
	wstop func() bool
	wdone chan struct{}
}

// Dial connects a client to endpoint: osc.udp://host:port,
// osc.tcp://host:port (OSC 1.0 int32 size prefixes, as liblo sends and as
// liblo's and SuperCollider's TCP servers read; osc.tcp+slip:// for SLIP
// framing), osc.unix:///path, osc.ws://host:port/path (WebSocket, one
// binary message per packet; osc.wss:// over TLS with the system's roots),
// or a bare host:port or port for UDP. An empty host means the local host.
// Replies are read in either framing. Over WebSocket, a Receive that its
// context ends closes the connection.
func Dial(endpoint string) (*Client, error) {
	return DialContext(context.Background(), endpoint)
}

// DialContext is Dial with a context for the TCP connection setup.
func DialContext(ctx context.Context, endpoint string) (*Client, error) {
	ep, err := netio.ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	c := &Client{ep: ep}
	switch ep.Network {
	case netio.NetworkUDP:
		addr := localIfEmpty(ep.Address)
		c.udp, err = netio.DialUDP("udp", addr, netio.UDPConfig{Batch: 8})
	case netio.NetworkTCP:
		var d net.Dialer
		var conn net.Conn
		conn, err = d.DialContext(ctx, "tcp", localIfEmpty(ep.Address))
		if err == nil {
			f := ep.Framing
			if f == netio.FrameAuto {
				f = netio.FrameSizePrefix
			}
			// A server that stops reading fails a send after the write
			// timeout instead of blocking the client's senders forever.
			c.tcp = netio.NewStreamConn(conn, netio.TCPConfig{SendFraming: f, WriteTimeout: netio.DefaultWriteTimeout})
		}
	case netio.NetworkWS:
		// One binary message per packet; a server that stops reading fails
		// a send after the write timeout.
		c.tcp, err = netio.DialWS(ctx, ep.WebSocketURL(), netio.TCPConfig{WriteTimeout: netio.DefaultWriteTimeout}, netio.WSConfig{})
	case netio.NetworkUnixgram:
		// The socket is bound to an automatic (abstract) address on
		// Linux, so that the server can answer.
		c.unix, err = netio.DialUnixgram(ep.Address, netio.UnixConfig{})
	default:
		err = ErrNotSupported
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func localIfEmpty(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// Send sends a message. It does not allocate once the client is warm.
func (c *Client) Send(address string, args ...wire.Value) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := wire.AppendMessage(c.buf[:0], address, args...)
	if err != nil {
		return err
	}
	c.buf = b
	_, err = c.write(b)
	return err
}

// SendAny sends a message whose arguments are plain Go values, typed as
// wire.InferAll says (python-osc's rules: an int is 'i' or 'h' by size, a
// float 'f', a slice an array). A value with no OSC type is a
// *wire.TypeError and nothing is sent. It allocates; Send with typed
// values is the allocation-free path.
//
//	c.SendAny("/ping", i, "hello", 2.5)
func (c *Client) SendAny(address string, args ...any) error {
	vs, err := wire.InferAll(args)
	if err != nil {
		return err
	}
	return c.Send(address, vs...)
}

// SendAt sends the message wrapped in a bundle timed t: a receiver that
// schedules (as osckit's Server does) delivers it at t.
func (c *Client) SendAt(t time.Time, address string, args ...wire.Value) error {
	return c.SendBundle(wire.TimetagOf(t), func(e *wire.Encoder) {
		e.Message(address)
		for _, a := range args {
			e.Value(a)
		}
		e.End()
	})
}

// SendBundle sends a bundle timed tt whose elements build writes into the
// encoder (messages, and nested bundles with BeginBundle/EndBundle).
func (c *Client) SendBundle(tt wire.Timetag, build func(e *wire.Encoder)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enc.Reset()
	c.enc.BeginBundle(tt)
	build(&c.enc)
	b, err := c.enc.EndBundle().Bytes()
	if err != nil {
		return err
	}
	_, err = c.write(b)
	return err
}

// Write sends one encoded packet.
func (c *Client) Write(pkt []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.write(pkt)
}

func (c *Client) write(pkt []byte) (int, error) {
	switch {
	case c.udp != nil:
		return c.udp.Write(pkt)
	case c.tcp != nil:
		if err := c.tcp.WriteFrame(pkt); err != nil {
			return 0, err
		}
		return len(pkt), nil
	case c.unix != nil:
		return c.unix.Write(pkt)
	}
	return 0, net.ErrClosed
}

// WriteBatch sends several encoded packets with as few system calls as the
// transport allows (sendmmsg for UDP on Linux). It returns how many were
// sent.
func (c *Client) WriteBatch(pkts [][]byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.udp == nil {
		for i, p := range pkts {
			if _, err := c.write(p); err != nil {
				return i, err
			}
		}
		return len(pkts), nil
	}
	c.out = c.out[:0]
	for _, p := range pkts {
		c.out = append(c.out, netio.OutPacket{Data: p})
	}
	n, err := c.udp.WriteBatch(c.out)
	clear(c.out)
	return n, err
}

// Receive waits for the next packet from the server (a reply) until ctx
// ends. The packet aliases the client's buffer and is valid until the next
// Receive. Over TCP or WebSocket, a frame that cannot be read is a
// *FrameError; if it is Recoverable, the next Receive reads on.
//
// Over UDP on Linux, a ctx that can never end (context.Background())
// lets Receive wait in a blocking system call on its thread instead of in
// the Go runtime's poller, which sees a reply a few microseconds sooner;
// Close ends that wait too.
func (c *Client) Receive(ctx context.Context) ([]byte, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The hook is in place before the deadline is set, and ctx is checked
	// after: a hook that ran in between (its deadline overwritten) is seen
	// here, and one that runs later sets its deadline after this one.
	c.watch(ctx)
	dl, _ := ctx.Deadline()
	c.setReadDeadline(dl)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var pkt []byte
	var err error
	switch {
	case c.tcp != nil:
		pkt, err = c.tcp.ReadFrame()
		err = frameError(err)
		if c.tcp.IsWebSocket() {
			// A WebSocket read cannot resume after its deadline passes: the
			// deadline closes the conn. The hook must not outlive this call,
			// or ctx ending later (a cancel after Receive returned) would
			// close a conn that no read is waiting on.
			c.unwatch()
		}
	case c.udp != nil || c.unix != nil:
		if c.udp != nil {
			// A ctx that never ends needs no deadline to cut the wait
			// short: the wait can then be a blocking system call, which
			// sees the reply sooner than the runtime's poller does
			// (netio.UDPConn.SetBlocking). Close still ends it.
			if err = c.udp.SetBlocking(ctx.Done() == nil); err != nil {
				break
			}
		}
		for {
			var n int
			if c.udp != nil {
				n, err = c.udp.ReadBatch(c.rpkt[:])
			} else {
				n, err = c.unix.ReadBatch(c.rpkt[:])
			}
			if err != nil || n == 1 {
				break
			}
		}
		if err == nil {
			pkt = c.rpkt[0].Data
		}
	default:
		err = net.ErrClosed
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The socket's deadline can fire a moment before ctx's timer.
		if !dl.IsZero() && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
			return nil, context.DeadlineExceeded
		}
	}
	return pkt, err
}

// watch makes sure that ctx ending unblocks a read on the socket, by
// setting its read deadline in the past. The hook stays registered for the
// next Receive with the same ctx, which then registers nothing (a hook
// costs three allocations); another ctx first removes it, waiting for it
// if it is running, so that its deadline never outlives its context.
// Contexts are told apart by their Done channels (a context need not be
// comparable; two with the same channel end together). The caller holds
// rmu and sets the read deadline afterwards.
func (c *Client) watch(ctx context.Context) {
	done := ctx.Done()
	if done == c.wctx && done != nil {
		return
	}
	c.unwatch()
	if done == nil {
		return // never ends
	}
	fired := make(chan struct{})
	c.wctx, c.wdone = done, fired
	c.wstop = context.AfterFunc(ctx, func() {
		c.setReadDeadline(time.Unix(1, 0))
		close(fired)
	})
}

// unwatch removes the hook watch registered; rmu is held.
func (c *Client) unwatch() {
	if c.wstop != nil && !c.wstop() {
		<-c.wdone // the hook ran or runs: its deadline must not outlive this call
	}
	c.wctx, c.wstop, c.wdone = nil, nil, nil
}

func (c *Client) setReadDeadline(t time.Time) {
	switch {
	case c.udp != nil:
		c.udp.SetReadDeadline(t)
	case c.tcp != nil:
		c.tcp.NetConn().SetReadDeadline(t)
	case c.unix != nil:
		c.unix.SetReadDeadline(t)
	}
}

// Serve reads packets from the server and dispatches their messages to h
// until ctx ends or the client is closed. Malformed packets are skipped.
// Bundles are dispatched at once, with Request.Timetag set. A handler's
// panic is recovered and logged (the first with its stack, then at most
// once a second) through slog.Default.
func (c *Client) Serve(ctx context.Context, h router.Handler) error {
	w := &replier{udp: c.udp, unix: c.unix, dialed: true}
	if c.tcp != nil {
		w.o.conn = c.tcp
	}
	var req router.Request
	req.Local = c.LocalAddr()
	switch {
	case c.udp != nil:
		req.Remote = c.udp.RemoteAddr()
		w.o.remote = req.Remote
	case c.tcp != nil:
		if ta, ok := c.tcp.RemoteAddr().(*net.TCPAddr); ok {
			ap := ta.AddrPort()
			req.Remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
	}
	var rc recoverer
	for {
		pkt, err := c.Receive(ctx)
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) && fe.Recoverable {
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		_ = wire.Walk(pkt, func(m wire.Message, tt wire.Timetag) error {
			req.Message = m
			req.Timetag = tt
			req.Method = ""
			w.built = false
			rc.serve(h, w, &req, nil, nil)
			return nil
		})
	}
}

// LocalAddr returns the client's own address.
func (c *Client) LocalAddr() net.Addr {
	switch {
	case c.udp != nil:
		return c.udp.LocalAddr()
	case c.tcp != nil:
		return c.tcp.LocalAddr()
	case c.unix != nil:
		return c.unix.LocalAddr()
	}
	return nil
}

// RemoteAddr returns the server's address.
func (c *Client) RemoteAddr() net.Addr {
	switch {
	case c.udp != nil:
		return net.UDPAddrFromAddrPort(c.udp.RemoteAddr())
	case c.tcp != nil:
		return c.tcp.RemoteAddr()
	case c.unix != nil:
		return &net.UnixAddr{Name: c.ep.Address, Net: "unixgram"}
	}
	return nil
}

// Close closes the client's socket.
func (c *Client) Close() error {
	var err error
	switch {
	case c.udp != nil:
		err = c.udp.Close()
	case c.tcp != nil:
		err = c.tcp.Close()
	case c.unix != nil:
		err = c.unix.Close()
	}
	// A Receive in progress returns now that the socket is closed.
	c.rmu.Lock()
	c.unwatch()
	c.rmu.Unlock()
	return err
}
