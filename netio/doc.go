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
// is one recvmmsg(2) and one WriteBatch one sendmmsg(2), issued through the
// runtime poller so deadlines and Close work as with any net.Conn. Once warm
// neither allocates.
//
// # Streams
//
// OSC over a byte stream needs framing (OSC 1.0: int32 big-endian size
// prefix; OSC 1.1: SLIP with an END byte before and after each packet).
// [StreamReader] splits a stream into frames, detecting the framing from the
// first byte unless told; [AppendFrame] and [StreamWriter] produce frames.
// [ListenTCP] and [DialTCP] wrap TCP connections as [StreamConn] values with
// idle and partial-frame timeouts.
//
// # Endpoints
//
// [ParseEndpoint] reads liblo-style URLs: osc.udp://host:port,
// osc.tcp://host:port (with optional +slip or +size), osc.unix:///path,
// and bare host:port or port for UDP.
//
// # Lifetime
//
// Packet.Data (and Packet.Path) alias buffers owned by the conn and are
// valid only until the next ReadBatch on that conn; a frame returned by
// StreamReader.ReadFrame is valid until the next ReadFrame. Call
// [Packet.Clone] (or bytes.Clone) to retain one, and copy before handing data
// to another goroutine.
package netio
