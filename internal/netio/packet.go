package netio

import "net/netip"

// Packet is one received datagram (or one GRO segment of it).
//
// # Lifetime
//
// Data and Path alias buffers owned by the conn that filled the Packet and
// are valid only until the next ReadBatch on that conn (or its Close). Call
// Clone to retain a Packet, and copy before handing it to another goroutine.
// Addr is a plain value and may be kept freely.
type Packet struct {
	// Data is the datagram payload.
	Data []byte
	// Addr is the sender of a UDP datagram, with IPv4-mapped IPv6
	// addresses unmapped (so replies work on IPv4 and dual-stack sockets).
	// It is the zero AddrPort on UNIX sockets.
	Addr netip.AddrPort
	// Path is the socket path of a UNIX datagram sender: a filesystem path,
	// or "@name" for a Linux abstract (or autobound) socket. It is empty for
	// UDP and for unbound senders, which cannot be replied to. Pass it to
	// UnixConn.WriteTo to reply without allocating.
	Path []byte
	// Local is the address the datagram was sent to, when the socket is
	// bound to a wildcard address (0.0.0.0 or ::) on Linux (IP_PKTINFO);
	// it is invalid otherwise, and for datagrams sent to a multicast or
	// broadcast address. Pass it to UDPConn.WriteToFrom to answer from the
	// address the peer used.
	Local netip.Addr
	// Truncated reports a datagram larger than the receive buffer
	// (MSG_TRUNC); Data then holds only its first bytes and should
	// normally be dropped.
	Truncated bool
}

// Clone returns a copy of p whose Data and Path are freshly allocated (in one
// allocation), so it stays valid after the next ReadBatch.
func (p *Packet) Clone() Packet {
	b := make([]byte, len(p.Data)+len(p.Path))
	n := copy(b, p.Data)
	copy(b[n:], p.Path)
	q := Packet{Data: b[:n:n], Addr: p.Addr, Local: p.Local, Truncated: p.Truncated}
	if len(p.Path) > 0 {
		q.Path = b[n:]
	}
	return q
}

// OutPacket is one datagram for WriteBatch.
type OutPacket struct {
	Data []byte
	Addr netip.AddrPort // destination; ignored on a connected (dialed) conn
}
