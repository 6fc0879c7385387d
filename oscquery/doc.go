// Package oscquery describes an OSC address space and serves it over HTTP
// as the OSCQuery proposal (Vidvox/OSCQueryProposal) specifies, so that
// other applications can find out which addresses a server has, the types
// and ranges they accept and their current values.
//
// # Namespace
//
// A Namespace is a tree of nodes: methods (leaves) and containers. Each
// Node carries the proposal's attributes: FULL_PATH, CONTENTS, TYPE,
// ACCESS, VALUE, RANGE, DESCRIPTION, TAGS, EXTENDED_TYPE, UNIT, CLIPMODE,
// CRITICAL and OVERLOADS. Add declares a node (and the containers above
// it); Observe, or the router.Handler that Handler returns, keeps the
// VALUE of every readable node equal to the arguments of the last message
// received for it whose type tags fit its TYPE. A Namespace is safe for
// concurrent use.
//
// # JSON
//
// Node and Namespace read and write the proposal's JSON. Values map to
// JSON by OSC type:
//
//	i f h d     number
//	t           number: the 64-bit NTP value (JavaScript rounds it above 2^53)
//	s S c       string
//	r           string "#RRGGBBAA"
//	T F         true, false
//	b m N I     null
//	[ ... ]     array
//
// VALUE, RANGE, UNIT, EXTENDED_TYPE and CLIPMODE are always written as
// arrays with one entry per type tag, nested like the arrays of TYPE,
// with null as the placeholder of an entry that has nothing: the proposal
// allows a single entry instead, but some clients (VRChat's library among
// them) read VALUE only as an array. Reading accepts both. In Go, Range,
// Unit, ExtendedType and ClipMode are flat (one entry per type tag, in
// order) and Value holds wire.Values as a message's arguments would.
//
// # HTTP
//
// Handler is an http.Handler: GET /a/b answers the node /a/b with its
// subtree, GET /a/b?VALUE only that attribute, and ?HOST_INFO (or the path
// /HOST_INFO) the HostInfo that says where the OSC server is (OSC_IP,
// OSC_PORT, OSC_TRANSPORT) and which optional features the server has
// (EXTENSIONS). Handler.Serve is a ready server for it, with timeouts
// fit for a public port. Client, Fetch, FetchHostInfo and FetchAttribute
// read another server's namespace.
//
// # From a router
//
// Describe wraps a handler with the attributes of the node it serves;
// AddBindings adds a node for every address a router has a handler bound
// to, with those attributes or with the binding's type filter as TYPE.
// With the server's handler wrapped by Namespace.Handler, the VALUE of a
// node is the last message dispatched to it.
//
// # WebSocket
//
// Handler also serves the proposal's WebSocket on the same port: a request
// that asks for an upgrade becomes a client connection. Text messages are
// JSON commands, {"COMMAND": "LISTEN", "DATA": "/a/b"} and IGNORE (the
// node itself, not its children); the server sends PATH_ADDED,
// PATH_CHANGED, PATH_REMOVED (DATA the path) and PATH_RENAMED (DATA
// {"OLD", "NEW"}) when Add, Remove, Rename, AddBindings or UnmarshalJSON
// change the namespace. A client is registered for notices before its
// upgrade is answered, so none is lost between its connect and its first
// read. Binary messages are OSC packets, in both directions: a client's
// packet is served by Handler.OSC as a packet from UDP would be (answers
// go back on the socket), and every message the namespace observes, from
// any transport, is sent to the clients that LISTEN to its node, except
// the client that sent it. HOST_INFO lists LISTEN and the PATH_* notices
// in EXTENSIONS and gives WS_IP and WS_PORT (the address the request
// reached, unless set).
//
// Everything a client can make the server hold is capped and counted
// (Stats): clients (MaxConns), LISTENs per client (MaxListens), the size
// of a message (MaxFrame), the bytes queued for a client (SendQueue: a
// value that does not fit is dropped; when a notice does not fit, those
// waiting merge into one PATH_CHANGED of "/", which tells the client to
// fetch the namespace again) and the time a write may take (WriteTimeout,
// after which a client that does not read is disconnected). Each client is
// pinged every PingInterval (30 s unless set; negative disables it): one
// that does not answer within PingInterval, such as a dead host or a peer
// that completed the handshake and went silent, is disconnected and
// counted (Stats.DeadClients) rather than holding a slot until TCP
// notices. A client that only LISTENs sends nothing yet answers pings, so
// it stays. A
// client that reads slowly delays no other: each has its own queue and
// writing goroutine. Close disconnects the clients, which an http.Server's
// Shutdown does not do for upgraded connections.
//
// Dial connects a client: Conn.Listen and Conn.Ignore, Conn.Next for the
// packets and notices, Conn.Send for OSC packets. HostInfo.OSCURL gives
// the OSC server's URL for osc.Dial, to send to OSC_IP:OSC_PORT over
// OSC_TRANSPORT.
//
// # Discovery
//
// Announce makes an application known by mDNS (DNS-SD): _oscjson._tcp
// with its HTTP port, as the proposal says, and _osc._udp or _osc._tcp
// with its OSC port, which VRChat and the tools around it also require,
// under one instance name (renamed "Name (2)" when another host holds
// it), with SRV, TXT and A (and AAAA) records in the additional section
// of each answer; Close sends goodbyes. Browse finds applications, reads
// their records from answers or additional sections, and drops them on
// goodbyes; Lookup waits for one by name. Port 5353 is shared with a
// system responder. For VRChat, set Announcement.VRChat (IPv4, 127.0.0.1,
// UDP) and add /avatar with AddVRChatNodes: VRChat then finds the
// application, reads its tree and HOST_INFO, and sends avatar parameters
// to its OSC port. A VRChat client is found as a Service whose IsVRChat
// is true.
//
// # Not implemented yet
//
// The HTML attribute is not served (400). Bundles from WebSocket clients
// are dispatched at once (Request.Timetag has their timetag), not
// scheduled.
package oscquery
