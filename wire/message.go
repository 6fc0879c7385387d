package wire

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"

	"github.com/osckit/osc/internal/limits"
)

// Limits applied when an Options field is zero.
const (
	defaultMaxBundleDepth = limits.BundleDepth // bundles nested inside the outermost one: 8
	defaultMaxArrayDepth  = limits.ArrayDepth  // arrays nested inside a message: 32
)

// Options control how packets are decoded. The zero value decodes strictly,
// with the default depth limits. An Options value is read-only during
// decoding and safe for concurrent use.
type Options struct {
	// Lenient accepts what a lenient decoder may ignore (see the package
	// documentation's decisions):
	// non-zero bytes in string and blob padding, bytes left over after the
	// last argument, a message made of an address alone (no type tag
	// string, read as zero arguments), and a nested bundle timed earlier
	// than its parent (raised to the parent's time).
	Lenient bool
	// LooseAddress accepts a message parsed on its own (not inside a
	// bundle) whose address does not start with '/', like oscpy's
	// validate_message_address=False; it still may not start with '#' or
	// NUL. A Router runs only its NotFound handler for such a message.
	// Neither strict nor Lenient decoding accepts one.
	LooseAddress bool
	// MaxBundleDepth limits bundle nesting inside the outermost bundle; 0
	// means 8.
	MaxBundleDepth int
	// MaxArrayDepth limits array nesting inside a message; 0 means 32.
	MaxArrayDepth int
}

var strict Options

func (o *Options) bundleDepth() int {
	if o.MaxBundleDepth > 0 {
		return o.MaxBundleDepth
	}
	return defaultMaxBundleDepth
}

func (o *Options) arrayDepth() int {
	if o.MaxArrayDepth > 0 {
		return o.MaxArrayDepth
	}
	return defaultMaxArrayDepth
}

// Message is a read-only view of one encoded OSC message. ParseMessage
// validates the whole message once; after that no accessor fails on
// structure, and type mismatches are reported through ok results.
//
// # Lifetime
//
// A Message aliases the bytes it was parsed from and does not copy them.
// When a server hands a Message to a handler, it is valid only until the
// handler returns, because the receive buffer is reused. Copies of a
// Message share those bytes; call Clone to keep one.
type Message struct {
	b []byte
	// h packs the layout: the address length without its NUL (bits
	// 0-30), whether a type tag string follows (bit 31), the number of
	// type tag characters (bits 32-53) and the number of top-level
	// arguments, an array counting once (bits 54-63; nargsMany when it
	// does not fit, and then counted again from the tags). The offsets of
	// the tags and of the argument data follow from these. With the
	// Message four words long, ParseArgs returns its Message, []Arg and
	// error in registers and ParseMessage its Message and error; with
	// five 32-bit fields they went through memory, and the caller read
	// them back in 16-byte words that stalled on store-to-load forwarding.
	h uint64
}

// Layout of Message.h.
const (
	hasTagsBit = 1 << 31
	nargsShift = 54
	nargsMany  = 1<<(64-nargsShift) - 1
)

// newMessage returns the view of the message b whose address is addrLen
// bytes long, with a type tag string of tagLen characters (hasTags) and
// nargs top-level arguments. addrLen is below 1<<31 (packets are at most
// 1<<31 bytes) and tagLen at most maxTags.
func newMessage(b []byte, addrLen int, hasTags bool, tagLen, nargs int) Message {
	h := uint64(addrLen) | uint64(tagLen)<<32 | uint64(min(nargs, nargsMany))<<nargsShift
	if hasTags {
		h |= hasTagsBit
	}
	return Message{b: b, h: h}
}

func (m Message) addrLen() int { return int(m.h & (hasTagsBit - 1)) }
func (m Message) tagLen() int  { return int(m.h>>32) & maxTags }

// tagOff returns the offset of the first type tag, after the ','; without
// a type tag string, the offset where it would be.
func (m Message) tagOff() int {
	if m.h == 0 {
		return 0 // the zero Message
	}
	off := (m.addrLen() + 4) &^ 3
	if m.h&hasTagsBit != 0 {
		off++
	}
	return off
}

