package wire

import (
	"bytes"
	"encoding/binary"
	"iter"
)

// Default limits applied when an Options field is zero.
const (
	DefaultMaxBundleDepth = 8  // bundles nested inside the outermost one
	DefaultMaxArrayDepth  = 32 // arrays nested inside a message
)

// Options control how packets are decoded. The zero value decodes strictly,
// with the default depth limits. An Options value is read-only during
// decoding and safe for concurrent use.
type Options struct {
	// Lenient accepts what SPEC.md allows a lenient decoder to ignore:
	// non-zero bytes in string and blob padding, bytes left over after the
	// last argument, a message made of an address alone (no type tag
	// string, read as zero arguments), and a nested bundle timed earlier
	// than its parent (raised to the parent's time).
	Lenient bool
	// MaxBundleDepth limits bundle nesting; 0 means DefaultMaxBundleDepth.
	MaxBundleDepth int
	// MaxArrayDepth limits array nesting; 0 means DefaultMaxArrayDepth.
	MaxArrayDepth int
}

var strict Options

func (o *Options) bundleDepth() int {
	if o.MaxBundleDepth > 0 {
		return o.MaxBundleDepth
	}
	return DefaultMaxBundleDepth
}

func (o *Options) arrayDepth() int {
	if o.MaxArrayDepth > 0 {
		return o.MaxArrayDepth
	}
	return DefaultMaxArrayDepth
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
	b       []byte
	addrLen uint32 // address length, without NUL
	tagOff  uint32 // offset of the first tag after ','
	tagLen  uint32 // number of tag characters
	argOff  uint32 // offset of the argument data
	nargs   uint32 // number of top-level arguments (an array counts once)
}

// ParseMessage validates b as one OSC message, strictly, and returns a view
// of it. It does not allocate unless it fails. An error is a *ParseError.
func ParseMessage(b []byte) (Message, error) { return strict.ParseMessage(b) }

// ParseMessage validates b as one OSC message under o and returns a view of
// it. It does not allocate unless it fails. An error is a *ParseError.
func (o *Options) ParseMessage(b []byte) (Message, error) {
	var m Message
	if len(b) == 0 {
		return m, perr(0, -1, ErrShort)
	}
	if len(b)&3 != 0 {
		return m, perr(len(b), -1, ErrAlign)
	}
	if b[0] != '/' {
		return m, perr(0, -1, ErrAddress)
	}
	if len(b) > 1<<31 {
		return m, perr(0, -1, ErrTooLarge)
	}
	nul := bytes.IndexByte(b, 0)
	if nul < 0 {
		return m, perr(len(b), -1, ErrUnterminated)
	}
	off := (nul + 4) &^ 3
	if off > len(b) {
		return m, perr(len(b), -1, ErrShort)
	}
	if !o.Lenient && !zeros(b[nul:off]) {
		return m, perr(nul, -1, ErrPadding)
	}
	m.b = b
	m.addrLen = uint32(nul)
	if off == len(b) {
		if !o.Lenient {
			return Message{}, perr(off, -1, ErrTypeTags)
		}
		m.tagOff, m.argOff = uint32(off), uint32(off)
		return m, nil
	}
	if b[off] != ',' {
		return Message{}, perr(off, -1, ErrTypeTags)
	}
	tnul := bytes.IndexByte(b[off:], 0)
	if tnul < 0 {
		return Message{}, perr(len(b), -1, ErrUnterminated)
	}
	tend := off + tnul
	argOff := (tend + 4) &^ 3
	if argOff > len(b) {
		return Message{}, perr(len(b), -1, ErrShort)
	}
	if !o.Lenient && !zeros(b[tend:argOff]) {
		return Message{}, perr(tend, -1, ErrPadding)
	}
	m.tagOff = uint32(off + 1)
	m.tagLen = uint32(tnul - 1)
	m.argOff = uint32(argOff)
	n, end, err := o.checkArgs(b[off+1:tend], b, argOff)
	if err != nil {
		return Message{}, err
	}
	if end != len(b) && !o.Lenient {
		return Message{}, perr(end, -1, ErrTrailing)
	}
	m.nargs = uint32(n)
	return m, nil
}

