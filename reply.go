package osc

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"

	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/wire"
)

// replier is the one router.ResponseWriter of osckit: a server's shards
// and hooks and a Client's Serve each own one, reused for every request
// and pointed at the request's origin before the handler runs.
//
// A reply built in Encoder can only be flushed during the request it was
// built for: the reply state is reset before every request, and Flush
// without a reply built returns ErrNoReply.
type replier struct {
	// Written for every request: kept together at the front.
	o     origin
	built bool

	udp    *netio.UDPConn
	unix   *netio.UnixConn
	dialed bool      // the socket is connected to its one peer (a Client's)
	e      *Endpoint // the server's, to count and log dropped replies; nil for a Client
	enc    wire.Encoder
	pkt    Packet // the packet an Accept hook is shown
}

// bind points r at an endpoint's socket.
func (r *replier) bind(e *Endpoint) {
	r.udp, r.unix, r.e = e.udp, e.unix, e
}

// Write sends pkt to the sender from the socket the request came in on.
// It never waits for a peer: on a server, a reply that a TCP connection's
// send queue, a UDP socket buffer or a UNIX peer's queue cannot take at
// once is dropped, counted in Stats.ReplyDrops, and its error returned.
func (r *replier) Write(pkt []byte) (int, error) {
	n, err := r.write(pkt)
	if err != nil {
		r.dropped(err)
	}
	return n, err
}

// dropped counts and logs (once a second) a reply the socket could not
// take at once.
func (r *replier) dropped(err error) {
	if r.e == nil || !(errors.Is(err, netio.ErrWouldBlock) || errors.Is(err, netio.ErrSendQueueFull)) {
		return
	}
	r.e.st.replyDrops.Add(1)
	r.e.reportConn(replyDropped, "osc: reply dropped: the peer is not reading fast enough",
		slog.String("to", r.o.String()), slog.String("error", err.Error()))
}

func (r *replier) write(pkt []byte) (int, error) {
	switch {
	case r.o.conn != nil:
		if err := r.o.conn.WriteFrame(pkt); err != nil {
			return 0, err
		}
		return len(pkt), nil
	case r.dialed && r.udp != nil:
		return r.udp.Write(pkt)
	case r.dialed && r.unix != nil:
		return r.unix.Write(pkt)
	case r.udp != nil && !r.o.local.IsValid():
		return r.udp.WriteTo(pkt, r.o.remote)
	case r.udp != nil:
		return r.udp.WriteToFrom(pkt, r.o.remote, r.o.local)
	case r.unix != nil:
		if len(r.o.path) == 0 {
			return 0, ErrNoReplyAddress
		}
		return r.unix.WriteTo(pkt, r.o.path)
	}
	return 0, ErrNotSupported
}

// WriteTo sends pkt from the receiving UDP socket to another address, for
// example the sender's host on another port (oscpy's answer(port=...)).
func (r *replier) WriteTo(pkt []byte, to netip.AddrPort) (int, error) {
	if r.udp == nil || r.dialed {
		return 0, ErrNotSupported
	}
	n, err := r.udp.WriteToFrom(pkt, to, r.o.local)
	if err != nil {
		r.dropped(err)
	}
	return n, err
}

// Send sends a message to the sender, as Write does.
func (r *replier) Send(address string, args ...wire.Value) error {
	r.built = false
	r.enc.Reset()
	r.enc.Message(address)
	for _, a := range args {
		r.enc.Value(a)
	}
	b, err := r.enc.End().Bytes()
	if err != nil {
		return err
	}
	_, err = r.Write(b)
	return err
}

// SendAny sends a message of plain Go values (wire.InferAll) to the
// sender.
func (r *replier) SendAny(address string, args ...any) error {
	vs, err := wire.InferAll(args)
	if err != nil {
		return err
	}
	return r.Send(address, vs...)
}

// Encoder returns the replier's encoder, reset.
func (r *replier) Encoder() *wire.Encoder {
	r.enc.Reset()
	r.built = true
	return &r.enc
}

// Flush sends the packet built in Encoder during this request to the
// sender.
func (r *replier) Flush() error {
	if !r.built {
		return ErrNoReply
	}
	r.built = false
	b, err := r.enc.Bytes()
	if err != nil {
		return err
	}
	_, err = r.Write(b)
	return err
}

// RemoteAddr returns the sender's address.
func (r *replier) RemoteAddr() net.Addr {
	switch {
	case r.o.conn != nil:
		return r.o.conn.RemoteAddr()
	case len(r.o.path) > 0:
		return &net.UnixAddr{Name: string(r.o.path), Net: "unixgram"}
	case r.o.remote.IsValid():
		return net.UDPAddrFromAddrPort(r.o.remote)
	}
	return nil
}
