package osc

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/osckit/osc/netio"
	"github.com/osckit/osc/wire"
)

func (e *Endpoint) openUDP() error {
	network := "udp"
	host, _, _ := net.SplitHostPort(e.ep.Address)
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		network = "udp4"
	}
	c, err := netio.ListenUDP(network, e.ep.Address, e.srv.UDP)
	if err != nil {
		return err
	}
	e.udp = c
	e.addr = c.LocalAddr()
	return nil
}

func (e *Endpoint) openTCP() error {
	l, err := net.Listen("tcp", e.ep.Address)
	if err != nil {
		return err
	}
	e.tcp = l
	e.addr = l.Addr()
	return nil
}

// streamConn is one accepted TCP connection.
type streamConn struct {
	c net.Conn
	w *netio.StreamWriter
}

func (e *Endpoint) acceptLoop() {
	defer e.srv.wg.Done()
	defer e.readers.Done()
	delay := time.Duration(0)
	for {
		c, err := e.tcp.Accept()
		if err != nil {
			if e.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off and retry.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		e.st.conns.Add(1)
		e.srv.wg.Add(1)
		e.readers.Add(1)
		go e.serveConn(c)
	}
}

func (e *Endpoint) serveConn(c net.Conn) {
	defer e.srv.wg.Done()
	defer e.readers.Done()
	send := e.ep.Framing
	if send == netio.FrameAuto {
		send = netio.FrameSLIP
	}
	sc := &streamConn{c: c, w: netio.NewStreamWriter(c, send)}
	e.conns.Store(sc, struct{}{})
	defer func() {
		e.conns.Delete(sc)
		c.Close()
	}()
	if e.isClosed() {
		return
	}
	var remote netip.AddrPort
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		remote = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	idle := e.srv.IdleTimeout
	if idle == 0 {
		idle = 5 * time.Minute
	}
	stall := e.srv.FrameTimeout
	if stall == 0 {
		stall = 10 * time.Second
	}
	dr := &deadlineReader{c: c, idle: idle, stall: stall}
	r := netio.NewStreamReader(dr, e.ep.Framing, e.srv.MaxFrame)
	dr.sr = r
	sh := e.shards[0]
	detected := false
	for {
		frame, err := r.ReadFrame()
		if err != nil {
			var fe *netio.FrameError
			if errors.As(err, &fe) && fe.Recoverable {
				e.st.malformed.Add(1)
				e.reportMalformed(nil, origin{remote: remote}, err)
				continue
			}
			if errors.As(err, &fe) {
				e.st.malformed.Add(1)
				e.reportMalformed(nil, origin{remote: remote}, err)
			}
			return
		}
		if !detected && e.ep.Framing == netio.FrameAuto {
			// Answer in the framing the peer speaks.
			detected = true
			sc.w.SetFraming(r.Framing())
		}
		e.st.packets.Add(1)
		e.st.bytes.Add(uint64(len(frame)))
		e.submit(sh, frame, origin{remote: remote, conn: sc})
	}
}

// deadlineReader sets a connection's read deadline before every read: the
// idle timeout between frames, the stall timeout inside one.
type deadlineReader struct {
	c           net.Conn
	sr          *netio.StreamReader
	idle, stall time.Duration
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	t := d.idle
	if d.sr.InFrame() {
		t = d.stall
	}
	if t > 0 {
		d.c.SetReadDeadline(time.Now().Add(t))
	}
	return d.c.Read(p)
}

func (e *Endpoint) openUnix() error {
	c, err := netio.ListenUnixgram(e.ep.Address, netio.UnixConfig{
		Batch:        e.srv.UDP.Batch,
		BufSize:      e.srv.UDP.BufSize,
		ReadBuffer:   e.srv.UDP.ReadBuffer,
		ReplaceStale: e.srv.ReplaceStaleSocket,
		Logger:       e.srv.UDP.Logger,
	})
	if err != nil {
		return err
	}
	e.unix = c
	e.addr = c.LocalAddr()
	return nil
}

// responder is the ResponseWriter handed to handlers. Each shard owns one,
// reused for every message.
type responder struct {
	e   *Endpoint
	o   origin
	enc wire.Encoder
}

// Write sends pkt to the sender from the socket the request came in on.
func (r *responder) Write(pkt []byte) (int, error) {
	switch {
	case r.o.conn != nil:
		if err := r.o.conn.w.WriteFrame(pkt); err != nil {
			return 0, err
		}
		return len(pkt), nil
	case r.e.udp != nil:
		return r.e.udp.WriteToFrom(pkt, r.o.remote, r.o.local)
	case r.e.unix != nil:
		if len(r.o.path) == 0 {
			return 0, ErrNoReplyAddress
		}
		return r.e.unix.WriteTo(pkt, r.o.path)
	}
	return 0, ErrNotSupported
}

// WriteTo sends pkt from the receiving UDP socket to another address, for
// example the sender's host on another port (oscpy's answer(port=...)).
func (r *responder) WriteTo(pkt []byte, to netip.AddrPort) (int, error) {
	if r.e.udp == nil {
		return 0, ErrNotSupported
	}
	return r.e.udp.WriteToFrom(pkt, to, r.o.local)
}

// Encoder returns the responder's encoder, reset.
func (r *responder) Encoder() *wire.Encoder {
	r.enc.Reset()
	return &r.enc
}

// Flush sends the packet built in Encoder to the sender.
func (r *responder) Flush() error {
	b, err := r.enc.Bytes()
	if err != nil {
		return err
	}
	_, err = r.Write(b)
	return err
}

// RemoteAddr returns the sender's address.
func (r *responder) RemoteAddr() net.Addr {
	switch {
	case r.o.conn != nil:
		return r.o.conn.c.RemoteAddr()
	case len(r.o.path) > 0:
		return &net.UnixAddr{Name: string(r.o.path), Net: "unixgram"}
	case r.o.remote.IsValid():
		return net.UDPAddrFromAddrPort(r.o.remote)
	}
	return nil
}

// LocalAddr returns the receiving socket's address.
func (r *responder) LocalAddr() net.Addr { return r.e.addr }