// trustedMessage builds the view of a message that has already been
// validated under some Options, without checking anything again.
func trustedMessage(b []byte) Message {
	nul := bytes.IndexByte(b, 0)
	off := (nul + 4) &^ 3
	m := Message{b: b, addrLen: uint32(nul), tagOff: uint32(off), argOff: uint32(off)}
	if off == len(b) || b[off] != ',' {
		return m // address only, accepted by a lenient decoder
	}
	tnul := bytes.IndexByte(b[off:], 0)
	m.tagOff = uint32(off + 1)
	m.tagLen = uint32(tnul - 1)
	m.argOff = uint32((off + tnul + 4) &^ 3)
	depth, n := 0, 0
	for _, t := range b[off+1 : off+tnul] {
		if depth == 0 && t != ']' {
			n++
		}
		if t == '[' {
			depth++
		} else if t == ']' {
			depth--
		}
	}
	m.nargs = uint32(n)
	return m
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
				return 0, 0, perr(off, nargs-1, ErrShort)
			}
			off += n
		case 0:
			switch t {
			case '[':
				depth++
				if depth > maxDepth {
					return 0, 0, perr(off, nargs-1, ErrNesting)
				}
			case ']':
				depth--
				if depth < 0 {
					return 0, 0, perr(off, nargs, ErrArray)
				}
			}
		case -1:
			var next int
			if t == 'b' {
				if len(b)-off < 4 {
					return 0, 0, perr(off, nargs-1, ErrShort)
				}
				size := int64(int32(binary.BigEndian.Uint32(b[off:])))
				if size < 0 || size > int64(len(b)-off-4) {
					return 0, 0, perr(off, nargs-1, ErrBlobSize)
				}
				dataEnd := off + 4 + int(size)
				next = (dataEnd + 3) &^ 3
				if next > len(b) {
					return 0, 0, perr(len(b), nargs-1, ErrShort)
				}
				if !o.Lenient && !zeros(b[dataEnd:next]) {
					return 0, 0, perr(dataEnd, nargs-1, ErrPadding)
				}
			} else {
				if off >= len(b) {
					return 0, 0, perr(off, nargs-1, ErrShort)
				}
				nul := bytes.IndexByte(b[off:], 0)
				if nul < 0 {
					return 0, 0, perr(len(b), nargs-1, ErrUnterminated)
				}
				nul += off
				next = (nul + 4) &^ 3
				if next > len(b) {
					return 0, 0, perr(len(b), nargs-1, ErrShort)
				}
				if !o.Lenient && !zeros(b[nul:next]) {
					return 0, 0, perr(nul, nargs-1, ErrPadding)
				}
			}
			off = next
		default:
			return 0, 0, perr(off, nargs-1, ErrUnknownType)
		}
	}
	if depth != 0 {
		return 0, 0, perr(off, nargs-1, ErrArray)
	}
	return nargs, off, nil
}

