package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strings"
	"time"
)

// Reader reads the records of a pcapng, pcap or JSON lines file.
type Reader struct {
	r      *bufio.Reader
	off    int64
	kind   byte // 'n' pcapng, 'p' pcap, 'j' JSON lines
	order  binary.ByteOrder
	hdr    Header
	first  bool // no record read yet
	ifaces []iface
	// pcap
	link   uint32
	nanos  bool
	flows  map[flowKey]*flow
	queue  []Record
	block  []byte // a JSON line longer than the read buffer
	buf    bytes.Buffer
	held   int  // bytes buffered in flows
	header bool // Start came from the file, not the first packet

	// Skipped counts the packets that are not OSC over UDP, TCP or UNIX
	// (other protocols, fragments, TCP streams beyond MaxFlows or whose
	// frames do not parse).
	Skipped int
}

type iface struct {
	link     uint32
	name     string
	desc     string
	tsPerSec uint64
}

type flow struct {
	buf  []byte
	slip int8 // 0 unknown, 1 SLIP, -1 size prefix
}

// NewReader detects the format of r from its first bytes and reads the
// file's header.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: bufio.NewReaderSize(r, 64<<10), first: true, flows: map[flowKey]*flow{}}
	magic, err := rd.r.Peek(4)
	if err != nil {
		if len(magic) > 0 && magic[0] == '{' {
			rd.kind = 'j'
			return rd, nil
		}
		return nil, formatErr(0, "file too short to tell its format")
	}
	switch {
	case binary.BigEndian.Uint32(magic) == blockSHB:
		rd.kind = 'n'
		return rd, rd.readSHB()
	case magic[0] == '{':
		rd.kind = 'j'
		return rd, nil
	}
	for _, o := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch o.Uint32(magic) {
		case 0xa1b2c3d4, 0xa1b23c4d:
			rd.kind, rd.order, rd.nanos = 'p', o, o.Uint32(magic) == 0xa1b23c4d
			var h [24]byte
			if _, err := io.ReadFull(rd.r, h[:]); err != nil {
				return nil, formatErr(0, "truncated pcap header")
			}
			rd.off = 24
			rd.link = o.Uint32(h[20:]) & 0x0fffffff
			return rd, nil
		}
	}
	return nil, formatErr(0, "not a pcapng, pcap or JSON lines file (starts %x)", magic)
}

// Header returns the recording's header. For a file that does not record
// its start (a foreign capture), Start is the first packet's time once a
// record has been read.
func (r *Reader) Header() Header { return r.hdr }

// Next returns the next record, or io.EOF after the last. The record's
// Data is valid until the next call.
func (r *Reader) Next() (*Record, error) {
	for len(r.queue) == 0 {
		var err error
		switch r.kind {
		case 'j':
			err = r.nextJSON()
		case 'p':
			err = r.nextPcap()
		default:
			err = r.nextBlock()
		}
		if err != nil {
			return nil, err
		}
	}
	rec := &r.queue[0]
	r.queue = r.queue[1:]
	return rec, nil
}

// readBlock reads n bytes at the current offset; they stay valid until the
// next call.
func (r *Reader) readBlock(n int64) ([]byte, error) {
	if n > MaxBlock {
		return nil, formatErr(r.off, "block of %d bytes exceeds the %d byte cap", n, MaxBlock)
	}
	// Grow with what arrives, so that a truncated file claiming a large
	// block costs only its own size.
	r.buf.Reset()
	k, err := io.CopyN(&r.buf, r.r, n)
	if err != nil {
		if k == 0 && errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, formatErr(r.off+k, "truncated block (%d of %d bytes)", k, n)
	}
	b := r.buf.Bytes()
	return b, nil
}

func (r *Reader) readSHB() error {
	var h [12]byte
	if _, err := io.ReadFull(r.r, h[:]); err != nil {
		return formatErr(r.off, "truncated section header")
	}
	switch binary.LittleEndian.Uint32(h[8:]) {
	case bom:
		r.order = binary.LittleEndian
	case 0x4D3C2B1A:
		r.order = binary.BigEndian
	default:
		return formatErr(r.off+8, "bad byte-order magic %x", h[8:])
	}
	n := int64(r.order.Uint32(h[4:]))
	if n < 28 || n%4 != 0 {
		return formatErr(r.off+4, "bad section header length %d", n)
	}
	body, err := r.readBlock(n - 12)
	if err != nil {
		if err == io.EOF {
			err = formatErr(r.off+12, "truncated section header")
		}
		return err
	}
	if r.order.Uint16(body) != 1 {
		return formatErr(r.off+12, "unsupported pcapng version %d", r.order.Uint16(body))
	}
	r.ifaces = r.ifaces[:0]
	err = r.options(body[12:len(body)-4], r.off+24, func(code uint16, v []byte) {
		if code == optComment {
			if t, ok := strings.CutPrefix(string(v), "osckit recording; start "); ok {
				if s, err := time.Parse(time.RFC3339Nano, t); err == nil {
					r.hdr.Start, r.header = s, true
				}
			}
		}
	})
	r.off += n
	return err
}

