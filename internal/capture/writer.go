package capture

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/internal/oscjson"
)

// Format is a file format a Writer writes.
type Format uint8

// The formats written.
const (
	Pcapng Format = iota
	JSONL
)

// pcapng block types and options.
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 1
	blockPB  = 2 // obsolete Packet Block
	blockSPB = 3
	blockEPB = 6
	bom      = 0x1A2B3C4D

	optEnd      = 0
	optComment  = 1
	optName     = 2 // if_name
	optDesc     = 3 // if_description
	optTSResol  = 9
	optUserAppl = 4 // shb_userappl

	// Exported-PDU tags (Wireshark's exported_pdu_tlvs.h).
	expPDUHeuristic = 13 // EXP_PDU_TAG_HEUR_DISSECTOR_NAME
	expPDUIPv4Src   = 20
	expPDUIPv4Dst   = 21
	expPDUIPv6Src   = 22
	expPDUIPv6Dst   = 23
	expPDUPortType  = 24
	expPDUSrcPort   = 25
	expPDUDstPort   = 26
	expPDUPortTCP   = 2 // EXP_PDU_PT_TCP
	expPDUPortUDP   = 3 // EXP_PDU_PT_UDP
)

// maxTCPFlows caps the connections a Writer numbers segments for; past it
// the sequence numbers start again from 1.
const maxTCPFlows = 4096

type ifKey struct {
	endpoint  string
	transport Transport
	slip      bool
}

type flowKey struct{ src, dst netip.AddrPort }

// Writer writes records to a file. It buffers nothing itself: give it a
// bufio.Writer. It is not safe for concurrent use.
type Writer struct {
	w      io.Writer
	format Format
	start  time.Time
	ifaces map[ifKey]uint32
	seq    map[flowKey]uint32
	buf    []byte
	frame  []byte
}

// NewWriter writes the file's header (for pcapng, its Section Header
// Block) to w and returns a Writer for its records.
func NewWriter(w io.Writer, f Format, h Header) (*Writer, error) {
	wr := &Writer{w: w, format: f, start: h.Start, ifaces: map[ifKey]uint32{}, seq: map[flowKey]uint32{}}
	if f != Pcapng {
		return wr, nil
	}
	b := wr.begin(blockSHB)
	b = binary.LittleEndian.AppendUint32(b, bom)
	b = append(b, 1, 0, 0, 0)                                     // version 1.0
	b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) // section length unknown
	b = appendOpt(b, optComment, "osckit recording; start "+h.Start.UTC().Format(time.RFC3339Nano))
	b = appendOpt(b, optUserAppl, "oscli record")
	wr.buf = b
	return wr, wr.end()
}

func (w *Writer) begin(typ uint32) []byte {
	b := binary.LittleEndian.AppendUint32(w.buf[:0], typ)
	return append(b, 0, 0, 0, 0)
}

