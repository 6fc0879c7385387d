package capture

import (
	"fmt"
	"net/netip"
	"time"
)

// Transport is how a recorded packet arrived.
type Transport uint8

// The transports a recording holds.
const (
	UDP Transport = iota + 1
	TCP
	Unix
	WebSocket // one binary message a packet
)

// String returns "udp", "tcp", "unix" or "ws".
func (t Transport) String() string {
	switch t {
	case UDP:
		return "udp"
	case TCP:
		return "tcp"
	case Unix:
		return "unix"
	case WebSocket:
		return "ws"
	}
	return fmt.Sprintf("Transport(%d)", uint8(t))
}

func parseTransport(s string) Transport {
	switch s {
	case "udp":
		return UDP
	case "tcp":
		return TCP
	case "unix":
		return Unix
	case "ws":
		return WebSocket
	}
	return 0
}

// Record is one received packet.
type Record struct {
	// Time is the arrival time in nanoseconds since the recording began,
	// read from the monotonic clock.
	Time int64
	// Transport is how the packet arrived; Slip tells a TCP packet's
	// framing (SLIP, else the int32 size prefix).
	Transport Transport
	Slip      bool
	// Src is the sender on UDP, TCP and WebSocket; Dst the receiving
	// address.
	Src, Dst netip.AddrPort
	// Path is a UNIX datagram sender's socket path ("" when unbound).
	Path string
	// Endpoint is the URL of the receiving endpoint.
	Endpoint string
	// Data is the packet, without framing.
	Data []byte
	// Malformed is the error of a packet that did not decode, or of a
	// framing error (Data empty); "" for a well-formed packet.
	Malformed string
}

// Header describes a recording.
type Header struct {
	// Start is the wall clock when the recording began: a record's wall
	// clock arrival time is Start plus its Time.
	Start time.Time
}

// MaxBlock caps one block, record or line that a reader holds in memory.
const MaxBlock = 4 << 20

// MaxFlows caps the TCP streams a reader reassembles at once; the segments
// of further streams are skipped (counted in Reader.Skipped).
const MaxFlows = 256

// FormatError is a file that this package cannot read, at a byte offset.
type FormatError struct {
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("capture: offset %d: %s", e.Offset, e.Msg)
}

func formatErr(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}
