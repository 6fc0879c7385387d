package main

import (
	"encoding/binary"
	"fmt"

	"github.com/osckit/osc/wire"
)

// The messages of oscli bench carry a stamp as their last argument: a
// 24-byte blob "oscB", the worker (uint32), the sequence number within the
// worker (uint64, from 0) and the send time in nanoseconds on the bench's
// clock (int64), all big-endian. At the end bench sends
// /oscli/bench/end with the number of workers (i) and the count each sent
// (h...); a cooperating receiver (oscli dump --stats) answers it with
// /oscli/bench/stats hhhh: received, lost, reordered, and the number of
// workers seen. oscli echo sends every stamped message back as it is.
const (
	stampLen     = 24
	stampMagic   = "oscB"
	benchEndAddr = "/oscli/bench/end"
	benchStats   = "/oscli/bench/stats"
	maxWorkers   = 1024
)

type stamp struct {
	worker uint32
	seq    uint64
	sent   int64
}

func putStamp(b []byte, s stamp) {
	copy(b, stampMagic)
	binary.BigEndian.PutUint32(b[4:], s.worker)
	binary.BigEndian.PutUint64(b[8:], s.seq)
	binary.BigEndian.PutUint64(b[16:], uint64(s.sent))
}

// stampOf returns the stamp of a bench message, if it has one.
func stampOf(m *wire.Message) (stamp, bool) {
	n := m.NumArgs()
	if n == 0 {
		return stamp{}, false
	}
	r := m.Args()
	for range n {
		r.Next()
	}
	b, ok := r.Arg().Blob()
	if !ok || len(b) != stampLen || string(b[:4]) != stampMagic {
		return stamp{}, false
	}
	return stamp{
		worker: binary.BigEndian.Uint32(b[4:]),
		seq:    binary.BigEndian.Uint64(b[8:]),
		sent:   int64(binary.BigEndian.Uint64(b[16:])),
	}, true
}

// seqTracker counts the stamped messages of each worker: how many arrived
// and how many arrived after a later one of the same worker (reordered).
type seqTracker struct {
	w []seqState
}

type seqState struct {
	received, reordered uint64
	next                uint64 // one past the highest sequence seen
}

// add records a stamp; it reports false for a worker number beyond
// maxWorkers, which is ignored.
func (t *seqTracker) add(s stamp) bool {
	if s.worker >= maxWorkers {
		return false
	}
	for int(s.worker) >= len(t.w) {
		t.w = append(t.w, seqState{})
	}
	st := &t.w[s.worker]
	st.received++
	if s.seq < st.next {
		st.reordered++
	} else {
		st.next = s.seq + 1
	}
	return true
}

// totals sums the workers: received, reordered, and the count that the
// highest sequence numbers imply were sent.
func (t *seqTracker) totals() (received, reordered, implied uint64) {
	for _, st := range t.w {
		received += st.received
		reordered += st.reordered
		implied += st.next
	}
	return
}

// benchResult is a receiver's account of a bench run.
type benchResult struct {
	Sent      uint64 `json:"sent"`
	Received  uint64 `json:"received"`
	Lost      uint64 `json:"lost"`
	Reordered uint64 `json:"reordered"`
}

func (r benchResult) String() string {
	pct := 0.0
	if r.Sent > 0 {
		pct = 100 * float64(r.Lost) / float64(r.Sent)
	}
	return fmt.Sprintf("received %d of %d, lost %d (%.3f%%), reordered %d", r.Received, r.Sent, r.Lost, pct, r.Reordered)
}

// result compares the tracker with what the sender says it sent (sent
// nil: what the sequence numbers imply).
func (t *seqTracker) result(sent []uint64) benchResult {
	var r benchResult
	var implied uint64
	r.Received, r.Reordered, implied = t.totals()
	if sent == nil {
		r.Sent = implied
	} else {
		for _, n := range sent {
			r.Sent += n
		}
	}
	if r.Sent > r.Received {
		r.Lost = r.Sent - r.Received
	}
	return r
}

// endSent reads the counts of a /oscli/bench/end message.
func endSent(m *wire.Message) ([]uint64, bool) {
	r := m.Args()
	if !r.Next() {
		return nil, false
	}
	n, ok := r.Arg().Int32()
	if !ok || n < 0 || n > maxWorkers || int(n) != m.NumArgs()-1 {
		return nil, false
	}
	sent := make([]uint64, n)
	for i := range sent {
		r.Next()
		v, ok := r.Arg().Int64()
		if !ok || v < 0 {
			return nil, false
		}
		sent[i] = uint64(v)
	}
	return sent, true
}
