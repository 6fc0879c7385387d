package wire

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
)

// Encoder builds one OSC packet at a time: a message, or a bundle of
// messages and nested bundles. The chained methods record the first error
// and make later calls no-ops; Bytes or Err report it.
//
//	e.Message("/synth/1/freq").Int32(440).Float32(0.5).End()
//	pkt, err := e.Bytes()
//
// Bundles nest; element sizes are written when each element ends:
//
//	e.BeginBundle(tt).Message("/a").Int32(1).End().EndBundle()
//
// An Encoder reuses its buffers after Reset, so a warm Encoder encodes
// without allocating: keep one per goroutine, or in a sync.Pool. The zero
// value is ready to use. An Encoder is not safe for concurrent use and must
// not be copied after first use.
type Encoder struct {
	noCopy   noCopy
	buf      []byte
	tagAt    int     // offset of the space reserved for the type tags in buf
	ntag     int     // type tag bytes so far, ',' included; 0 outside a message
	itags    [8]byte // the first inlineTags of them
	tags     []byte  // the rest
	msgStart int     // offset of the current message's size word, or -1
	arrays   int     // open arrays in the current message
	inMsg    bool    // between Message and End
	stack    []int   // open bundles: offsets of their size words (-1 at top level)
	err      error
}

// noCopy lets go vet's copylocks check catch copies of an Encoder.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// Reset discards the packet under construction and any error, keeping the
// buffers.
func (e *Encoder) Reset() {
	e.buf = e.buf[:0]
	e.ntag = 0
	e.stack = e.stack[:0]
	e.inMsg = false
	e.arrays = 0
	e.err = nil
}

// Err returns the first error recorded since the last Reset.
func (e *Encoder) Err() error { return e.err }

// Bytes returns the finished packet. The slice aliases the Encoder's buffer
// and is valid until the next call that changes the Encoder.
func (e *Encoder) Bytes() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	if e.inMsg || len(e.stack) > 0 || len(e.buf) == 0 {
		return nil, errEncoderState
	}
	return e.buf, nil
}

func (e *Encoder) fail(err error) *Encoder {
	if e.err == nil {
		e.err = err
	}
	// Nothing more is added to a failed packet.
	e.inMsg = false
	e.ntag = 0
	return e
}

// beginElement starts a packet or a bundle element and reports whether
// that is allowed now.
func (e *Encoder) beginElement() (sizeAt int, ok bool) {
	if e.err != nil {
		return 0, false
	}
	if e.inMsg || (len(e.stack) == 0 && len(e.buf) > 0) {
		e.fail(errEncoderState)
		return 0, false
	}
	if len(e.stack) == 0 {
		return -1, true
	}
	sizeAt = len(e.buf)
	e.buf = append(e.buf, 0, 0, 0, 0)
	return sizeAt, true
}

func (e *Encoder) patchSize(at int) {
	if at >= 0 {
		n := len(e.buf) - at - 4
		if n > math.MaxInt32 {
			e.fail(errTooLarge)
			return
		}
		binary.BigEndian.PutUint32(e.buf[at:], uint32(n))
	}
}

// Message begins a message with the given address (pattern). The address
// must start with '/' and contain no NUL; NUL bytes at its end (an address
// copied with its padding, as oscpy accepts) are trimmed.
func (e *Encoder) Message(address string) *Encoder {
	address = trimNUL(address)
	if e.err == nil && (len(address) == 0 || address[0] != '/') {
		return e.fail(errAddress)
	}
	at, ok := e.beginElement()
	if !ok {
		return e
	}
	e.msgStart = at
	// The address, then the space reserved for the type tags.
	n, p := len(e.buf), len(address)&^3+4
	e.extend(p + tagReserve)
	buf := e.buf
	t := buf[n+p-4 : n+p+tagReserve]
	binary.LittleEndian.PutUint32(t, 0)
	binary.LittleEndian.PutUint64(t[4:], 0)
	if putString(buf[n:], address) {
		return e.fail(errAddress)
	}
	e.startTags(n + p)
	return e
}

