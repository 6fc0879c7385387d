package mdns

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// Record types and classes used by DNS-SD (RFC 6763) over mDNS (RFC 6762).
const (
	TypeA    uint16 = 1
	TypePTR  uint16 = 12
	TypeTXT  uint16 = 16
	TypeAAAA uint16 = 28
	TypeSRV  uint16 = 33
	TypeNSEC uint16 = 47
	TypeANY  uint16 = 255

	ClassIN uint16 = 1
	// classTopBit is the cache-flush bit of a record's class and the
	// unicast-response (QU) bit of a question's class.
	classTopBit uint16 = 0x8000
)

// Header flags.
const (
	flagResponse      uint16 = 0x8000
	flagAuthoritative uint16 = 0x0400
	flagTruncated     uint16 = 0x0200
	opcodeMask        uint16 = 0x7800
	rcodeMask         uint16 = 0x000f
)

// Limits of the codec. A packet larger than MaxPacket is refused: mDNS
// packets are at most 9000 bytes (RFC 6762 section 17).
const (
	MaxPacket  = 9000
	maxName    = 255 // bytes of a name in wire form
	maxLabel   = 63
	maxPointer = 64 // compression pointers followed in one name
	maxTXT     = 64 // strings kept from one TXT record
)

// Question is one entry of a message's question section.
type Question struct {
	Name    string // presentation form, without the trailing dot
	Type    uint16
	Unicast bool // the QU bit: the querier asks for a unicast answer
}

// Record is one resource record. Which data fields mean something depends
// on Type: Target for PTR and SRV, Priority, Weight and Port for SRV, Text
// for TXT, Addr for A and AAAA. Other types keep their raw data in Data.
type Record struct {
	Name       string // presentation form, without the trailing dot
	Type       uint16
	Class      uint16 // without the cache-flush bit
	CacheFlush bool
	TTL        uint32

	Target   string
	Priority uint16
	Weight   uint16
	Port     uint16
	Text     []string
	Addr     netip.Addr
	Data     []byte
}

// Message is a DNS message as mDNS uses it.
type Message struct {
	ID          uint16
	Flags       uint16
	Questions   []Question
	Answers     []Record
	Authorities []Record
	Additionals []Record
}

// IsResponse reports whether the QR bit is set.
func (m *Message) IsResponse() bool { return m.Flags&flagResponse != 0 }

// ParseError reports malformed input: what was wrong and at which byte
// offset of the packet.
type ParseError struct {
	Offset int
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("mdns: malformed packet at offset %d: %s", e.Offset, e.Reason)
}

