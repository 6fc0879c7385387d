package wire

import (
	"bytes"
	"encoding/binary"
)

// bundleTag is the OSC-string "#bundle" with its padding.
const bundleTag = "#bundle\x00"

// IsBundle reports whether b starts like a bundle ("#bundle\0").
func IsBundle(b []byte) bool { return len(b) >= 8 && string(b[:8]) == bundleTag }

// Bundle is a read-only view of one encoded OSC bundle whose contents,
// nested bundles included, have been validated.
//
// # Lifetime
//
// A Bundle aliases the bytes it was parsed from, like a Message: when a
// server hands one out it is valid only until the handler returns. Copies
// share the bytes; call Clone to keep one.
type Bundle struct {
	b       []byte
	lenient bool
}

// ParseBundle validates b under o as one bundle and everything inside it.
// An error is a *ParseError.
func (o *Options) ParseBundle(b []byte) (Bundle, error) {
	if err := o.checkBundle(b, 0, 0, 0, nil); err != nil {
		return Bundle{}, err
	}
	return Bundle{b: b, lenient: o.Lenient}, nil
}

// msgCache keeps the views of the first messages validated in a bundle, in
// packet order, so that Walk need not find their parts again.
type msgCache struct {
	m [16]Message
	n int
}

// checkBundle validates the bundle b found at offset base of the packet, at
// nesting depth, inside a parent whose effective time is parent (0 for none).
// If c is not nil, it records the messages' views.
func (o *Options) checkBundle(b []byte, base, depth int, parent Timetag, c *msgCache) error {
	if len(b)&3 != 0 {
		return perr(base+len(b), -1, errAlign)
	}
	if len(b) < 16 {
		if len(b) < 8 || !IsBundle(b) {
			if len(b) >= 1 && b[0] != '#' {
				return perr(base, -1, errBundle)
			}
			if !bytes.HasPrefix([]byte(bundleTag), b) {
				return perr(base, -1, errBundle)
			}
		}
		return perr(base+len(b), -1, errShort)
	}
	if !IsBundle(b) {
		return perr(base, -1, errBundle)
	}
	tt := Timetag(binary.BigEndian.Uint64(b[8:]))
	if parent > 1 {
		if tt.isImmediate() {
			tt = parent
		} else if tt.Before(parent) {
			if !o.Lenient {
				return perr(base+8, -1, errTimeOrder)
			}
			tt = parent
		}
	}
	for off := 16; off < len(b); {
		if len(b)-off < 4 {
			return perr(base+off, -1, errShort)
		}
		size := int64(int32(binary.BigEndian.Uint32(b[off:])))
		if size <= 0 || size&3 != 0 || size > int64(len(b)-off-4) {
			return perr(base+off, -1, errElementSize)
		}
		off += 4
		e := b[off : off+int(size)]
		switch e[0] {
		case '/':
			m, err := o.parse(e)
			if err != nil {
				return rebase(err, base+off)
			}
			if c != nil && c.n < len(c.m) {
				c.m[c.n] = m
				c.n++
			}
		case '#':
			if depth+1 > o.bundleDepth() {
				return perr(base+off, -1, errNesting)
			}
			if err := o.checkBundle(e, base+off, depth+1, tt, c); err != nil {
				return err
			}
		default:
			return perr(base+off, -1, errBundle)
		}
		off += int(size)
	}
	return nil
}

// rebase moves a *ParseError's offset by base.
func rebase(err error, base int) error {
	if pe, ok := err.(*ParseError); ok {
		pe.Off += base
	}
	return err
}

// Timetag returns the bundle's own timetag, as written.
func (b Bundle) Timetag() Timetag { return Timetag(binary.BigEndian.Uint64(b.b[8:])) }

// Bytes returns the encoded bundle. The slice aliases the bundle.
func (b Bundle) Bytes() []byte { return b.b }

// Elements returns a cursor over the bundle's elements.
func (b Bundle) Elements() ElementReader {
	return ElementReader{b: b.b, off: 16, lenient: b.lenient}
}