// trimNUL drops the NUL bytes that end an address: the padding of an
// address copied from an encoded packet.
func trimNUL[T ~string | ~[]byte](a T) T {
	for len(a) > 0 && a[len(a)-1] == 0 {
		a = a[:len(a)-1]
	}
	return a
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// tagReserve is the space reserved for the type tag string before the
// arguments are written. Up to inlineTags tag bytes (',' and six tags) are
// written there directly; a longer string is kept in Encoder.tags and moves
// the arguments once, in End.
const (
	tagReserve = 8
	inlineTags = tagReserve - 1
)

// extend lengthens e.buf by n bytes, which the caller overwrites. When the
// capacity suffices only the length changes.
func (e *Encoder) extend(n int) {
	if l := len(e.buf); cap(e.buf)-l >= n {
		e.buf = e.buf[:l+n]
	} else {
		e.buf = grow(e.buf, n)
	}
}

// startTags starts the type tag string in the space reserved at off.
func (e *Encoder) startTags(off int) {
	e.tagAt = off
	e.itags = [8]byte{','}
	e.tags = e.tags[:0]
	e.ntag = 1
	e.inMsg = true
}

// End finishes the current message.
func (e *Encoder) End() *Encoder {
	if !e.inMsg || e.arrays != 0 {
		return e.fail(errEncoderState)
	}
	args := e.tagAt + tagReserve
	switch {
	case e.ntag < 4:
		// The tags and their NUL fit in one word: drop the second.
		binary.LittleEndian.PutUint32(e.buf[e.tagAt:], binary.LittleEndian.Uint32(e.itags[:]))
		n := copy(e.buf[e.tagAt+4:], e.buf[args:])
		e.buf = e.buf[:e.tagAt+4+n]
	case e.ntag <= inlineTags:
		binary.LittleEndian.PutUint64(e.buf[e.tagAt:], binary.LittleEndian.Uint64(e.itags[:]))
	default:
		need := paddedStringLen(e.ntag)
		n := len(e.buf) - args
		e.buf = slices.Grow(e.buf, need-tagReserve)[:len(e.buf)+need-tagReserve]
		copy(e.buf[e.tagAt+need:], e.buf[args:args+n])
		t := e.buf[e.tagAt : e.tagAt+need]
		binary.LittleEndian.PutUint32(t[need-4:], 0)
		copy(t[copy(t, e.itags[:inlineTags]):], e.tags)
	}
	e.inMsg = false
	e.ntag = 0
	e.patchSize(e.msgStart)
	return e
}

// BeginBundle begins a bundle with timetag t, at top level or inside the
// open bundle.
func (e *Encoder) BeginBundle(t Timetag) *Encoder {
	at, ok := e.beginElement()
	if !ok {
		return e
	}
	e.stack = append(e.stack, at)
	e.buf = append(e.buf, bundleTag...)
	e.buf = appendTimetag(e.buf, t)
	return e
}

// EndBundle finishes the innermost open bundle.
func (e *Encoder) EndBundle() *Encoder {
	if e.err != nil {
		return e
	}
	if e.inMsg || len(e.stack) == 0 {
		return e.fail(errEncoderState)
	}
	at := e.stack[len(e.stack)-1]
	e.stack = e.stack[:len(e.stack)-1]
	e.patchSize(at)
	return e
}

// Raw adds an already-encoded message or bundle: as the packet itself at
// top level, or as an element of the open bundle. pkt is not validated.
func (e *Encoder) Raw(pkt []byte) *Encoder {
	if e.err == nil && len(pkt)&3 != 0 {
		return e.fail(errAlign)
	}
	at, ok := e.beginElement()
	if !ok {
		return e
	}
	e.buf = append(e.buf, pkt...)
	e.patchSize(at)
	return e
}

func (e *Encoder) tag(t Type) bool {
	n := uint(e.ntag)
	switch {
	case n-1 < inlineTags-1:
		e.itags[n&7] = byte(t)
	case n == 0:
		// Outside a message, or failed.
		if e.err == nil {
			e.err = errEncoderState
		}
		return false
	default:
		e.tags = append(e.tags, byte(t))
	}
	e.ntag = int(n + 1)
	return true
}

// addTags adds type tags in a message that is open and not failed.
func (e *Encoder) addTags(ts ...byte) {
	for _, t := range ts {
		if e.ntag < inlineTags {
			e.itags[e.ntag] = t
		} else {
			e.tags = append(e.tags, t)
		}
		e.ntag++
	}
}

// Int32 adds an 'i' argument. The fixed-size appenders below repeat one
// shape on purpose: each must stay small enough to inline into the caller.
func (e *Encoder) Int32(v int32) *Encoder {
	if e.tag(TypeInt32) {
		e.buf = appendInt32(e.buf, v)
	}
	return e
}

// Int64 adds an 'h' argument.
func (e *Encoder) Int64(v int64) *Encoder {
	if e.tag(TypeInt64) {
		e.buf = appendInt64(e.buf, v)
	}
	return e
}

// Float32 adds an 'f' argument.
func (e *Encoder) Float32(v float32) *Encoder {
	if e.tag(TypeFloat32) {
		e.buf = appendFloat32(e.buf, v)
	}
	return e
}

// Float64 adds a 'd' argument.
func (e *Encoder) Float64(v float64) *Encoder {
	if e.tag(TypeFloat64) {
		e.buf = appendFloat64(e.buf, v)
	}
	return e
}

func (e *Encoder) str(t Type, s string) *Encoder {
	if e.tag(t) {
		n, p := len(e.buf), len(s)&^3+4
		e.extend(p)
		d := e.buf[n : n+p]
		binary.LittleEndian.PutUint32(d[p-4:], 0)
		if putString(d, s) {
			return e.fail(errInvalidString)
		}
	}
	return e
}

// putString copies s to the start of d, which is long enough, and reports
// whether s holds a NUL, which would cut it short on the wire. Short
// strings, the common case, are copied and checked a word at a time in one
// pass; long ones by copy and IndexByte.
func putString(d []byte, s string) (nul bool) {
	n := len(s)
	d = d[:n]
	switch {
	case n > 32:
		copy(d, s)
		return strings.IndexByte(s, 0) >= 0
	case n >= 8 && n <= 16:
		a, b := load64(s[:8]), load64(s[n-8:])
		binary.LittleEndian.PutUint64(d[:8], a)
		binary.LittleEndian.PutUint64(d[n-8:], b)
		return ((a-0x0101010101010101)&^a|(b-0x0101010101010101)&^b)&0x8080808080808080 != 0
	case n >= 8:
		// Whole words, the last one overlapping the one before.
		var z uint64
		for i := 0; ; i += 8 {
			if i > n-8 {
				i = n - 8
			}
			v := load64(s[i : i+8])
			binary.LittleEndian.PutUint64(d[i:i+8], v)
			z |= (v - 0x0101010101010101) &^ v & 0x8080808080808080
			if i == n-8 {
				return z != 0
			}
		}
	case n >= 4:
		a, b := load32(s[:4]), load32(s[n-4:])
		binary.LittleEndian.PutUint32(d[:4], a)
		binary.LittleEndian.PutUint32(d[n-4:], b)
		return ((a-0x01010101)&^a|(b-0x01010101)&^b)&0x80808080 != 0
	}
	for i := range n {
		d[i] = s[i]
		nul = nul || s[i] == 0
	}
	return nul
}

// load64 and load32 read a string's bytes little-endian; the compiler
// makes each one load.
func load64(t string) uint64 {
	_ = t[7]
	return uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
		uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
}

func load32(t string) uint32 {
	_ = t[3]
	return uint32(t[0]) | uint32(t[1])<<8 | uint32(t[2])<<16 | uint32(t[3])<<24
}

// String adds an 's' argument. s must not contain NUL.
func (e *Encoder) String(s string) *Encoder { return e.str(TypeString, s) }

// StringBytes adds an 's' argument given as bytes, which must not contain NUL.
func (e *Encoder) StringBytes(s []byte) *Encoder {
	if e.err == nil && indexNUL(s) >= 0 {
		return e.fail(errInvalidString)
	}
	if e.tag(TypeString) {
		e.buf = appendStringBytes(e.buf, s)
	}
	return e
}

// Blob adds a 'b' argument.
func (e *Encoder) Blob(b []byte) *Encoder {
	if len(b) > math.MaxInt32-8 {
		return e.fail(errTooLarge)
	}
	if e.tag(TypeBlob) {
		n, p := len(e.buf), 4+(len(b)+3)&^3
		e.extend(p)
		d := e.buf[n : n+p]
		binary.LittleEndian.PutUint32(d[p-4:], 0)
		binary.BigEndian.PutUint32(d, uint32(len(b)))
		// Small blobs in two overlapping words, without a call.
		switch k := len(b); {
		case k >= 8 && k <= 16:
			binary.LittleEndian.PutUint64(d[4:], binary.LittleEndian.Uint64(b))
			binary.LittleEndian.PutUint64(d[4+k-8:], binary.LittleEndian.Uint64(b[k-8:]))
		case k >= 4 && k < 8:
			binary.LittleEndian.PutUint32(d[4:], binary.LittleEndian.Uint32(b))
			binary.LittleEndian.PutUint32(d[4+k-4:], binary.LittleEndian.Uint32(b[k-4:]))
		default:
			copy(d[4:], b)
		}
	}
	return e
}

// Bool adds a 'T' or 'F' argument.
func (e *Encoder) Bool(v bool) *Encoder {
	if v {
		e.tag(TypeTrue)
	} else {
		e.tag(TypeFalse)
	}
	return e
}

// BeginArray opens an array; the arguments up to the matching EndArray
// form one array argument.
func (e *Encoder) BeginArray() *Encoder {
	if e.tag(TypeArrayBegin) {
		e.arrays++
	}
	return e
}

// EndArray closes the innermost open array.
func (e *Encoder) EndArray() *Encoder {
	if e.err == nil && e.arrays == 0 {
		return e.fail(errEncoderState)
	}
	if e.tag(TypeArrayEnd) {
		e.arrays--
	}
	return e
}

// Arg adds a received argument verbatim, arrays included.
func (e *Encoder) Arg(a Arg) *Encoder {
	t := a.typ()
	switch t {
	case TypeArrayBegin:
		if e.tag(TypeArrayBegin) {
			e.addTags(a.arrayTags()...)
			e.addTags(']')
			e.buf = append(e.buf, a.arrayData()...)
		}
	case TypeString, TypeSymbol:
		if e.tag(t) {
			e.buf = appendStringBytes(e.buf, a.b)
		}
	case TypeBlob:
		if e.tag(t) {
			e.buf = appendBlob(e.buf, a.b)
		}
	default:
		if !t.Valid() || t == TypeArrayEnd {
			return e.fail(errUnknownType)
		}
		if e.tag(t) {
			e.buf = append(e.buf, a.b...)
		}
	}
	return e
}