// argOff returns the offset of the argument data.
func (m Message) argOff() int {
	if m.h&hasTagsBit == 0 {
		return m.tagOff()
	}
	return (m.tagOff() + m.tagLen() + 4) &^ 3
}

// nargs returns the number of top-level arguments.
func (m Message) nargs() int {
	if n := int(m.h >> nargsShift); n < nargsMany {
		return n
	}
	return topLevel(m.TypeTags())
}

// topLevel counts the top-level arguments of validated type tags.
func topLevel(tags []byte) int {
	depth, n := 0, 0
	for _, t := range tags {
		if depth == 0 && t != ']' {
			n++
		}
		if t == '[' {
			depth++
		} else if t == ']' {
			depth--
		}
	}
	return n
}

// ParseMessage validates b as one OSC message, strictly, and returns a view
// of it. It does not allocate unless it fails. An error is a *ParseError.
func ParseMessage(b []byte) (Message, error) { return strict.parse(b) }

// ParseMessage validates b as one OSC message under o and returns a view of
// it. It does not allocate unless it fails. An error is a *ParseError.
func (o *Options) ParseMessage(b []byte) (Message, error) { return o.parse(b) }

// ParseArgs validates b as one OSC message under o and appends its
// top-level arguments to dst. It is a decoder: ParseMessage followed by
// Message.AppendArgs, fused into one pass over the bytes so that strings
// and blobs are scanned once, for a receiver that reads every argument of
// what it decodes. It returns what the two calls would. On error dst is
// returned unchanged. With a dst of enough capacity it does not allocate
// unless it fails.
//
//	var strict wire.Options
//	var argv [8]wire.Arg
//	m, args, err := strict.ParseArgs(pkt, argv[:0])
func (o *Options) ParseArgs(b []byte, dst []Arg) (Message, []Arg, error) {
	return o.parseArgs(b, dst)
}

// parseArgsSlow is ParseArgs the careful way: parseSlow, then AppendArgs.
func (o *Options) parseArgsSlow(b []byte, dst []Arg) (Message, []Arg, error) {
	m, err := o.parseSlow(b)
	if err != nil {
		return m, dst, err
	}
	return m, m.AppendArgs(dst), nil
}

// parseHead checks, strictly, the address and the type tag string of the
// message b and returns the address's NUL, the offset of the ',' and the
// index of the type tag string's NUL.
func parseHead(b []byte) (nul, off, tend int, ok bool) {
	n := len(b)
	if n == 0 || n&3 != 0 || b[0] != '/' || uint64(n) > 1<<31 {
		return 0, 0, 0, false
	}
	nul, padOK := stringEnd(b, 0)
	off = (nul + 4) &^ 3
	if nul < 0 || !padOK || off >= n || b[off] != ',' {
		return 0, 0, 0, false
	}
	tend, padOK = stringEnd(b, off)
	if tend < 0 || !padOK || tend-off-1 > maxTags {
		return 0, 0, 0, false
	}
	return nul, off, tend, true
}

// parse validates b under o. A strict parse checks quickly and leaves
// every failure to parseSlow, which finds out what is wrong and where; a
// lenient one goes there directly.
func (o *Options) parse(b []byte) (Message, error) {
	if o.Lenient {
		return o.parseSlow(b)
	}
	nul, off, tend, ok := parseHead(b)
	if !ok {
		return o.parseSlow(b)
	}
	n := len(b)
	argOff := (tend + 4) &^ 3
	tags := b[off+1 : tend]
	p := argOff
	arrays := false
	for _, t := range tags {
		c := tagClass[t]
		if c < classString {
			p += int(c)
			continue
		}
		switch c {
		case classString:
			e, padOK := stringEnd(b, p)
			if e < 0 || !padOK {
				return o.parseSlow(b)
			}
			p = (e + 4) &^ 3
		case classBlob:
			if p+4 > n {
				return o.parseSlow(b)
			}
			size := binary.BigEndian.Uint32(b[p:])
			if size > uint32(n-p-4) {
				return o.parseSlow(b)
			}
			next := p + 4 + int(size+3)&^3
			if r := size & 3; r != 0 && binary.LittleEndian.Uint32(b[next-4:next])>>(8*r) != 0 {
				return o.parseSlow(b)
			}
			p = next
		case classArrOpen, classArrClose:
			arrays = true
		default:
			return o.parseSlow(b)
		}
	}
	if p != n {
		return o.parseSlow(b)
	}
	nargs := len(tags)
	if arrays {
		if nargs, ok = o.countArrays(tags); !ok {
			return o.parseSlow(b)
		}
	}
	return newMessage(b, nul, true, len(tags), nargs), nil
}