// options walks a block's options.
func (r *Reader) options(b []byte, off int64, f func(code uint16, v []byte)) error {
	for len(b) >= 4 {
		code, n := r.order.Uint16(b), int(r.order.Uint16(b[2:]))
		if code == optEnd {
			return nil
		}
		if 4+n > len(b) {
			return formatErr(off, "option %d of %d bytes overruns its block", code, n)
		}
		f(code, b[4:4+n])
		adv := 4 + (n+3)&^3
		if adv > len(b) {
			adv = len(b)
		}
		b, off = b[adv:], off+int64(adv)
	}
	return nil
}

func (r *Reader) nextBlock() error {
	h, err := r.r.Peek(8)
	if err != nil {
		if len(h) == 0 {
			return io.EOF
		}
		return formatErr(r.off, "truncated block header")
	}
	if binary.BigEndian.Uint32(h) == blockSHB {
		return r.readSHB()
	}
	typ, n := r.order.Uint32(h), int64(r.order.Uint32(h[4:]))
	if n < 12 || n%4 != 0 {
		return formatErr(r.off+4, "bad block length %d", n)
	}
	b, err := r.readBlock(n)
	if err != nil {
		if err == io.EOF {
			err = formatErr(r.off, "truncated block")
		}
		return err
	}
	off := r.off
	r.off += n
	if r.order.Uint32(b[n-4:]) != uint32(n) {
		return formatErr(off+n-4, "trailing block length %d differs from %d", r.order.Uint32(b[n-4:]), n)
	}
	body := b[8 : n-4]
	switch typ {
	case blockIDB:
		if len(body) < 8 {
			return formatErr(off, "short interface description")
		}
		if len(r.ifaces) >= 1<<16 {
			return formatErr(off, "more than 65536 interfaces")
		}
		ifc := iface{link: uint32(r.order.Uint16(body)), tsPerSec: 1e6}
		err := r.options(body[8:], off+16, func(code uint16, v []byte) {
			switch code {
			case optName:
				ifc.name = string(v)
			case optDesc:
				ifc.desc = string(v)
			case optTSResol:
				if len(v) == 1 {
					ifc.tsPerSec = tsres(v[0])
				}
			}
		})
		r.ifaces = append(r.ifaces, ifc)
		return err
	case blockEPB, blockPB:
		if len(body) < 20 {
			return formatErr(off, "short packet block")
		}
		id := r.order.Uint32(body)
		if typ == blockPB {
			id &= 0xffff
		}
		if id >= uint32(len(r.ifaces)) {
			return formatErr(off+8, "packet on undeclared interface %d", id)
		}
		ts := uint64(r.order.Uint32(body[4:]))<<32 | uint64(r.order.Uint32(body[8:]))
		capLen := int(r.order.Uint32(body[12:]))
		if capLen < 0 || capLen > len(body)-20 {
			return formatErr(off+20, "captured length %d overruns its block", capLen)
		}
		var path, bad string
		err := r.options(body[20+(capLen+3)&^3:], off+28+int64((capLen+3)&^3), func(code uint16, v []byte) {
			if code != optComment {
				return
			}
			if p, ok := strings.CutPrefix(string(v), "unix-source: "); ok {
				path = p
			} else if m, ok := strings.CutPrefix(string(v), "malformed: "); ok {
				bad = m
			}
		})
		if err != nil {
			return err
		}
		ifc := &r.ifaces[id]
		r.packet(ifc, nanos(ts, ifc.tsPerSec), body[20:20+capLen], path, bad)
		return nil
	case blockSPB:
		if len(r.ifaces) == 0 || len(body) < 4 {
			return formatErr(off, "simple packet block without an interface")
		}
		ifc := &r.ifaces[0]
		r.packet(ifc, 0, body[4:], "", "")
		return nil
	}
	return nil // other blocks: skipped
}

func tsres(v byte) uint64 {
	e := uint64(v & 0x7f)
	if v&0x80 != 0 {
		if e > 63 {
			return 1 << 63
		}
		return 1 << e
	}
	p := uint64(1)
	for range min(e, 19) {
		p *= 10
	}
	return p
}