func perr(off int, format string, args ...any) error {
	return &ParseError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// Parse decodes a packet. It never panics and allocates in proportion to
// the packet: counts that the packet cannot hold, names longer than 255
// bytes, labels longer than 63, compression pointers that do not point
// backwards and data that overruns its record are *ParseError.
func Parse(b []byte) (*Message, error) {
	if len(b) > MaxPacket {
		return nil, perr(MaxPacket, "packet of %d bytes, larger than %d", len(b), MaxPacket)
	}
	if len(b) < 12 {
		return nil, perr(len(b), "header needs 12 bytes, have %d", len(b))
	}
	m := &Message{ID: binary.BigEndian.Uint16(b), Flags: binary.BigEndian.Uint16(b[2:])}
	qd := int(binary.BigEndian.Uint16(b[4:]))
	an := int(binary.BigEndian.Uint16(b[6:]))
	ns := int(binary.BigEndian.Uint16(b[8:]))
	ar := int(binary.BigEndian.Uint16(b[10:]))
	// A question takes at least 5 bytes (root name, type, class), a
	// record 11: refuse counts the packet cannot hold before allocating.
	if need := qd*5 + (an+ns+ar)*11; need > len(b)-12 {
		return nil, perr(4, "counts %d/%d/%d/%d need at least %d bytes, the packet has %d after its header", qd, an, ns, ar, need, len(b)-12)
	}
	off := 12
	var err error
	if qd > 0 {
		m.Questions = make([]Question, qd)
	}
	for i := range m.Questions {
		q := &m.Questions[i]
		if q.Name, off, err = readName(b, off); err != nil {
			return nil, err
		}
		if off+4 > len(b) {
			return nil, perr(off, "question %d: type and class need 4 bytes, have %d", i, len(b)-off)
		}
		q.Type = binary.BigEndian.Uint16(b[off:])
		class := binary.BigEndian.Uint16(b[off+2:])
		q.Unicast = class&classTopBit != 0
		off += 4
	}
	for _, sec := range []struct {
		n   int
		dst *[]Record
	}{{an, &m.Answers}, {ns, &m.Authorities}, {ar, &m.Additionals}} {
		if sec.n == 0 {
			continue
		}
		rs := make([]Record, sec.n)
		for i := range rs {
			if off, err = readRecord(b, off, &rs[i]); err != nil {
				return nil, err
			}
		}
		*sec.dst = rs
	}
	return m, nil
}

func readRecord(b []byte, off int, r *Record) (int, error) {
	var err error
	if r.Name, off, err = readName(b, off); err != nil {
		return off, err
	}
	if off+10 > len(b) {
		return off, perr(off, "record %q: fixed part needs 10 bytes, have %d", r.Name, len(b)-off)
	}
	r.Type = binary.BigEndian.Uint16(b[off:])
	class := binary.BigEndian.Uint16(b[off+2:])
	r.Class = class &^ classTopBit
	r.CacheFlush = class&classTopBit != 0
	r.TTL = binary.BigEndian.Uint32(b[off+4:])
	n := int(binary.BigEndian.Uint16(b[off+8:]))
	off += 10
	if off+n > len(b) {
		return off, perr(off-2, "record %q: data length %d overruns the packet by %d bytes", r.Name, n, off+n-len(b))
	}
	end := off + n
	data := b[off:end]
	switch r.Type {
	case TypeA:
		if n != 4 {
			return off, perr(off, "A record of %d bytes", n)
		}
		r.Addr = netip.AddrFrom4([4]byte(data))
	case TypeAAAA:
		if n != 16 {
			return off, perr(off, "AAAA record of %d bytes", n)
		}
		r.Addr = netip.AddrFrom16([16]byte(data))
	case TypePTR:
		var next int
		if r.Target, next, err = readName(b[:end], off); err != nil {
			return off, err
		}
		if next != end {
			return off, perr(next, "PTR data has %d bytes after its name", end-next)
		}
	case TypeSRV:
		if n < 7 {
			return off, perr(off, "SRV record of %d bytes", n)
		}
		r.Priority = binary.BigEndian.Uint16(data)
		r.Weight = binary.BigEndian.Uint16(data[2:])
		r.Port = binary.BigEndian.Uint16(data[4:])
		var next int
		if r.Target, next, err = readName(b[:end], off+6); err != nil {
			return off, err
		}
		if next != end {
			return off, perr(next, "SRV data has %d bytes after its name", end-next)
		}
	case TypeTXT:
		for i := 0; i < n; {
			l := int(data[i])
			if i+1+l > n {
				return off, perr(off+i, "TXT string of %d bytes overruns its record", l)
			}
			if l > 0 && len(r.Text) < maxTXT {
				r.Text = append(r.Text, string(data[i+1:i+1+l]))
			}
			i += 1 + l
		}
	default:
		r.Data = append([]byte(nil), data...)
	}
	return end, nil
}

// readName reads a possibly compressed name at off and returns it in
// presentation form (dots between labels; '.' and '\' inside a label
// escaped with '\') with the offset after it. A pointer must point before
// the name that holds it, which makes loops impossible.
func readName(b []byte, off int) (string, int, error) {
	var sb strings.Builder
	wire := 0 // length in wire form, root byte included
	end := -1 // where the name ends in the packet, after the first pointer
	limit := off
	for jumps := 0; ; {
		if off >= len(b) {
			return "", off, perr(off, "name runs past the end of the packet")
		}
		l := int(b[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			if wire+1 > maxName {
				return "", off, perr(off, "name longer than %d bytes", maxName)
			}
			return sb.String(), end, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(b) {
				return "", off, perr(off, "compression pointer cut short")
			}
			p := int(binary.BigEndian.Uint16(b[off:]) & 0x3fff)
			if p >= limit {
				return "", off, perr(off, "compression pointer to %d does not point backwards", p)
			}
			if jumps++; jumps > maxPointer {
				return "", off, perr(off, "more than %d compression pointers", maxPointer)
			}
			if end < 0 {
				end = off + 2
			}
			off, limit = p, p
		case l&0xc0 != 0:
			return "", off, perr(off, "label type 0x%02x is not supported", l&0xc0)
		default:
			// l <= 63 here: the two top bits are clear.
			if off+1+l > len(b) {
				return "", off, perr(off, "label of %d bytes runs past the end of the packet", l)
			}
			if wire += 1 + l; wire+1 > maxName {
				return "", off, perr(off, "name longer than %d bytes", maxName)
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			for _, c := range b[off+1 : off+1+l] {
				if c == '.' || c == '\\' {
					sb.WriteByte('\\')
				}
				sb.WriteByte(c)
			}
			off += 1 + l
		}
	}
}

// Labels splits a name in presentation form into its labels, unescaped.
func Labels(name string) []string {
	var out []string
	var cur []byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '\\' && i+1 < len(name):
			i++
			cur = append(cur, name[i])
		case c == '.':
			out = append(out, string(cur))
			cur = cur[:0]
		default:
			cur = append(cur, c)
		}
	}
	if len(cur) > 0 || len(out) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// EscapeLabel returns a label in presentation form.
func EscapeLabel(l string) string {
	if !strings.ContainsAny(l, `.\`) {
		return l
	}
	var sb strings.Builder
	for i := 0; i < len(l); i++ {
		if l[i] == '.' || l[i] == '\\' {
			sb.WriteByte('\\')
		}
		sb.WriteByte(l[i])
	}
	return sb.String()
}

// EqualNames compares names in presentation form as DNS does: ASCII
// letters without regard to case.
func EqualNames(a, b string) bool { return strings.EqualFold(a, b) }

// builder appends a message with name compression.
type builder struct {
	b     []byte
	names map[string]int // lower-cased suffix in presentation form -> offset
}

// Append encodes m after b. Names are compressed against earlier names of
// the message. Names or labels too long for DNS are an error.
func (m *Message) Append(b []byte) ([]byte, error) {
	start := len(b)
	bd := builder{b: b, names: make(map[string]int)}
	bd.b = binary.BigEndian.AppendUint16(bd.b, m.ID)
	bd.b = binary.BigEndian.AppendUint16(bd.b, m.Flags)
	for _, n := range []int{len(m.Questions), len(m.Answers), len(m.Authorities), len(m.Additionals)} {
		if n > 0xffff {
			return b, fmt.Errorf("mdns: %d entries in a section", n)
		}
		bd.b = binary.BigEndian.AppendUint16(bd.b, uint16(n))
	}
	for _, q := range m.Questions {
		if err := bd.name(q.Name, start); err != nil {
			return b, err
		}
		class := ClassIN
		if q.Unicast {
			class |= classTopBit
		}
		bd.b = binary.BigEndian.AppendUint16(bd.b, q.Type)
		bd.b = binary.BigEndian.AppendUint16(bd.b, class)
	}
	for _, sec := range [][]Record{m.Answers, m.Authorities, m.Additionals} {
		for i := range sec {
			if err := bd.record(&sec[i], start); err != nil {
				return b, err
			}
		}
	}
	return bd.b, nil
}

func (bd *builder) record(r *Record, start int) error {
	if err := bd.name(r.Name, start); err != nil {
		return err
	}
	class := r.Class
	if class == 0 {
		class = ClassIN
	}
	if r.CacheFlush {
		class |= classTopBit
	}
	bd.b = binary.BigEndian.AppendUint16(bd.b, r.Type)
	bd.b = binary.BigEndian.AppendUint16(bd.b, class)
	bd.b = binary.BigEndian.AppendUint32(bd.b, r.TTL)
	lenAt := len(bd.b)
	bd.b = append(bd.b, 0, 0)
	switch r.Type {
	case TypeA:
		if !r.Addr.Is4() {
			return fmt.Errorf("mdns: A record %q without an IPv4 address", r.Name)
		}
		a := r.Addr.As4()
		bd.b = append(bd.b, a[:]...)
	case TypeAAAA:
		if !r.Addr.Is6() || r.Addr.Is4In6() {
			return fmt.Errorf("mdns: AAAA record %q without an IPv6 address", r.Name)
		}
		a := r.Addr.As16()
		bd.b = append(bd.b, a[:]...)
	case TypePTR:
		if err := bd.name(r.Target, start); err != nil {
			return err
		}
	case TypeSRV:
		bd.b = binary.BigEndian.AppendUint16(bd.b, r.Priority)
		bd.b = binary.BigEndian.AppendUint16(bd.b, r.Weight)
		bd.b = binary.BigEndian.AppendUint16(bd.b, r.Port)
		// RFC 6762 section 18.14 allows compressing the SRV target.
		if err := bd.name(r.Target, start); err != nil {
			return err
		}
	case TypeTXT:
		if len(r.Text) == 0 {
			bd.b = append(bd.b, 0) // RFC 6763 section 6.1: one empty string
		}
		for _, s := range r.Text {
			if len(s) > 255 {
				return fmt.Errorf("mdns: TXT string of %d bytes", len(s))
			}
			bd.b = append(bd.b, byte(len(s)))
			bd.b = append(bd.b, s...)
		}
	default:
		bd.b = append(bd.b, r.Data...)
	}
	n := len(bd.b) - lenAt - 2
	if n > 0xffff {
		return fmt.Errorf("mdns: record %q data of %d bytes", r.Name, n)
	}
	binary.BigEndian.PutUint16(bd.b[lenAt:], uint16(n))
	return nil
}

// name appends a name, compressed against the suffixes written before.
func (bd *builder) name(name string, start int) error {
	labels := Labels(name)
	total := 1
	for _, l := range labels {
		if len(l) == 0 || len(l) > maxLabel {
			return fmt.Errorf("mdns: label %q of name %q: want 1 to %d bytes", l, name, maxLabel)
		}
		total += 1 + len(l)
	}
	if total > maxName {
		return fmt.Errorf("mdns: name %q of %d bytes, longer than %d", name, total, maxName)
	}
	for i := range labels {
		key := suffixKey(labels[i:])
		if p, ok := bd.names[key]; ok {
			bd.b = binary.BigEndian.AppendUint16(bd.b, 0xc000|uint16(p))
			return nil
		}
		if p := len(bd.b) - start; p < 0x3fff {
			bd.names[key] = p
		}
		bd.b = append(bd.b, byte(len(labels[i])))
		bd.b = append(bd.b, labels[i]...)
	}
	bd.b = append(bd.b, 0)
	return nil
}

func suffixKey(labels []string) string {
	var sb strings.Builder
	for _, l := range labels {
		sb.WriteString(strings.ToLower(EscapeLabel(l)))
		sb.WriteByte('.')
	}
	return sb.String()
}
