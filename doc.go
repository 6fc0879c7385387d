// Package osc is osckit's front door: an Open Sound Control Server that
// listens on several sockets at once and a Client that sends to one
// endpoint and reads its replies. Two parts live in their own packages and
// can be used alone:
//
//   - wire encodes and decodes packets, with zero-copy views;
//   - router matches address patterns and dispatches to handlers.
//
// The Server's timetag scheduler and its transports (UDP with
// recvmmsg/sendmmsg batches, TCP with size-prefix or SLIP framing,
// WebSocket with one binary message a packet as osc.js sends, UNIX datagram
// sockets) are internal: what a program sets about them is configuration on
// the Server, so they can change without breaking a caller.
//
// # Serving
//
// A Server is configured through its fields and opened with Listen, once
// per endpoint (oscpy's listen). Callbacks are bound to addresses or
// patterns with Handle and HandleFunc (oscpy's bind), on the server's own
// router while its Handler is nil, or on a *router.Router set as Handler:
//
//	var srv osc.Server
//	srv.HandleFunc("/synth/1/freq", func(w osc.ResponseWriter, req *osc.Request) {
//		fmt.Println(req.Message.AnyArgs()) // plain Go values
//		w.SendAny("/ack", true)
//	})
//	ep, err := srv.Listen("osc.udp://:9000", nil)
//
// A Client sends with Send (typed wire.Values, the allocation-free path)
// or SendAny (plain Go values: c.SendAny("/ping", i)), and reads replies.
// Without a Client, the package-level SendAny sends one message to a URL,
// keeping the client it dials for the next call, as http.Get beside
// http.Client:
//
//	err := osc.SendAny("osc.udp://127.0.0.1:9000", "/ping", i)
//
// # Sending: one call per need
//
//	need                  Client                  ResponseWriter (a reply)      Endpoint, Server
//	a message now         Send, SendAny           Send, SendAny                 -
//	a message at a time   SendAt                  Encoder + Flush               -
//	a bundle              SendBundle(tt, build)   Encoder + Flush               -
//	raw bytes             Write                   Write; WriteTo another port   WriteTo; WriteToPath (UNIX)
//	a batch of packets    WriteBatch              -                             -
//
// Send takes wire.Values, SendAny plain Go values; the names are the same
// on the Client and in a handler, and the package-level SendAny is the
// Client's for one message to a URL. A Client may be shared by goroutines, so
// it builds a bundle inside SendBundle's callback while it holds its lock;
// a ResponseWriter belongs to one handler call and lends its encoder
// instead (Encoder, then Flush), which is also the reply's
// allocation-free path: Send through the ResponseWriter interface costs
// one allocation for its arguments. An Endpoint or the Server sends only
// encoded packets, to an address of the caller's choosing (oscpy's
// send_message from a server: wire.AppendMessage, then WriteTo).
//
// # Where the handler contract lives
//
// Handler, HandlerFunc, Request and ResponseWriter are defined in package
// router, because the router dispatches them and the dependency runs
// wire <- router <- osc; this package names them too, as aliases, so that
// the common program (a server with bound callbacks, a client) imports osc
// alone, as a net/http program imports net/http alone. net/http and
// miekg/dns keep the contract beside the Server; here it cannot live only
// in osc without the router importing the server, or without a package of
// its own that every program would import besides.
//
// The contract is defined once: Server, Client.Serve, Inbox and Router all
// take a router.Handler, and a function of the aliased signature is one.
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
// ListenDefault opens the default endpoint, the one Server.WriteTo sends
// from (oscpy's listen(default=True)); there is at most one. Endpoint.Close
// stops one socket (oscpy's stop): closing every endpoint (stop_all)
// leaves a server that listens again. Server.Close ends the server, and
// Server.Shutdown waits for handlers in flight and for the scheduler to
// deliver or drop what it still holds (terminate_server and join_server).
//
// What oscpy's /_oscpy/routes and /_oscpy/version answer is read-only data
// here: Router.Bindings lists the bound addresses and patterns,
// Server.Endpoints the bound sockets (Endpoint.Addr, Endpoint.URL), and
// Version the module's version (oscli version prints it). An Inbox turns
// the handler calls into a channel or an iterator, for code that would
// rather pull.
//
// # Decisions on the specification
//
// Where OSC 1.0, OSC 1.1 and the common peers disagree, the Server and the
// Client rely on these choices (package wire records those of the codec,
// package router those of matching):
//
//   - osc.tcp:// sends OSC 1.0 frames, each packet after its length as a
//     big-endian int32, as liblo does and as liblo's servers and scsynth
//     read them; osc.tcp+slip:// sends OSC 1.1 SLIP frames (END before and
//     after each packet). A TCP endpoint detects the framing of each
//     connection from its first byte (0xC0 starts SLIP), so it reads both
//     kinds of peer; osc.tcp+size:// and osc.tcp+slip:// fix it.
//   - a packet is validated whole before any of its messages is
//     dispatched, so a malformed bundle delivers nothing; the messages of
//     a bundle are dispatched in order with nothing in between (see
//     Server), and a nested bundle, which OSC 1.0 leaves out of that
//     atomicity, is dispatched at its own time.
//   - a bundle whose time has passed is dispatched at once (DeliverLate),
//     as liblo and python-osc do; ScheduleConfig.Late can drop it instead.
//     A nested bundle timed "immediately" runs at its parent's time.
//   - one UDP datagram is one packet, read into a 64 KiB buffer; a TCP
//     frame is capped by MaxFrame before anything is allocated for it.
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
