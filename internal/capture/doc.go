// Package capture reads and writes recordings of received OSC packets:
// pcapng files that Wireshark and tshark open and decode, classic pcap and
// pcapng files written by tcpdump or Wireshark, and JSON lines for scripts.
//
// # Records
//
// A [Record] is one packet as an endpoint received it: its bytes untouched
// (malformed ones too, marked), its arrival time in nanoseconds since the
// recording started (monotonic clock), the sender, the transport and the
// receiving endpoint. A recording's [Header] holds the wall clock at the
// start.
//
// # pcapng encapsulation
//
// Every receiving endpoint is one interface (Interface Description Block,
// if_tsresol 9, so timestamps are in nanoseconds; if_name is the
// endpoint's URL, if_description "osc udp", "osc tcp slip", "osc tcp size"
// or "osc unix"). Every packet is one Enhanced Packet Block whose
// timestamp is the wall clock at the start plus the arrival offset.
//
//   - UDP: link type RAW (101), an IPv4 or IPv6 header and a UDP header
//     synthesized from the real source and receiving addresses, then the
//     datagram.
//   - TCP: link type RAW, an IPv4 or IPv6 header and a TCP segment (PSH,
//     ACK) per OSC packet, carrying the packet framed as on the stream
//     (SLIP, or the int32 size prefix), sequence numbers counting the
//     bytes of each connection. The framing is the endpoint's (SLIP when
//     it detects the peer's).
//   - UNIX datagram sockets, which have no IP header: link type
//     WIRESHARK_UPPER_PDU (252) naming the heuristic dissector "osc_udp",
//     then the packet; the sender's socket path is the block's comment
//     "unix-source: PATH".
//   - WebSocket (if_description "osc ws"): one binary message is one OSC
//     packet, so the packet is exported like a UNIX one (link type 252,
//     "osc_udp"), with the connection's addresses in the exported-PDU
//     tags (IPv4 or IPv6 source and destination, port type TCP, source
//     and destination ports), which tshark shows as the packet's source
//     and destination (fields exported_pdu.ipv4_src and so on). The HTTP
//     handshake, the frame headers and masking, and control frames are
//     not recorded: the packet is the message's payload, as the
//     endpoint delivered it.
//
// Wireshark's OSC dissectors are off by default: decode with
//
//	tshark -r FILE --enable-heuristic osc_udp -d tcp.port==PORT,osc
//
// (osc_udp covers UDP and UNIX; TCP needs its port named).
//
// A malformed packet carries the comment "malformed: ERROR"; a TCP framing
// error is recorded as an empty packet with that comment.
//
// # Reading
//
// [NewReader] detects the format from the first bytes. Besides this
// package's own files it reads UDP packets, and TCP streams with either
// framing (reassembled in arrival order; retransmissions are not
// recognised), and exported PDUs, from pcap and pcapng captures with Ethernet, Linux cooked
// (SLL, SLL2), BSD loopback and raw IP link types. Hostile input yields a
// *FormatError with the byte offset; no block larger than MaxBlock is
// read into memory.
package capture
