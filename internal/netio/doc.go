// Package netio is osckit's transport layer: UDP with batched system calls,
// UNIX datagram sockets, TCP streams with OSC framing, and endpoint URLs.
// It knows nothing of OSC beyond framing; the root package builds servers
// and clients on it.
//
// # Datagrams
//
// [UDPConn] and [UnixConn] read many datagrams per call with ReadBatch,
// which fills a caller-owned []Packet from buffers the conn preallocates
// and reuses, and write with WriteTo and WriteBatch. On Linux one ReadBatch
// is one recvmmsg(2) and one WriteBatch one sendmmsg(2); deadlines and Close
// work as with any net.Conn. A socket that ListenUDP or DialUDP opens joins
// the runtime's poller (through package net) only when a call needs it: a
// read or a write that has to wait there, or a deadline. In blocking mode
// (SetBlocking) none does, and the datagrams that reach the socket wake no
// poller thread. Once warm neither reads nor writes allocate.
//
// # Streams
//
// OSC over a byte stream needs framing (OSC 1.0: int32 big-endian size
// prefix; OSC 1.1: SLIP with an END byte before and after each packet).
// [StreamReader] splits a stream into frames, detecting the framing from the
// first byte unless told; [AppendFrame] produces frames. [NewStreamConn]
// wraps a connection (TCP, or any net.Conn) as a [StreamConn] with idle and
// partial-frame timeouts and a bounded send queue. The TCP listener and the
// stream writer the tests use are not exported: the osc package's Server is
// the one serving path.
//
// # WebSocket
//
// [AcceptWS] and [DialWS] wrap a WebSocket (github.com/coder/websocket) as
// a [StreamConn]: one binary message is one frame, with the same limits,
// timeouts and send queue as a TCP conn. Text messages are refused with
// close status 1003, messages over MaxFrame with 1009.
//
// # Endpoints
//
// [ParseEndpoint] reads liblo-style URLs: osc.udp://host:port,
// osc.tcp://host:port (with optional +slip or +size), osc.unix:///path,
// osc.ws://host:port/path and osc.wss://host:port/path,
// and bare host:port or port for UDP.
//
// # Options
//
// [UDPConfig] requests a 4 MiB receive buffer by default (SO_RCVBUFFORCE,
// then SO_RCVBUF, with a one-time slog warning naming net.core.rmem_max when
// the kernel grants less), and offers SO_REUSEPORT, multicast (listening on
// a group address joins it; interface, TTL and loopback are configurable)
// and UDP GRO. [UDPConn.WriteSegments] sends equal-size datagrams with UDP
// GSO. Package net already sets SO_BROADCAST on every UDP socket. The
// environment variable OSC_DISABLE_MMSG=1 turns recvmmsg/sendmmsg off.
//
// Every UDP socket asks for the kernel's count of the datagrams it dropped
// (SO_RXQ_OVFL), which [UDPConn.Drops] returns: a reader that falls behind
// loses datagrams in the kernel, and this is the only place that shows it.
// The kernel hands the count over with the next datagram that does arrive.
// UNIX datagram sockets lose nothing on the receiving side (the sender
// waits instead) and report no count.
//
// A socket bound to a wildcard address (0.0.0.0 or ::) asks for each
// datagram's destination address (IP_PKTINFO, IPV6_RECVPKTINFO), reports
// it as [Packet.Local], and [UDPConn.WriteToFrom] answers from it: on a
// host with several addresses, an answer must leave from the address the
// peer sent to, or a peer with a connected socket never sees it.
//
// # Platforms
//
// Everything above is implemented on Linux. Elsewhere the package builds
// and degrades:
//
//   - Packet.Local stays invalid and WriteToFrom is WriteTo;
//   - ReadBatch returns one datagram per call (ReadFromUDPAddrPort) and
//     WriteBatch loops over single writes;
//   - UNIX datagram reads allocate the sender's address, and replies
//     allocate one; DialUnixgram without LocalPath leaves the socket
//     unbound (no autobind), so the peer cannot reply;
//   - the receive buffer is requested with SetReadBuffer and not checked;
//   - ReusePort fails; multicast groups are joined only by listening on a
//     group address (through package net, with loopback off), and JoinGroup
//     returns errors.ErrUnsupported; MulticastInterface, MulticastTTL,
//     DisableMulticastLoop and GRO are ignored;
//   - WriteSegments sends one datagram per call;
//   - UDPConn.Drops returns 0.
//
// UNIX datagram sockets do not exist on Windows (ListenUnixgram fails).
//
// # Lifetime
//
// Packet.Data (and Packet.Path) alias buffers owned by the conn and are
// valid only until the next ReadBatch on that conn; a frame returned by
// StreamReader.ReadFrame is valid until the next ReadFrame. Call
// [Packet.Clone] (or bytes.Clone) to retain one, and copy before handing data
// to another goroutine.
package netio