// parseArgs is parse that also appends the top-level arguments to dst as it
// goes. The loops are kept apart so that ParseMessage pays nothing for the
// collecting.
func (o *Options) parseArgs(b []byte, dst []Arg) (Message, []Arg, error) {
	if o.Lenient {
		return o.parseArgsSlow(b, dst)
	}
	nul, off, tend, ok := parseHead(b)
	if !ok {
		return o.parseArgsSlow(b, dst)
	}
	n := len(b)
	argOff := (tend + 4) &^ 3
	tags := b[off+1 : tend]
	p := argOff
	arrays := false
	k := len(dst)
	args := slices.Grow(dst, len(tags))
	out := args[k : k+len(tags)]
	for i, t := range tags {
		c := tagClass[t]
		s, e := p, p
		if c < classString {
			e += int(c)
			p = e
			if p > n {
				return o.parseArgsSlow(b, dst)
			}
		} else {
			switch c {
			case classString:
				var padOK bool
				e, padOK = stringEnd(b, p)
				if e < 0 || !padOK {
					return o.parseArgsSlow(b, dst)
				}
				p = (e + 4) &^ 3
			case classBlob:
				if p+4 > n {
					return o.parseArgsSlow(b, dst)
				}
				size := binary.BigEndian.Uint32(b[p:])
				if size > uint32(n-p-4) {
					return o.parseArgsSlow(b, dst)
				}
				s = p + 4
				e = s + int(size)
				p = (e + 3) &^ 3
				if r := size & 3; r != 0 && binary.LittleEndian.Uint32(b[p-4:p])>>(8*r) != 0 {
					return o.parseArgsSlow(b, dst)
				}
			case classArrOpen, classArrClose:
				arrays = true
				continue
			default:
				return o.parseArgsSlow(b, dst)
			}
		}
		out[i] = Arg{b: b[s:e:e], x: uint64(t)}
	}
	if p != n {
		return o.parseArgsSlow(b, dst)
	}
	if arrays {
		return o.regroupArrays(b, dst, args, k, nul, tags)
	}
	return newMessage(b, nul, true, len(tags), len(tags)), args[:k+len(tags)], nil
}

// regroupArrays finishes parseArgs for a message with arrays, whose
// elements went into args[k:] as top-level arguments: it counts the
// top-level arguments and collects again with the cursor, which groups
// them.
func (o *Options) regroupArrays(b []byte, dst, args []Arg, k, nul int, tags []byte) (Message, []Arg, error) {
	nargs, ok := o.countArrays(tags)
	if !ok {
		return o.parseArgsSlow(b, dst)
	}
	m := newMessage(b, nul, true, len(tags), nargs)
	return m, m.AppendArgs(args[:k]), nil
}

// countArrays checks the brackets of tags and counts the top-level
// arguments.
func (o *Options) countArrays(tags []byte) (nargs int, ok bool) {
	depth, maxDepth := 0, o.arrayDepth()
	for _, t := range tags {
		if depth == 0 && t != ']' {
			nargs++
		}
		switch t {
		case '[':
			if depth++; depth > maxDepth {
				return 0, false
			}
		case ']':
			if depth--; depth < 0 {
				return 0, false
			}
		}
	}
	return nargs, depth == 0
}