func zeros(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Address returns the address pattern, without its NUL padding. The slice
// aliases the message.
func (m *Message) Address() []byte { return m.b[:m.addrLen:m.addrLen] }

// AddressString returns a copy of the address pattern as a string.
func (m *Message) AddressString() string { return string(m.b[:m.addrLen]) }

// TypeTags returns the type tag string without its leading comma. The slice
// aliases the message. It is empty for a message without arguments.
func (m *Message) TypeTags() []byte {
	return m.b[m.tagOff : m.tagOff+m.tagLen : m.tagOff+m.tagLen]
}

// HasTypeTags reports whether the message carried a type tag string (only a
// lenient decoder accepts one that does not).
func (m *Message) HasTypeTags() bool { return m.tagOff != m.argOff }

// NumArgs returns the number of top-level arguments; an array counts as one.
func (m *Message) NumArgs() int { return int(m.nargs) }

// Args returns a cursor over the top-level arguments.
func (m *Message) Args() ArgReader {
	return ArgReader{tags: m.TypeTags(), data: m.b, off: int(m.argOff)}
}

// Arg returns the i-th top-level argument. It walks the arguments before it;
// use Args to visit them all.
func (m *Message) Arg(i int) (Arg, bool) {
	if i < 0 || i >= int(m.nargs) {
		return Arg{}, false
	}
	r := m.Args()
	for r.Next() {
		if i == 0 {
			return r.Arg(), true
		}
		i--
	}
	return Arg{}, false
}

// All returns an iterator over the top-level arguments and their indexes.
func (m *Message) All() iter.Seq2[int, Arg] {
	return func(yield func(int, Arg) bool) {
		r := m.Args()
		for i := 0; r.Next(); i++ {
			if !yield(i, r.Arg()) {
				return
			}
		}
	}
}

// Bytes returns the encoded message. The slice aliases the message.
func (m *Message) Bytes() []byte { return m.b }

// Clone returns a Message that owns a copy of its bytes, so that it stays
// valid after the original buffer is reused. It makes one allocation.
func (m *Message) Clone() Message {
	c := *m
	if m.b != nil {
		c.b = bytes.Clone(m.b)
	}
	return c
}

// ArgReader is a cursor over arguments, in order. Arrays are returned as
// one argument of type TypeArrayBegin; Arg.Array opens them.
//
// # Lifetime
//
// An ArgReader and the Args it returns alias the message's bytes and share
// its lifetime. Copying a reader copies its position.
type ArgReader struct {
	tags   []byte
	data   []byte
	off    int // data offset of the next argument
	ti     int // index of the next tag
	t      Type
	s, e   int // current argument's data span
	ts, te int // current array's element tags
}

// Next advances to the next argument and reports whether there is one.
func (r *ArgReader) Next() bool {
	if r.ti >= len(r.tags) {
		return false
	}
	t := r.tags[r.ti]
	r.ti++
	r.t = Type(t)
	r.s = r.off
	if n := int(dataSize[t]); n >= 0 && t != '[' {
		r.off += n
		r.e = r.off
		return true
	}
	r.variable(t)
	return true
}

// variable reads an argument of variable size: a string, a blob or an
// array.
func (r *ArgReader) variable(t byte) {
	switch t {
	case '[':
		ti, depth := r.ti, 1
		for ; ; ti++ {
			c := r.tags[ti]
			if c == '[' {
				depth++
			} else if c == ']' {
				if depth--; depth == 0 {
					break
				}
			} else {
				r.off = skip(c, r.data, r.off)
			}
		}
		r.e = r.off
		r.ts, r.te = r.ti, ti
		r.ti = ti + 1
	case 'b':
		size := int(binary.BigEndian.Uint32(r.data[r.off:]))
		r.s = r.off + 4
		r.e = r.s + size
		r.off = r.s + (size+3)&^3
	default: // s, S
		nul := bytes.IndexByte(r.data[r.off:], 0)
		r.e = r.off + nul
		r.off += (nul + 4) &^ 3
	}
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
		return off + (bytes.IndexByte(b[off:], 0)+4)&^3
	}
}

// Arg returns the current argument.
func (r *ArgReader) Arg() Arg {
	if r.t == TypeArrayBegin {
		return Arg{t: r.t, tags: r.tags[r.ts:r.te:r.te], b: r.data[r.s:r.e:r.e]}
	}
	return Arg{t: r.t, b: r.data[r.s:r.e:r.e]}
}

// Remaining returns the type tags not yet visited.
func (r *ArgReader) Remaining() []byte { return r.tags[r.ti:] }
