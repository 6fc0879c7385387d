package routertest

import (
	"bytes"
	"net"
	"net/netip"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// The addresses NewRequest and NewRecorder use: a sender and a server on
// the loopback interface.
var (
	defaultRemote = netip.MustParseAddrPort("127.0.0.1:57120")
	defaultLocal  = netip.MustParseAddrPort("127.0.0.1:57110")
)

// Packet is one packet a handler sent through a Recorder.
type Packet struct {
	// To is the destination given to WriteTo; it is the zero AddrPort for
	// Write and Flush, which answer the sender.
	To   netip.AddrPort
	Data []byte // a copy of the packet
}

// Recorder is a router.ResponseWriter that records the packets written to
// it, copying them. It is not safe for concurrent use and must not be
// copied after first use.
type Recorder struct {
	// Packets holds every packet written, in order.
	Packets []Packet
	// Remote is returned by RemoteAddr.
	Remote net.Addr
	// Err, when set, is returned by Write, WriteTo, Send and Flush, which then
	// record nothing.
	Err error

	enc wire.Encoder
}

var _ router.ResponseWriter = (*Recorder)(nil)

// NewRecorder returns a Recorder whose RemoteAddr is the sender of
// NewRequest's requests (127.0.0.1:57120 over UDP).
func NewRecorder() *Recorder {
	return &Recorder{Remote: net.UDPAddrFromAddrPort(defaultRemote)}
}

// Write records a copy of pkt as sent to the sender.
func (r *Recorder) Write(pkt []byte) (int, error) {
	if r.Err != nil {
		return 0, r.Err
	}
	r.Packets = append(r.Packets, Packet{Data: bytes.Clone(pkt)})
	return len(pkt), nil
}

// WriteTo records a copy of pkt as sent to to.
func (r *Recorder) WriteTo(pkt []byte, to netip.AddrPort) (int, error) {
	if r.Err != nil {
		return 0, r.Err
	}
	r.Packets = append(r.Packets, Packet{To: to, Data: bytes.Clone(pkt)})
	return len(pkt), nil
}

// Send records the message as sent to the sender.
func (r *Recorder) Send(address string, args ...wire.Value) error {
	pkt, err := wire.AppendMessage(nil, address, args...)
	if err != nil {
		return err
	}
	_, err = r.Write(pkt)
	return err
}

// SendAny records the message of plain Go values (wire.InferAll) as sent
// to the sender.
func (r *Recorder) SendAny(address string, args ...any) error {
	vs, err := wire.InferAll(args)
	if err != nil {
		return err
	}
	return r.Send(address, vs...)
}

// Encoder returns the Recorder's encoder, reset.
func (r *Recorder) Encoder() *wire.Encoder {
	r.enc.Reset()
	return &r.enc
}

// Flush records the packet built in the encoder as sent to the sender and
// resets the encoder. It returns the encoder's error if the packet is
// unfinished or invalid.
func (r *Recorder) Flush() error {
	pkt, err := r.enc.Bytes()
	if err != nil {
		return err
	}
	if r.Err != nil {
		return r.Err
	}
	r.Packets = append(r.Packets, Packet{Data: bytes.Clone(pkt)})
	r.enc.Reset()
	return nil
}

// RemoteAddr returns r.Remote.
func (r *Recorder) RemoteAddr() net.Addr { return r.Remote }

// Messages parses the recorded packets as messages, in order. It panics if
// one is not a valid message (use Packets to inspect bundles).
func (r *Recorder) Messages() []wire.Message {
	out := make([]wire.Message, 0, len(r.Packets))
	for _, p := range r.Packets {
		m, err := wire.ParseMessage(p.Data)
		if err != nil {
			panic("routertest: recorded packet is not a message: " + err.Error())
		}
		out = append(out, m)
	}
	return out
}

// NewRequest encodes a message with the given address (or pattern) and
// arguments and returns a Request for it, as a server would build it for
// a bare message received over UDP: Timetag is wire.Immediately, Remote is
// 127.0.0.1:57120 and Local is 127.0.0.1:57110. It panics if the message
// cannot be encoded.
func NewRequest(address string, args ...wire.Value) *router.Request {
	pkt, err := wire.AppendMessage(nil, address, args...)
	if err != nil {
		panic("routertest: NewRequest: " + err.Error())
	}
	m, err := wire.ParseMessage(pkt)
	if err != nil {
		panic("routertest: NewRequest: " + err.Error())
	}
	return &router.Request{
		Message: m,
		Timetag: wire.Immediately,
		Remote:  defaultRemote,
		Local:   net.UDPAddrFromAddrPort(defaultLocal),
	}
}