func (o *Options) parseSlow(b []byte) (Message, error) {
	var m Message
	if len(b) == 0 {
		return m, perr(0, -1, errShort)
	}
	if len(b)&3 != 0 {
		return m, perr(len(b), -1, errAlign)
	}
	if b[0] != '/' && (!o.LooseAddress || b[0] == '#' || b[0] == 0) {
		return m, perr(0, -1, errAddress)
	}
	if uint64(len(b)) > 1<<31 {
		return m, perr(0, -1, errTooLarge)
	}
	lenient := o.Lenient
	nul, padOK := stringEnd(b, 0)
	if nul < 0 {
		return m, perr(len(b), -1, errUnterminated)
	}
	off := (nul + 4) &^ 3
	if !padOK && !lenient {
		return m, perr(nul, -1, errPadding)
	}
	if off == len(b) {
		if !o.Lenient {
			return Message{}, perr(off, -1, errTypeTags)
		}
		return newMessage(b, nul, false, 0, 0), nil
	}
	if b[off] != ',' {
		return Message{}, perr(off, -1, errTypeTags)
	}
	tend, padOK := stringEnd(b, off)
	if tend < 0 {
		return Message{}, perr(len(b), -1, errUnterminated)
	}
	tnul := tend - off
	argOff := (tend + 4) &^ 3
	if !padOK && !lenient {
		return Message{}, perr(tend, -1, errPadding)
	}
	if tnul-1 > maxTags {
		return Message{}, perr(off, -1, errTooLarge)
	}
	n, end, err := o.checkArgs(b[off+1:tend], b, argOff)
	if err != nil {
		return Message{}, err
	}
	if end != len(b) && !o.Lenient {
		return Message{}, perr(end, -1, errTrailing)
	}
	return newMessage(b, nul, true, tnul-1, n), nil
}

// trustedMessage builds the view of a message that has already been
// validated under some Options, without checking anything again.
func trustedMessage(b []byte) Message {
	nul := nulIndex(b, 0)
	off := (nul + 4) &^ 3
	if off == len(b) || b[off] != ',' {
		return newMessage(b, nul, false, 0, 0) // address only, accepted by a lenient decoder
	}
	tnul := nulIndex(b, off) - off
	return newMessage(b, nul, true, tnul-1, topLevel(b[off+1:off+tnul]))
}

// checkArgs validates the argument data described by tags, starting at off
// in b. It returns the number of top-level arguments and the offset just
// past the last one.
func (o *Options) checkArgs(tags, b []byte, off int) (nargs, end int, err error) {
	depth, maxDepth := 0, o.arrayDepth()
	for _, t := range tags {
		if depth == 0 && t != ']' {
			nargs++
		}
		switch n := int(dataSize[t]); n {
		case 4, 8:
			if len(b)-off < n {
				return 0, 0, perr(off, nargs-1, errShort)
			}
			off += n
		case 0:
			switch t {
			case '[':
				depth++
				if depth > maxDepth {
					return 0, 0, perr(off, nargs-1, errNesting)
				}
			case ']':
				depth--
				if depth < 0 {
					return 0, 0, perr(off, nargs, errArray)
				}
			}
		case -1:
			var next int
			if t == 'b' {
				if len(b)-off < 4 {
					return 0, 0, perr(off, nargs-1, errShort)
				}
				size := int64(int32(binary.BigEndian.Uint32(b[off:])))
				if size < 0 || size > int64(len(b)-off-4) {
					return 0, 0, perr(off, nargs-1, errBlobSize)
				}
				dataEnd := off + 4 + int(size)
				next = (dataEnd + 3) &^ 3
				if next > len(b) {
					return 0, 0, perr(len(b), nargs-1, errShort)
				}
				if r := uint(size) & 3; r != 0 && !o.Lenient {
					// The last word holds r data bytes, then padding.
					if binary.LittleEndian.Uint32(b[next-4:next])>>(8*r) != 0 {
						return 0, 0, perr(dataEnd, nargs-1, errPadding)
					}
				}
			} else {
				if off >= len(b) {
					return 0, 0, perr(off, nargs-1, errShort)
				}
				nul, padOK := stringEnd(b, off)
				if nul < 0 {
					return 0, 0, perr(len(b), nargs-1, errUnterminated)
				}
				next = (nul + 4) &^ 3
				if !padOK && !o.Lenient {
					return 0, 0, perr(nul, nargs-1, errPadding)
				}
			}
			off = next
		default:
			return 0, 0, perr(off, nargs-1, errUnknownType)
		}
	}
	if depth != 0 {
		return 0, 0, perr(off, nargs-1, errArray)
	}
	return nargs, off, nil
}

