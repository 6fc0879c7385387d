package sched

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

// msg encodes a message with int32 arguments.
func msg(addr string, args ...int32) []byte {
	b := appendPadded(nil, addr)
	tags := make([]byte, 0, len(args)+1)
	tags = append(tags, ',')
	for range args {
		tags = append(tags, 'i')
	}
	b = appendPadded(b, string(tags))
	for _, a := range args {
		b = binary.BigEndian.AppendUint32(b, uint32(a))
	}
	return b
}

// appendPadded appends s as an OSC string: NUL-terminated, padded to 4.
func appendPadded(b []byte, s string) []byte {
	b = append(b, s...)
	return append(b, make([]byte, 4-len(s)%4)...)
}

// appendBlob appends b as an OSC blob: size, bytes, padding to 4.
func appendBlob(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	dst = append(dst, b...)
	return append(dst, make([]byte, (4-len(b)%4)%4)...)
}

// bundle encodes a bundle of already encoded elements.
func bundle(tt wire.Timetag, elems ...[]byte) []byte {
	b := append([]byte("#bundle\x00"), make([]byte, 8)...)
	binary.BigEndian.PutUint64(b[8:], uint64(tt))
	for _, e := range elems {
		b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

// rec is a copy of one Delivery.
type rec struct {
	origin   int
	tt, due  wire.Timetag
	late     time.Duration
	queued   bool
	at       time.Time
	addrs    []string
	args     [][]int32
	messages int
}

// recorder collects deliveries, safe for concurrent use.
type recorder struct {
	mu   sync.Mutex
	recs []rec
}

func (r *recorder) dispatch(d *Delivery[int]) {
	x := rec{origin: d.Origin, tt: d.Timetag, due: d.Due, late: d.Late, queued: d.Queued, at: time.Now(), messages: d.Len()}
	mr := d.Messages()
	for mr.Next() {
		m := mr.Message()
		x.addrs = append(x.addrs, m.AddressString())
		var a []int32
		ar := m.Args()
		for ar.Next() {
			v, _ := ar.Arg().Int32()
			a = append(a, v)
		}
		x.args = append(x.args, a)
	}
	r.mu.Lock()
	r.recs = append(r.recs, x)
	r.mu.Unlock()
}

func (r *recorder) snapshot() []rec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rec(nil), r.recs...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

// consume reads every message of a delivery, as a server would.
func consume(n *int) func(d *Delivery[int]) {
	return func(d *Delivery[int]) {
		r := d.Messages()
		for r.Next() {
			*n += r.Message().NumArgs()
		}
	}
}

// fake returns a config for fake-time tests.
func fake(c Config) Config {
	if c.Spin == 0 {
		c.Spin = NoSpin
	}
	return c
}

// start returns a Scheduler closed when the test ends (inside a synctest
// bubble, before the bubble waits for its goroutines).
func start(t *testing.T, cfg Config, fn func(*Delivery[int])) *Scheduler[int] {
	s := New(cfg, fn)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func closeOK(t *testing.T, s *Scheduler[int]) {
	t.Helper()
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := s.held.Load(); n != 0 {
		t.Fatalf("%d pooled buffers still held after Close", n)
	}
	if n := s.heldBytes.Load(); n != 0 {
		t.Fatalf("%d bytes still counted after Close", n)
	}
}

func now() wire.Timetag { return wire.TimetagOf(time.Now()) }
