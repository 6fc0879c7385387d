package osc

import (
	"crypto/tls"
	"errors"
	"time"

	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/internal/sched"
)

// UDPConfig configures a Server's UDP sockets (and, for Batch, BufSize and
// ReadBuffer, its UNIX datagram sockets). The zero value is the default.
type UDPConfig struct {
	// Batch is the number of datagrams one system call may move
	// (recvmmsg/sendmmsg on Linux). Default 64, at most 1024.
	Batch int
	// BufSize is the size of each receive buffer; a longer datagram is
	// counted as malformed. Default 65536 (no UDP datagram is truncated);
	// a socket keeps Batch buffers of this size.
	BufSize int
	// ReadBuffer is the socket receive buffer (SO_RCVBUF) to request.
	// Default 4 MiB; negative leaves the kernel default. On Linux
	// SO_RCVBUFFORCE is tried first (it works with CAP_NET_ADMIN), and a
	// one-time warning is logged when the kernel grants less (raise
	// net.core.rmem_max).
	ReadBuffer int
	// WriteBuffer is the socket send buffer (SO_SNDBUF); 0 leaves the
	// kernel default.
	WriteBuffer int
	// ReusePort sets SO_REUSEPORT before binding (Linux and other unix
	// systems), so that several sockets can share a port.
	ReusePort bool
	// MulticastInterface names the interface ("lo", "eth0") used to join
	// multicast groups and to send multicast; "" lets the kernel choose.
	MulticastInterface string
	// MulticastTTL is the hop limit of sent multicast datagrams; 0 leaves
	// the kernel default (1).
	MulticastTTL int
	// DisableMulticastLoop turns off local delivery of the multicast
	// datagrams a socket sends (Linux; elsewhere multicast listeners have
	// loopback off, as in package net).
	DisableMulticastLoop bool
	// GRO enables UDP generic receive offload (Linux): the kernel may hand
	// over several datagrams of one sender at once, which the server
	// splits back. It pays off only with senders that use GSO.
	GRO bool
	// BlockingRead makes each UDP endpoint's reading goroutine wait for
	// datagrams in a blocking system call, on an OS thread it keeps while
	// it waits, instead of in the Go runtime's poller (Linux; elsewhere it
	// has no effect); the endpoint's socket then never joins the poller at
	// all. A request that arrives at an idle server is dispatched some
	// microseconds sooner: on loopback a request and its reply, with a
	// Client that waits the same way, take about a quarter less time
	// (bench/README.md, "Round trip"). It costs a thread per UDP endpoint
	// and gains nothing under a steady stream, which the reader drains
	// without waiting.
	BlockingRead bool
}

func (c UDPConfig) netio() netio.UDPConfig {
	return netio.UDPConfig{
		Batch:                c.Batch,
		BufSize:              c.BufSize,
		ReadBuffer:           c.ReadBuffer,
		WriteBuffer:          c.WriteBuffer,
		ReusePort:            c.ReusePort,
		MulticastInterface:   c.MulticastInterface,
		MulticastTTL:         c.MulticastTTL,
		DisableMulticastLoop: c.DisableMulticastLoop,
		GRO:                  c.GRO,
	}
}

// WebSocketConfig configures a Server's osc.ws:// and osc.wss:// endpoints
// and those of Server.WebSocketHandler.
type WebSocketConfig struct {
	// OriginPatterns lists the hosts (path.Match patterns, such as
	// "*.example.com" or "localhost:*") whose pages may connect besides
	// the server's own origin. Clients that send no Origin header (tools,
	// not browsers) are always accepted.
	OriginPatterns []string
	// AnyOrigin turns the Origin check off: any web page may connect. Meant
	// for tools on the loopback interface.
	AnyOrigin bool
	// PingInterval is the time between pings the server sends to keep
	// proxies and NATs from dropping a quiet connection; 0 means 30
	// seconds, negative none. A ping that cannot be written within the
	// write timeout disconnects the peer as a slow peer.
	PingInterval time.Duration
	// TLS holds the certificate of osc.wss:// endpoints.
	TLS *tls.Config
	// JSON accepts text messages that hold a packet in osc.js's JSON form
	// (as oscli dump -json prints it: {"address":...,"args":[{"type":...,
	// "value":...}]}, bundles with timeTag and packets or timetag and
	// elements), and answers a peer that sent one in the same form. Text
	// that does not decode is counted as malformed and the connection goes
	// on. Without JSON, a text message closes the connection (1003).
	JSON bool
}