// nanos converts ts in units of 1/perSec second to nanoseconds since 1970.
func nanos(ts, perSec uint64) int64 {
	if perSec == 0 {
		perSec = 1e6
	}
	sec, frac := ts/perSec, ts%perSec
	return int64(sec)*1e9 + int64(frac*1e9/perSec)
}

func (r *Reader) nextPcap() error {
	h, err := r.readBlock(16)
	if err != nil {
		return err
	}
	off := r.off
	ts := int64(r.order.Uint32(h))*1e9 + int64(r.order.Uint32(h[4:]))
	if !r.nanos {
		ts = int64(r.order.Uint32(h))*1e9 + int64(r.order.Uint32(h[4:]))*1e3
	}
	n := int64(r.order.Uint32(h[8:]))
	r.off += 16
	b, err := r.readBlock(n)
	if err != nil {
		if err == io.EOF {
			err = formatErr(off, "truncated packet record")
		}
		return err
	}
	r.off += n
	ifc := iface{link: r.link}
	r.packet(&ifc, ts, b, "", "")
	return nil
}

// packet turns a captured frame into records.
func (r *Reader) packet(ifc *iface, ts int64, f []byte, path, bad string) {
	if r.first {
		r.first = false
		if !r.header {
			r.hdr.Start = time.Unix(0, ts)
		}
	}
	rec := Record{Time: ts - r.hdr.Start.UnixNano(), Endpoint: ifc.name, Malformed: bad}
	if ifc.link == linkUpperPDU {
		p, ok := upperPDU(f)
		if !ok {
			r.Skipped++
			return
		}
		rec.Transport, rec.Data = Unix, p.data
		switch {
		case ifc.desc == "osc ws" || p.ports == expPDUPortTCP && p.src.IsValid():
			// A message of a WebSocket connection (the TCP addresses of
			// a foreign capture's PDU mean one of a stream too).
			rec.Transport, rec.Src, rec.Dst = WebSocket, p.src, p.dst
		case p.ports == expPDUPortUDP && p.src.IsValid():
			rec.Transport, rec.Src, rec.Dst = UDP, p.src, p.dst
		default:
			rec.Path = path
		}
		r.queue = append(r.queue, rec)
		return
	}
	s, ok := parseLink(ifc.link, f)
	if !ok {
		r.Skipped++
		return
	}
	rec.Src, rec.Dst = s.src, s.dst
	if s.proto == protoUDP {
		rec.Transport, rec.Data = UDP, s.payload
		r.queue = append(r.queue, rec)
		return
	}
	rec.Transport = TCP
	if bad != "" && len(s.payload) == 0 {
		r.queue = append(r.queue, rec) // a framing error
		return
	}
	r.tcp(rec, s.payload, ifc.desc)
}

// pdu is an exported PDU: its data and the addresses its tags name.
type pdu struct {
	data     []byte
	src, dst netip.AddrPort
	ports    uint32 // port type
}

// upperPDU parses the tags of an exported PDU (link type
// WIRESHARK_UPPER_PDU): the addresses, when it has them, and the data
// after the end tag.
func upperPDU(f []byte) (pdu, bool) {
	var p pdu
	var src, dst netip.Addr
	var sport, dport uint16
	for len(f) >= 4 {
		tag, n := binary.BigEndian.Uint16(f), int(binary.BigEndian.Uint16(f[2:]))
		if 4+n > len(f) {
			return pdu{}, false
		}
		v := f[4 : 4+n]
		f = f[4+n:]
		switch {
		case tag == 0:
			p.data = f
			if src.IsValid() && dst.IsValid() {
				p.src, p.dst = netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
			}
			return p, true
		case (tag == expPDUIPv4Src || tag == expPDUIPv4Dst) && n == 4,
			(tag == expPDUIPv6Src || tag == expPDUIPv6Dst) && n == 16:
			a, _ := netip.AddrFromSlice(v)
			if tag == expPDUIPv4Src || tag == expPDUIPv6Src {
				src = a
			} else {
				dst = a
			}
		case tag == expPDUPortType && n == 4:
			p.ports = binary.BigEndian.Uint32(v)
		case tag == expPDUSrcPort && n == 4:
			sport = uint16(binary.BigEndian.Uint32(v))
		case tag == expPDUDstPort && n == 4:
			dport = uint16(binary.BigEndian.Uint32(v))
		}
	}
	return pdu{}, false
}

