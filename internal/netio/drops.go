package netio

import "sync/atomic"

// dropCounter keeps the number of datagrams the kernel dropped on a socket.
// The kernel reports a 32-bit cumulative count (SO_RXQ_OVFL) with each
// datagram queued after a drop; see turns it into a 64-bit count that only
// grows: it keeps the largest value seen, following the 32-bit counter
// through wrap-around, and ignores a value behind it (a datagram queued
// before a later one but read after it).
type dropCounter struct {
	last  uint32 // the last count seen; used by the reader only
	total atomic.Uint64
}

// see records a count reported by the kernel. It is called by the reader.
func (d *dropCounter) see(v uint32) {
	if delta := v - d.last; delta != 0 && delta < 1<<31 {
		d.last = v
		d.total.Add(uint64(delta))
	}
}

// load returns the count; any goroutine may call it.
func (d *dropCounter) load() uint64 { return d.total.Load() }
