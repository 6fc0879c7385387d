package router

import (
	"net"
	"net/netip"
	"time"

	"github.com/osckit/osc/wire"
)

// A Handler responds to one OSC message.
//
// ServeOSC must not keep r, or anything reachable from it, after it
// returns: see Request. A Handler may be called from several goroutines at
// once.
type Handler interface {
	ServeOSC(w ResponseWriter, r *Request)
}

// HandlerFunc lets an ordinary function be used as a Handler.
type HandlerFunc func(w ResponseWriter, r *Request)

// ServeOSC calls f(w, r).
func (f HandlerFunc) ServeOSC(w ResponseWriter, r *Request) { f(w, r) }

// Request describes one dispatched message.
//
// # Lifetime
//
// r and everything reachable from it, the Message and its argument views
// above all, are valid only until ServeOSC returns: the server reuses the
// receive buffer and the Request for the next packet, and the Router
// reuses the Request for every handler of one message. Call
// r.Message.Clone() (or r.Clone()) to keep it.
type Request struct {
	Message wire.Message   // view of the received message
	Timetag wire.Timetag   // effective timetag of the enclosing bundle, or wire.Immediately for a bare message
	Late    time.Duration  // how late the dispatch is relative to Timetag (0 when on time or immediate)
	Remote  netip.AddrPort // the sender (UDP, TCP); zero for UNIX sockets (see ResponseWriter.RemoteAddr)
	Local   net.Addr       // the receiving socket's address (set by the server, not allocated per packet)
	Method  string         // the registered address or pattern that matched (set by the router)
}

// Clone returns a copy of r that owns a copy of the message bytes, so that
// it stays valid after the handler returns. Local is shared: it is not
// per packet.
func (r *Request) Clone() *Request {
	c := *r
	c.Message = r.Message.Clone()
	return &c
}

// ResponseWriter answers the sender of the request. The server implements
// it; routertest.Recorder records what a handler writes.
//
// A ResponseWriter is valid only until ServeOSC returns: the server reuses
// it for the next request, possibly from another peer. To answer later,
// keep the sender's address (Request.Remote) and send from the endpoint
// (osc.Endpoint.WriteTo) or a client.
type ResponseWriter interface {
	// Write sends an encoded packet to the sender, from the socket the
	// request came in on (UDP: same local port; TCP: same connection,
	// framed; unixgram: to the sender's path).
	Write(pkt []byte) (int, error)
	// WriteTo sends from the receiving socket to another address, for
	// example the sender's host on another port.
	WriteTo(pkt []byte, to netip.AddrPort) (int, error)
	// Send sends a message to the sender, as Write does. Through an
	// interface the variadic arguments escape: a call with arguments costs
	// one allocation (their slice). Encoder and Flush build and send a
	// reply, a message or a bundle, without allocating: the fast path.
	Send(address string, args ...wire.Value) error
	// SendAny sends a message of plain Go values to the sender, typed as
	// wire.InferAll says; a value with no OSC type is a *wire.TypeError.
	SendAny(address string, args ...any) error
	// Encoder returns a reset encoder owned by the writer; Flush sends the
	// packet built in it.
	Encoder() *wire.Encoder
	// Flush sends the packet built in Encoder to the sender.
	Flush() error
	// RemoteAddr returns the sender's address. It may allocate; prefer
	// Request.Remote for IP transports. (The receiving socket's address
	// is Request.Local.)
	RemoteAddr() net.Addr
}