// Address returns the address pattern, without its NUL padding. The slice
// aliases the message.
func (m Message) Address() []byte { n := m.addrLen(); return m.b[:n:n] }

// AddressString returns a copy of the address pattern as a string.
func (m Message) AddressString() string { return string(m.b[:m.addrLen()]) }

// TypeTags returns the type tag string without its leading comma. The slice
// aliases the message. It is empty for a message without arguments.
func (m Message) TypeTags() []byte {
	s := m.tagOff()
	e := s + m.tagLen()
	return m.b[s:e:e]
}

// hasTypeTags reports whether the message carried a type tag string (only a
// lenient decoder accepts one that does not).
func (m Message) hasTypeTags() bool { return m.h&hasTagsBit != 0 }

// NumArgs returns the number of top-level arguments; an array counts as one.
func (m Message) NumArgs() int { return m.nargs() }

// Args returns a cursor over the top-level arguments.
func (m Message) Args() ArgReader {
	tp := m.tagOff()
	return ArgReader{b: m.b, tp: uint32(tp), tend: uint32(tp + m.tagLen()), off: uint32(m.argOff())}
}

// AppendArgs appends the top-level arguments to dst and returns the
// extended slice, in the manner of liblo's argv. It reads them in one tight
// pass, which is quicker than a cursor when every argument is wanted; with
// a dst of enough capacity it does not allocate.
//
//	var argv [8]wire.Arg
//	args := m.AppendArgs(argv[:0])
//	freq, ok := args[0].Float32()
func (m Message) AppendArgs(dst []Arg) []Arg {
	tagLen := m.tagLen()
	if int(m.h>>nargsShift) != tagLen {
		// An array takes at least two tags: read with the cursor.
		r := m.Args()
		for r.Next() {
			dst = append(dst, r.Arg())
		}
		return dst
	}
	b := m.b
	tp := m.tagOff()
	tags := b[tp : tp+tagLen]
	n := len(dst)
	dst = slices.Grow(dst, len(tags))
	out := dst[n : n+len(tags)]
	p := m.argOff()
	for i, t := range tags {
		c := tagClass[t]
		s, e := p, p
		switch {
		case c < classString:
			e += int(c)
			p = e
		case c == classString:
			e, _ = stringEnd(b, p)
			p = (e + 4) &^ 3
		default:
			s += 4
			e = s + int(binary.BigEndian.Uint32(b[p:]))
			p = (e + 3) &^ 3
		}
		out[i] = Arg{b: b[s:e:e], x: uint64(t)}
	}
	return dst[:n+len(tags)]
}

// Bytes returns the encoded message. The slice aliases the message.
func (m Message) Bytes() []byte { return m.b }

// Clone returns a Message that owns a copy of its bytes, so that it stays
// valid after the original buffer is reused. It makes one allocation.
func (m Message) Clone() Message {
	if m.b != nil {
		m.b = bytes.Clone(m.b)
	}
	return m
}

// ArgReader is a cursor over arguments, in order. Arrays are returned as
// one argument of type TypeArrayBegin; Arg.Array opens them.
//
//	r := m.Args()
//	for r.Next() {
//		a := r.Arg()
//		...
//	}
//
// Declare the reader before the loop, as above, rather than in the for
// statement: since Go 1.22 a variable declared there is copied for every
// iteration, which makes reading arguments about twice as slow.
//
// # Lifetime
//
// An ArgReader and the Args it returns alias the message's bytes and share
// its lifetime. Copying a reader copies its position.
type ArgReader struct {
	b        []byte // holds the tags, then the data (4-aligned at its start)
	tp, tend uint32 // next tag, end of tags
	off      uint32 // data offset of the next argument
	t        Type   // current argument
	s, e     uint32 // its data
	ats, ate uint32 // an array's element tags
}

