package sched

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/osckit/osc/wire"
)

// Delivery is one group handed to the dispatch function: the messages
// directly inside one bundle, or one bare message, with the time it was
// meant for.
//
// # Lifetime
//
// A Delivery and the messages it yields alias either the packet passed to
// Submit (groups dispatched at once) or the scheduler's pooled copy (queued
// groups). They are valid only until the dispatch function returns; the
// Scheduler reuses the Delivery for the next group. Call Clone to keep one.
type Delivery[T any] struct {
	// Origin is the value passed to Submit with the packet.
	Origin T
	// Timetag is the group's effective timetag as sent (before
	// Config.Offset): Immediately for a bare message, else the bundle's own
	// timetag, or its parent's when it is immediate or earlier (lenient).
	Timetag wire.Timetag
	// Due is the time the group was scheduled for: Timetag moved by
	// Config.Offset, or Immediately when it runs at once regardless.
	Due wire.Timetag
	// Late is how long after Due the group is dispatched: for a bundle
	// already late when submitted, the sender's lateness; for a queued
	// one, the scheduler's own delay (see # Accuracy). Never negative.
	Late time.Duration
	// Queued reports whether the group waited in the queue.
	Queued bool

	elems  []byte // a message (single) or a run of size-prefixed elements
	single bool
	msg    wire.Message // the parsed message when single and msgOK
	msgOK  bool
	opts   *wire.Options
}

// Messages returns a cursor over the group's messages, in packet order.
func (d *Delivery[T]) Messages() MessageReader {
	return MessageReader{b: d.elems, single: d.single, opts: d.opts, cur: d.msg, curOK: d.msgOK}
}

// Message returns the group's message when the group is one bare message
// that Submit has already parsed, which saves the cursor in the common
// case; ok is false otherwise, and Messages is the way.
func (d *Delivery[T]) Message() (m *wire.Message, ok bool) {
	if d.single && d.msgOK {
		return &d.msg, true
	}
	return nil, false
}

// Len returns the number of messages in the group.
func (d *Delivery[T]) Len() int {
	if d.single {
		return 1
	}
	n := 0
	for off := 0; off+4 <= len(d.elems); {
		size := int(binary.BigEndian.Uint32(d.elems[off:]))
		if d.elems[off+4] == '/' {
			n++
		}
		off += 4 + size
	}
	return n
}

// Clone returns a Delivery that owns a copy of its bytes and can be kept
// after the dispatch function returns.
func (d *Delivery[T]) Clone() *Delivery[T] {
	c := *d
	c.elems = bytes.Clone(d.elems)
	return &c
}

// MessageReader is a cursor over the messages of a Delivery; it allocates
// nothing.
//
//	r := d.Messages()
//	for r.Next() {
//		m := r.Message()
//		...
//	}
//
// It shares the Delivery's lifetime.
type MessageReader struct {
	b      []byte
	off    int
	single bool
	opts   *wire.Options
	cur    wire.Message
	curOK  bool // single: cur already holds the message
}

// Next advances to the next message and reports whether there is one.
func (r *MessageReader) Next() bool {
	if r.single {
		if r.off != 0 || len(r.b) == 0 {
			return false
		}
		r.off = len(r.b)
		if r.curOK {
			return true
		}
		m, err := r.opts.ParseMessage(r.b)
		r.cur = m
		return err == nil
	}
	for r.off+4 <= len(r.b) {
		size := int(binary.BigEndian.Uint32(r.b[r.off:]))
		start := r.off + 4
		if size <= 0 || size > len(r.b)-start {
			r.off = len(r.b)
			return false
		}
		r.off = start + size
		e := r.b[start:r.off:r.off]
		if e[0] != '/' {
			continue // a nested bundle: it is a group of its own
		}
		m, err := r.opts.ParseMessage(e)
		if err != nil { // cannot happen: the packet was validated
			r.off = len(r.b)
			return false
		}
		r.cur = m
		return true
	}
	return false
}

// Message returns the current message. The pointer is valid until the next
// call to Next.
func (r *MessageReader) Message() *wire.Message { return &r.cur }