func (c WebSocketConfig) netio() netio.WSConfig {
	w := netio.WSConfig{
		OriginPatterns: c.OriginPatterns,
		AnyOrigin:      c.AnyOrigin,
		PingInterval:   c.PingInterval,
		TLS:            c.TLS,
	}
	if c.JSON {
		w.Text = func(dst, js []byte) ([]byte, error) { return oscjson.Encode(dst, js, nil) }
		w.ToText = func(dst, pkt []byte) ([]byte, error) { return oscjson.AppendPacket(dst, pkt, nil) }
	}
	return w
}

// LatePolicy says what the Server does with a bundle whose time has
// already passed when it arrives.
type LatePolicy uint8

const (
	// DeliverLate dispatches a late bundle at once (the default, and what
	// OSC 1.0 prescribes); Request.Late tells how late it was.
	DeliverLate LatePolicy = iota
	// DropLate drops a bundle later than ScheduleConfig.Tolerance (with
	// no Tolerance, every late bundle, however little it is late) and
	// dispatches the others at once.
	DropLate
)

// ScheduleConfig configures how a Server dispatches timetagged bundles:
// bundles timed in the future wait in a per-endpoint queue and are
// dispatched at their time. The zero value is the default.
type ScheduleConfig struct {
	// Late is the policy for bundles already late when they arrive; what
	// it drops is counted in Stats.Late and Stats.Dropped.
	Late LatePolicy
	// Tolerance is the lateness DropLate still dispatches.
	Tolerance time.Duration
	// MaxQueue bounds the number of queued bundle levels; 0 means 65536.
	MaxQueue int
	// MaxBytes bounds the memory the queued bundles hold; 0 means 64 MiB,
	// negative means no limit. A packet over MaxQueue or MaxBytes is
	// refused whole and counted.
	MaxBytes int
	// MaxHorizon refuses bundles timed further ahead; 0 means one hour,
	// negative means no limit.
	MaxHorizon time.Duration
	// Offset is added to every timetag other than "immediately", for
	// senders whose clock is off: a sender 250 ms ahead needs -250ms.
	Offset time.Duration
	// IgnoreTimetags dispatches everything at once, in packet order.
	IgnoreTimetags bool
	// DrainOnClose makes Shutdown keep dispatching queued bundles at
	// their times until the queue is empty or Shutdown's context ends;
	// without it they are dropped. Either way they are counted.
	DrainOnClose bool
	// Spin is how long before a due time the dispatcher stops sleeping on
	// its timer and waits precisely, yielding the processor in a loop; 0
	// means 200 µs, negative turns it off.
	Spin time.Duration
}

func (c ScheduleConfig) sched() sched.Config {
	late := sched.DeliverLate
	switch {
	case c.Late == DropLate && c.Tolerance > 0:
		late = sched.DropBeyondTolerance
	case c.Late == DropLate:
		late = sched.DropLate
	}
	return sched.Config{
		Late:           late,
		Tolerance:      c.Tolerance,
		MaxQueue:       c.MaxQueue,
		MaxBytes:       c.MaxBytes,
		MaxHorizon:     c.MaxHorizon,
		Offset:         c.Offset,
		IgnoreTimetags: c.IgnoreTimetags,
		DrainOnClose:   c.DrainOnClose,
		Spin:           c.Spin,
	}
}

// FrameError reports a TCP or WebSocket frame that could not be read: a
// bad size prefix or SLIP escape, a frame over Server.MaxFrame, a
// WebSocket text message, a stream that ended or stalled inside a frame.
// Server.Invalid and Client.Receive return it.
type FrameError struct {
	// Offset is the stream offset of the frame's first byte (of the bad
	// byte for a SLIP escape).
	Offset int64
	// Recoverable is true when only that frame was dropped and the
	// connection can still be read; false when the stream is out of step
	// and the connection is closed.
	Recoverable bool
	err         error
}

// Error describes the fault and its offset.
func (e *FrameError) Error() string { return e.err.Error() }

// frameError turns the transport's frame error into a *FrameError, and
// returns any other error as it is.
func frameError(err error) error {
	var fe *netio.FrameError
	if errors.As(err, &fe) {
		return &FrameError{Offset: fe.Offset, Recoverable: fe.Recoverable, err: fe}
	}
	return err
}

// Unwrap returns the cause, which errors.Is compares with io.ErrUnexpectedEOF
// for a stream that ended inside a frame.
func (e *FrameError) Unwrap() error { return e.err }