// ElementReader is a cursor over the elements of a Bundle.
//
// # Lifetime
//
// An ElementReader and the element bytes, Messages and Bundles it returns
// alias the bundle's bytes and are valid as long as the Bundle is. Copy the
// bytes (or Clone the views) to keep them.
type ElementReader struct {
	b       []byte
	off     int
	cur     []byte
	lenient bool
}

// Next advances to the next element and reports whether there is one.
func (r *ElementReader) Next() bool {
	if r.off >= len(r.b) {
		return false
	}
	size := int(binary.BigEndian.Uint32(r.b[r.off:]))
	r.cur = r.b[r.off+4 : r.off+4+size : r.off+4+size]
	r.off += 4 + size
	return true
}

// Bytes returns the current element's encoded bytes as a view.
func (r *ElementReader) Bytes() []byte { return r.cur }

func (r *ElementReader) isBundle() bool { return r.cur[0] == '#' }

// Message returns the current element as a message; ok is false when it is
// a bundle.
func (r *ElementReader) Message() (Message, bool) {
	if r.isBundle() {
		return Message{}, false
	}
	return trustedMessage(r.cur), true
}

// Bundle returns the current element as a bundle; ok is false when it is a
// message.
func (r *ElementReader) Bundle() (Bundle, bool) {
	if !r.isBundle() {
		return Bundle{}, false
	}
	return Bundle{b: r.cur, lenient: r.lenient}, true
}

// Validate checks that b is one valid packet (a message or a bundle) under
// o. An error is a *ParseError.
func (o *Options) Validate(b []byte) error {
	if len(b) > 0 && b[0] == '#' {
		return o.checkBundle(b, 0, 0, 0, nil)
	}
	_, err := o.ParseMessage(b)
	return err
}

// Walk validates the packet b (a message or a bundle) strictly and then
// calls fn for every message in it, in packet order, with its effective
// timetag: Immediately for a bare message, else the enclosing bundle's time,
// where an immediate nested bundle takes its parent's time. Nothing is
// visited unless the whole packet is valid, so a bundle is delivered whole
// or not at all. Walk stops at the first error fn returns and returns it.
func Walk(b []byte, fn func(m Message, tt Timetag) error) error { return strict.Walk(b, fn) }

// Walk is like the package-level Walk under the options o; a lenient o
// raises a nested bundle timed earlier than its parent to the parent's time.
func (o *Options) Walk(b []byte, fn func(m Message, tt Timetag) error) error {
	if len(b) == 0 || b[0] != '#' {
		m, err := o.ParseMessage(b)
		if err != nil {
			return err
		}
		return fn(m, Immediately)
	}
	var c msgCache
	if err := o.checkBundle(b, 0, 0, 0, &c); err != nil {
		return err
	}
	seen := 0
	return o.walk(b, 0, fn, &c, &seen)
}

// walk visits the messages of the validated bundle b; c holds the views of
// the first of them and seen counts those visited so far.
func (o *Options) walk(b []byte, parent Timetag, fn func(m Message, tt Timetag) error, c *msgCache, seen *int) error {
	tt := EffectiveTimetag(Timetag(binary.BigEndian.Uint64(b[8:])), parent)
	for off := 16; off < len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		e := b[off+4 : off+4+size]
		off += 4 + size
		if e[0] == '#' {
			if err := o.walk(e, tt, fn, c, seen); err != nil {
				return err
			}
			continue
		}
		var m Message
		if *seen < c.n {
			m = c.m[*seen]
		} else {
			m = trustedMessage(e)
		}
		*seen++
		if err := fn(m, tt); err != nil {
			return err
		}
	}
	return nil
}

// EffectiveTimetag returns the time at which a bundle timed tt runs inside a
// parent whose effective time is parent (0 or Immediately for a top-level
// bundle): an immediate or earlier tt runs at the parent's time, and the
// value 0 reads as Immediately.
func EffectiveTimetag(tt, parent Timetag) Timetag {
	if parent.isImmediate() {
		if tt == 0 {
			return Immediately
		}
		return tt
	}
	if tt.isImmediate() || tt.Before(parent) {
		return parent
	}
	return tt
}
