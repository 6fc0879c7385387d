package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// rewriteRule replaces the address prefix from with to.
type rewriteRule struct{ from, to []byte }

// parseRewrite reads a -rewrite value, /FROM=/TO.
func parseRewrite(spec string) (rewriteRule, error) {
	a, b, ok := strings.Cut(spec, "=")
	if !ok || !validPattern(a) || !validPattern(b) {
		return rewriteRule{}, fmt.Errorf("%q: want /FROM=/TO", spec)
	}
	return rewriteRule{[]byte(a), []byte(b)}, nil
}

// apply appends addr, rewritten, to dst; ok is false when the rule does
// not apply (/a applies to /a and /a/b, not to /ab).
func (rw *rewriteRule) apply(dst, addr []byte) ([]byte, bool) {
	if !bytes.HasPrefix(addr, rw.from) {
		return dst, false
	}
	rest := addr[len(rw.from):]
	if len(rest) > 0 && rest[0] != '/' && rw.from[len(rw.from)-1] != '/' {
		return dst, false
	}
	return append(append(dst, rw.to...), rest...), true
}

// rewriter turns a packet into what a relay or a replay sends on: only the
// messages some filter matches (all without filters), addresses rewritten
// by the first rule that applies, and, when flatten is set, the messages
// of bundles as bare messages. Without flatten a bundle keeps its shape:
// nested bundles stay nested with their own timetags, and a bundle left
// with no message is dropped. A rewriter is read-only once set up, so one
// serves concurrent callers, each with its own dst.
type rewriter struct {
	filters [][]byte
	rules   []rewriteRule
	flatten bool
	opts    wire.Options // the rules packets are validated under
}

// identity reports whether the rewriter sends every packet as it came,
// so that a caller can skip it and forward the bytes untouched.
func (rw *rewriter) identity(pkt []byte) bool {
	return len(rw.filters) == 0 && len(rw.rules) == 0 && !(rw.flatten && wire.IsBundle(pkt))
}

// appendPacket appends to dst what pkt becomes: n packets, each preceded
// by its size as a big-endian int32 (the form of a bundle's elements and
// of OSC 1.0 stream framing), read back with nextPacket. n is 0 when the
// filters keep nothing and 1 unless flatten splits a bundle. A malformed
// pkt appends nothing and returns its *wire.ParseError. Once dst has room,
// appendPacket allocates nothing.
func (rw *rewriter) appendPacket(dst, pkt []byte) ([]byte, int, error) {
	if err := rw.opts.Validate(pkt); err != nil {
		return dst, 0, err
	}
	start := len(dst)
	if !wire.IsBundle(pkt) {
		dst = append(dst, 0, 0, 0, 0)
		dst, ok := rw.message(dst, pkt)
		if !ok {
			return dst[:start], 0, nil
		}
		putSize(dst, start)
		return dst, 1, nil
	}
	if rw.flatten {
		return rw.flat(dst, pkt, 0)
	}
	dst = append(dst, 0, 0, 0, 0)
	dst, kept := rw.bundle(dst, pkt)
	if kept == 0 {
		return dst[:start], 0, nil
	}
	putSize(dst, start)
	return dst, 1, nil
}

// nextPacket splits the first packet off b, as appendPacket wrote it.
func nextPacket(b []byte) (pkt, rest []byte) {
	n := int(binary.BigEndian.Uint32(b))
	return b[4 : 4+n], b[4+n:]
}

// putSize writes, at dst[at:], the size of what follows it.
func putSize(dst []byte, at int) {
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
}

// bundle appends the validated bundle b, filtered and rewritten, keeping
// its nested bundles and timetags; kept counts the messages it holds.
// Recursion is bounded by the nesting the validation allows.
func (rw *rewriter) bundle(dst, b []byte) (_ []byte, kept int) {
	dst = append(dst, b[:16]...) // #bundle and the timetag
	for off := 16; off < len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		e := b[off+4 : off+4+size]
		off += 4 + size
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		if e[0] == '#' {
			var k int
			dst, k = rw.bundle(dst, e)
			if k == 0 {
				dst = dst[:at]
				continue
			}
			kept += k
		} else {
			var ok bool
			if dst, ok = rw.message(dst, e); !ok {
				dst = dst[:at]
				continue
			}
			kept++
		}
		putSize(dst, at)
	}
	return dst, kept
}

// flat appends the kept messages of the validated bundle b as packets of
// their own.
func (rw *rewriter) flat(dst, b []byte, n int) ([]byte, int, error) {
	for off := 16; off < len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		e := b[off+4 : off+4+size]
		off += 4 + size
		if e[0] == '#' {
			dst, n, _ = rw.flat(dst, e, n)
			continue
		}
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		var ok bool
		if dst, ok = rw.message(dst, e); !ok {
			dst = dst[:at]
			continue
		}
		putSize(dst, at)
		n++
	}
	return dst, n, nil
}

// keep reports whether the filters let the address addr through.
func (rw *rewriter) keep(addr []byte) bool {
	if len(rw.filters) == 0 {
		return true
	}
	for _, f := range rw.filters {
		if router.Match(f, addr) {
			return true
		}
	}
	return false
}

// message appends the validated message m, rewritten, to dst, or reports
// that the filters drop it.
func (rw *rewriter) message(dst, m []byte) ([]byte, bool) {
	addr := m[:bytes.IndexByte(m, 0)]
	if !rw.keep(addr) {
		return dst, false
	}
	padded := (len(addr) + 4) &^ 3
	for i := range rw.rules {
		n := len(dst)
		var ok bool
		if dst, ok = rw.rules[i].apply(dst, addr); !ok {
			continue
		}
		for range 4 - (len(dst)-n)%4 {
			dst = append(dst, 0)
		}
		return append(dst, m[padded:]...), true
	}
	return append(dst, m...), true
}
