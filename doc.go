// Package osc is osckit's front door: an Open Sound Control Server that
// listens on several sockets at once and a Client that sends to one
// endpoint and reads its replies. The parts live in their own packages and
// can be used alone:
//
//   - wire encodes and decodes packets, with zero-copy views;
//   - router matches address patterns and dispatches to handlers;
//   - sched delivers timetagged bundles at their time;
//   - netio moves packets over UDP (recvmmsg/sendmmsg batches), TCP (size
//     prefix or SLIP framing), WebSocket (one binary message a packet, as
//     osc.js sends) and UNIX datagram sockets.
//
// # Serving
//
// A Server is configured through its fields and opened with Listen, once
// per endpoint (oscpy's listen). Handlers are router.Handler values, most
// often a *router.Router on which callbacks are bound to addresses (oscpy's
// bind and unbind):
//
//	r := router.New()
//	r.HandleFunc("/synth/1/freq", func(w router.ResponseWriter, req *router.Request) {
//		f, _ := req.Message.Arg(0)
//		...
//	})
//	srv := &osc.Server{Handler: r}
//	ep, err := srv.Listen("osc.udp://:9000", nil)
//
// Inside a handler, the ResponseWriter answers the sender from the socket
// the message came in on (oscpy's answer): the same UDP port, the same TCP
// connection, or the sender's UNIX socket. WriteTo answers another port.
// On a UDP endpoint bound to a wildcard address the answer leaves from the
// address the sender used (IP_PKTINFO on Linux), so that a peer that sent
// to one of several addresses of the host hears it.
//
// # WebSocket
//
// osc.ws://host:port/path (osc.wss:// with a certificate in
// Server.WebSocket.TLS) serves OSC to browsers and osc.js: each binary
// message is one packet, and a WebSocket connection is served as a TCP
// one, with the same MaxConns, MaxFrame, timeouts, send queue and
// counters; replies go back on the same WebSocket. To share a port with a
// web page or an OSCQuery description, mount an endpoint of
// Server.WebSocketHandler on an existing mux:
//
//	ep, err := srv.WebSocketHandler(nil)
//	mux.Handle("/osc", ep)
//
// Pages from other origins are refused unless Server.WebSocket allows them
// (tools that send no Origin header are always accepted).
//
// Endpoint.Close stops one socket (oscpy's stop), Server.Close all of them
// (stop_all), and Server.Shutdown waits for handlers in flight and for the
// scheduler to deliver or drop what it still holds (terminate_server and
// join_server). An Inbox turns the handler calls into a channel or an
// iterator, for code that would rather pull.
//
// # Buffer lifetimes
//
// The Request a handler receives, its Message and every argument view alias
// the endpoint's receive buffer and are valid only until the handler
// returns. Call req.Clone or req.Message.Clone to keep them, and copy before
// handing anything to another goroutine.
//
// # Packet hooks
//
// Server.Accept sees every packet (a datagram, or a TCP frame) with its
// origin before it is decoded, and can answer it, let it through or drop
// it; Server.Invalid hears about every malformed one, with the error and
// its byte offset. oscli dump and oscli echo are built on them.
//
// # Robustness
//
// One serve path handles every transport, and no peer can stall another:
//
//   - a malformed packet is counted, handed to Invalid and reported through
//     the Logger (at most once a second, with the sender and the offending
//     bytes), and the endpoint keeps serving;
//   - a handler's panic is recovered by the server, whatever the handler
//     is, counted and logged (the first with its stack, then at most one
//     record a second);
//   - every TCP connection reads with a frame cap (MaxFrame), an idle
//     timeout and a frame timeout that runs from a frame's first byte to
//     its last, into a buffer that grows on demand from 512 bytes; replies
//     go through the connection's own bounded queue (SendQueue), written by
//     its own goroutine with a deadline, and a peer that does not read them
//     is disconnected rather than waited for;
//   - connections are capped (MaxConns), accept failures are logged and
//     retried with backoff, and scheduled bundles are bounded in count and
//     in bytes.
//
// Whatever is lost is counted in Stats: malformed, filtered, refused,
// dropped, refused connections, slow peers.
package osc