// end closes the block in w.buf (options end, trailing length) and
// writes it.
func (w *Writer) end() error {
	b := append(w.buf, optEnd, 0, 0, 0)
	n := uint32(len(b) + 4)
	binary.LittleEndian.PutUint32(b[4:], n)
	b = binary.LittleEndian.AppendUint32(b, n)
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

func appendOpt(b []byte, code uint16, v string) []byte {
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return pad(b, len(v))
}

func pad(b []byte, n int) []byte {
	for ; n%4 != 0; n++ {
		b = append(b, 0)
	}
	return b
}

// Write appends one record.
func (w *Writer) Write(r *Record) error {
	if w.format == JSONL {
		w.buf = AppendJSON(w.buf[:0], r, w.start)
		_, err := w.w.Write(w.buf)
		return err
	}
	id, err := w.iface(r)
	if err != nil {
		return err
	}
	if r.Transport == TCP {
		return w.writeTCP(id, r)
	}
	// The link-layer frame.
	f := w.frame[:0]
	switch r.Transport {
	case UDP:
		f = appendUDP(f, r.Src, r.Dst, r.Data)
	default:
		f = appendPDUTag(f, expPDUHeuristic, []byte("osc_udp\x00"))
		if r.Transport == WebSocket {
			f = appendPDUAddrs(f, r.Src, r.Dst)
		}
		f = append(f, 0, 0, 0, 0) // end of tags
		f = append(f, r.Data...)
	}
	return w.writeEPB(id, r, f)
}

func appendPDUTag(f []byte, tag uint16, v []byte) []byte {
	f = binary.BigEndian.AppendUint16(f, tag)
	f = binary.BigEndian.AppendUint16(f, uint16(len(v)))
	return append(f, v...)
}

// appendPDUAddrs appends the exported-PDU tags of a WebSocket
// connection's addresses: the source and destination IP addresses, port
// type TCP and the two ports. tshark shows them as the packet's source
// and destination.
func appendPDUAddrs(f []byte, src, dst netip.AddrPort) []byte {
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	if s.Is4() && d.Is4() {
		s4, d4 := s.As4(), d.As4()
		f = appendPDUTag(f, expPDUIPv4Src, s4[:])
		f = appendPDUTag(f, expPDUIPv4Dst, d4[:])
	} else if s.IsValid() && d.IsValid() {
		s16, d16 := s.As16(), d.As16()
		f = appendPDUTag(f, expPDUIPv6Src, s16[:])
		f = appendPDUTag(f, expPDUIPv6Dst, d16[:])
	}
	var v [4]byte
	binary.BigEndian.PutUint32(v[:], expPDUPortTCP)
	f = appendPDUTag(f, expPDUPortType, v[:])
	binary.BigEndian.PutUint32(v[:], uint32(src.Port()))
	f = appendPDUTag(f, expPDUSrcPort, v[:])
	binary.BigEndian.PutUint32(v[:], uint32(dst.Port()))
	return appendPDUTag(f, expPDUDstPort, v[:])
}

// maxSegment caps the payload of one synthesized TCP segment, so that
// the IP length fields hold it.
const maxSegment = 65000

// writeTCP writes a TCP packet framed as on its stream, in as many
// segments as the IP length fields need.
func (w *Writer) writeTCP(id uint32, r *Record) error {
	fr := netio.FrameSizePrefix
	if r.Slip {
		fr = netio.FrameSLIP
	}
	var framed []byte
	if len(r.Data) > 0 || r.Malformed == "" {
		framed = netio.AppendFrame(nil, r.Data, fr)
	}
	k := flowKey{r.Src, r.Dst}
	seq, ok := w.seq[k]
	if !ok {
		if len(w.seq) >= maxTCPFlows {
			clear(w.seq)
		}
		seq = 1
	}
	for first := true; first || len(framed) > 0; first = false {
		n := min(len(framed), maxSegment)
		w.frame = appendTCP(w.frame[:0], r.Src, r.Dst, seq, framed[:n])
		seq += uint32(n)
		framed = framed[n:]
		if err := w.writeEPB(id, r, w.frame); err != nil {
			return err
		}
	}
	w.seq[k] = seq
	return nil
}

// writeEPB writes an Enhanced Packet Block with frame f for r.
func (w *Writer) writeEPB(id uint32, r *Record, f []byte) error {
	w.frame = f
	ts := uint64(w.start.UnixNano() + r.Time)
	b := w.begin(blockEPB)
	b = binary.LittleEndian.AppendUint32(b, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(ts>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
	b = pad(append(b, f...), len(f))
	if r.Transport == Unix {
		b = appendOpt(b, optComment, "unix-source: "+r.Path)
	}
	if r.Malformed != "" {
		b = appendOpt(b, optComment, "malformed: "+r.Malformed)
	}
	w.buf = b
	return w.end()
}

// iface returns the interface of r's endpoint, writing its Interface
// Description Block the first time.
func (w *Writer) iface(r *Record) (uint32, error) {
	k := ifKey{r.Endpoint, r.Transport, r.Slip && r.Transport == TCP}
	if id, ok := w.ifaces[k]; ok {
		return id, nil
	}
	id := uint32(len(w.ifaces))
	w.ifaces[k] = id
	lt, desc := uint16(linkRaw), "osc "+r.Transport.String()
	switch {
	case r.Transport == Unix || r.Transport == WebSocket:
		lt = linkUpperPDU
	case r.Transport == TCP && k.slip:
		desc += " slip"
	case r.Transport == TCP:
		desc += " size"
	}
	b := w.begin(blockIDB)
	b = binary.LittleEndian.AppendUint16(b, lt)
	b = append(b, 0, 0, 0, 0, 0, 0) // reserved, snaplen 0 (none)
	b = appendOpt(b, optName, r.Endpoint)
	b = appendOpt(b, optDesc, desc)
	b = append(b, optTSResol, 0, 1, 0, 9, 0, 0, 0)
	w.buf = b
	return id, w.end()
}

// AppendJSON appends r as one JSON line: {"time":NS,"wall":RFC3339,
// "transport":..., "source":..., "endpoint":..., "packet":OSC.JS FORM,
// "raw":HEX} with "framing" for TCP and "malformed" (and no "packet") for
// a malformed packet.
func AppendJSON(b []byte, r *Record, start time.Time) []byte {
	b = append(b, `{"time":`...)
	b = strconv.AppendInt(b, r.Time, 10)
	b = append(b, `,"wall":"`...)
	b = start.Add(time.Duration(r.Time)).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","transport":"`...)
	b = append(b, r.Transport.String()...)
	b = append(b, '"')
	if r.Transport == TCP {
		b = append(b, `,"framing":"size"`...)
		if r.Slip {
			b = append(b[:len(b)-5], `slip"`...)
		}
	}
	b = append(b, `,"source":`...)
	if r.Transport == Unix {
		b = appendQuote(b, r.Path)
	} else {
		b = appendQuote(b, r.Src.String())
		b = append(b, `,"destination":`...)
		b = appendQuote(b, r.Dst.String())
	}
	b = append(b, `,"endpoint":`...)
	b = appendQuote(b, r.Endpoint)
	if r.Malformed != "" {
		b = append(b, `,"malformed":`...)
		b = appendQuote(b, r.Malformed)
	} else if p, err := oscjson.AppendPacket(append(b, `,"packet":`...), r.Data, nil); err == nil {
		b = p
	}
	b = append(b, `,"raw":"`...)
	b = hex.AppendEncode(b, r.Data)
	return append(b, "\"}\n"...)
}

// appendQuote appends s as a JSON string.
func appendQuote(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
