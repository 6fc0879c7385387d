package routertest

import (
	"bytes"
	"net"
	"net/netip"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// DefaultRemote and DefaultLocal are the addresses NewRequest and
// NewRecorder use: a sender and a server on the loopback interface.
var (
	DefaultRemote = netip.MustParseAddrPort("127.0.0.1:57120")
	DefaultLocal  = netip.MustParseAddrPort("127.0.0.1:57110")
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
	// Remote and Local are returned by RemoteAddr and LocalAddr.
	Remote, Local net.Addr
	// Err, when set, is returned by Write, WriteTo, Send and Flush, which then
	// record nothing.
	Err error

	enc wire.Encoder
}

var _ router.ResponseWriter = (*Recorder)(nil)

// NewRecorder returns a Recorder whose RemoteAddr and LocalAddr are
// DefaultRemote and DefaultLocal over UDP.
func NewRecorder() *Recorder {
	return &Recorder{
		Remote: net.UDPAddrFromAddrPort(DefaultRemote),
		Local:  net.UDPAddrFromAddrPort(DefaultLocal),
	}
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

// LocalAddr returns r.Local.
func (r *Recorder) LocalAddr() net.Addr { return r.Local }

// Reset forgets the recorded packets, keeping their slice's capacity.
func (r *Recorder) Reset() {
	clear(r.Packets)
	r.Packets = r.Packets[:0]
	r.enc.Reset()
}

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

// NewRequest returns a Request for the encoded message pkt, as a server
// would build it for a bare message received over UDP: Timetag is
// wire.Immediately, Remote is DefaultRemote and Local is DefaultLocal. The
// Message aliases pkt. NewRequest panics if pkt is not a valid message.
func NewRequest(pkt []byte) *router.Request {
	m, err := wire.ParseMessage(pkt)
	if err != nil {
		panic("routertest: NewRequest: " + err.Error())
	}
	return &router.Request{
		Message: m,
		Timetag: wire.Immediately,
		Remote:  DefaultRemote,
		Local:   net.UDPAddrFromAddrPort(DefaultLocal),
	}
}

// NewMessage encodes a message with the given address (or pattern) and
// arguments and returns NewRequest for it. It panics if the message cannot
// be encoded.
func NewMessage(address string, args ...wire.Value) *router.Request {
	pkt, err := wire.AppendMessage(nil, address, args...)
	if err != nil {
		panic("routertest: NewMessage: " + err.Error())
	}
	return NewRequest(pkt)
}