// maxTags bounds the type tag string, so that an array's tag count fits in
// an Arg.
const maxTags = 1<<22 - 1

// Next advances to the next argument and reports whether there is one.
func (r *ArgReader) Next() bool {
	if r.tp >= r.tend {
		return false
	}
	t := r.b[r.tp]
	r.tp++
	r.t = Type(t)
	if c := tagClass[t]; c < classString {
		r.s = r.off
		r.off += uint32(c)
		r.e = r.off
		return true
	}
	r.variable(t)
	return true
}

// variable reads a string, blob or array argument of type t.
func (r *ArgReader) variable(t byte) {
	r.s = r.off
	switch t {
	case 's', 'S':
		nul := uint32(nulIndex(r.b, int(r.off)))
		r.e = nul
		r.off = (nul + 4) &^ 3
	case 'b':
		size := binary.BigEndian.Uint32(r.b[r.off:])
		r.s = r.off + 4
		r.e = r.s + size
		r.off = r.s + (size+3)&^3
	default:
		r.array()
	}
}

// array reads an array argument.
func (r *ArgReader) array() {
	tp, depth := r.tp, 1
	off := int(r.off)
	for ; ; tp++ {
		c := r.b[tp]
		if c == '[' {
			depth++
		} else if c == ']' {
			if depth--; depth == 0 {
				break
			}
		} else {
			off = skip(c, r.b, off)
		}
	}
	r.off = uint32(off)
	r.e = r.off
	r.ats, r.ate = r.tp, tp
	r.tp = tp + 1
}

// stringEnd finds the NUL that ends the OSC-string at off in b, where off
// is a multiple of 4 and so is len(b). It returns the NUL's index (-1 if
// there is none) and whether the rest of its 4-byte word, the padding, is
// zero. It reads whole words: OSC strings are short and padded.
func stringEnd(b []byte, off int) (nul int, padOK bool) {
	for ; off+4 <= len(b); off += 4 {
		v := binary.LittleEndian.Uint32(b[off : off+4])
		if z := (v - 0x01010101) &^ v & 0x80808080; z != 0 {
			p := bits.TrailingZeros32(z) >> 3
			return off + p, v>>(8*p) == 0
		}
	}
	return -1, false
}

// nulIndex returns the index of the first NUL in b at or after off, or -1.
// It reads whole 4-byte words, which suits the short, padded strings of
// OSC better than a call to bytes.IndexByte.
func nulIndex(b []byte, off int) int {
	for ; off+4 <= len(b); off += 4 {
		v := binary.LittleEndian.Uint32(b[off:])
		if z := (v - 0x01010101) &^ v & 0x80808080; z != 0 {
			return off + bits.TrailingZeros32(z)>>3
		}
	}
	for ; off < len(b); off++ {
		if b[off] == 0 {
			return off
		}
	}
	return -1
}

// skip returns the offset just past the data of a validated argument of
// type t at off.
func skip(t byte, b []byte, off int) int {
	switch n := int(dataSize[t]); {
	case n >= 0:
		return off + n
	case t == 'b':
		return off + 4 + (int(binary.BigEndian.Uint32(b[off:]))+3)&^3
	default:
		return (nulIndex(b, off) + 4) &^ 3
	}
}

// Arg returns the current argument.
func (r *ArgReader) Arg() Arg {
	if r.t != TypeArrayBegin {
		return Arg{b: r.b[r.s:r.e:r.e], x: uint64(r.t)}
	}
	return r.arrayArg()
}

func (r *ArgReader) arrayArg() Arg {
	base := r.ats &^ 3
	x := uint64(TypeArrayBegin) | uint64(r.ats&3)<<8 | uint64(r.ate-r.ats)<<10 | uint64(r.s-base)<<32
	return Arg{b: r.b[base:r.e:r.e], x: x}
}