// tcp appends a segment to its stream and queues the stream's whole
// frames.
func (r *Reader) tcp(rec Record, payload []byte, desc string) {
	k := flowKey{rec.Src, rec.Dst}
	fl := r.flows[k]
	if fl == nil {
		if len(r.flows) >= MaxFlows {
			r.Skipped++
			return
		}
		fl = &flow{}
		switch {
		case strings.HasSuffix(desc, " slip"):
			fl.slip = 1
		case strings.HasSuffix(desc, " size"):
			fl.slip = -1
		}
		r.flows[k] = fl
	}
	if len(fl.buf)+len(payload) > MaxBlock || r.held+len(payload) > 2*MaxBlock {
		// A frame beyond any cap, or too much held across streams:
		// drop this stream's partial frame and resynchronise.
		r.held -= len(fl.buf)
		fl.buf = fl.buf[:0]
		r.Skipped++
		return
	}
	before := len(fl.buf)
	fl.buf = append(fl.buf, payload...)
	defer func() { r.held += len(fl.buf) - before }()
	for len(fl.buf) > 0 {
		if fl.slip == 0 {
			fl.slip = -1
			if fl.buf[0] == 0xC0 {
				fl.slip = 1
			}
		}
		var data []byte
		var used int
		if fl.slip > 0 {
			data, used = unslip(fl.buf)
		} else if len(fl.buf) >= 4 {
			n := int(binary.BigEndian.Uint32(fl.buf))
			if n < 0 || n > MaxBlock {
				fl.buf = fl.buf[:0]
				r.Skipped++
				return
			}
			if len(fl.buf) >= 4+n {
				data, used = bytes.Clone(fl.buf[4:4+n]), 4+n
			}
		}
		if used == 0 {
			return
		}
		fl.buf = fl.buf[:copy(fl.buf, fl.buf[used:])]
		if data == nil {
			continue // SLIP: an empty frame between two ENDs
		}
		rec.Data, rec.Slip = data, fl.slip > 0
		r.queue = append(r.queue, rec)
	}
}

// unslip decodes the first SLIP frame of b: its packet (nil for an empty
// frame) and the bytes it used, 0 when the frame is not whole.
func unslip(b []byte) ([]byte, int) {
	i := 0
	for i < len(b) && b[i] == 0xC0 {
		i++
	}
	if i == len(b) {
		return nil, len(b)
	}
	if i > 0 {
		return nil, i
	}
	end := bytes.IndexByte(b, 0xC0)
	if end < 0 {
		return nil, 0
	}
	out := make([]byte, 0, end)
	for j := 0; j < end; j++ {
		c := b[j]
		if c == 0xDB && j+1 < end {
			j++
			switch b[j] {
			case 0xDC:
				c = 0xC0
			case 0xDD:
				c = 0xDB
			default:
				c = b[j]
			}
		}
		out = append(out, c)
	}
	return out, end + 1
}

type jsonLine struct {
	Time        int64  `json:"time"`
	Wall        string `json:"wall"`
	Transport   string `json:"transport"`
	Framing     string `json:"framing"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Endpoint    string `json:"endpoint"`
	Malformed   string `json:"malformed"`
	Raw         string `json:"raw"`
}

func (r *Reader) nextJSON() error {
	off := r.off
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.block = append(r.block[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.block) > MaxBlock {
				return formatErr(off, "line longer than %d bytes", MaxBlock)
			}
			line, err = r.r.ReadSlice('\n')
			r.block = append(r.block, line...)
		}
		line = r.block
	}
	r.off += int64(len(line))
	if err != nil && (err != io.EOF || len(line) == 0) {
		if err == io.EOF {
			return io.EOF
		}
		return err
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	var j jsonLine
	if err := json.Unmarshal(line, &j); err != nil {
		return formatErr(off, "bad JSON line: %v", err)
	}
	rec := Record{Time: j.Time, Transport: parseTransport(j.Transport), Slip: j.Framing == "slip", Endpoint: j.Endpoint, Malformed: j.Malformed}
	if rec.Transport == 0 {
		return formatErr(off, "unknown transport %q", j.Transport)
	}
	if rec.Data, err = hex.DecodeString(j.Raw); err != nil {
		return formatErr(off, "bad raw hex: %v", err)
	}
	if rec.Transport == Unix {
		rec.Path = j.Source
	} else {
		rec.Src, _ = netip.ParseAddrPort(j.Source)
		rec.Dst, _ = netip.ParseAddrPort(j.Destination)
	}
	if r.first {
		r.first = false
		if w, err := time.Parse(time.RFC3339Nano, j.Wall); err == nil {
			r.hdr.Start = w.Add(-time.Duration(j.Time))
		}
	}
	r.queue = append(r.queue, rec)
	return nil
}
