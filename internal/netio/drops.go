package netio

import "sync/atomic"

// dropCounter keeps the number of datagrams the kernel dropped on a socket.
// The kernel reports a 32-bit cumulative count (SO_RXQ_OVFL) with each
// datagram queued after a drop; see turns it into a 64-bit count that only
// grows: it keeps the largest value seen, following the 32-bit counter
// through wrap-around, and ignores a value behind it (a datagram queued
// before a later one but read after it).
//
// The reader sees counts with the datagrams, and Drops also asks the socket
// for its current count (SO_MEMINFO), since a count carried by datagrams
// lags until one more datagram arrives: losses at the end of a burst would
// otherwise never be reported. Both may call see at once.
type dropCounter struct {
	last  atomic.Uint32 // the last count seen
	total atomic.Uint64
}

// see records a count reported by the kernel. The common case, no new
// drops, is one atomic load.
func (d *dropCounter) see(v uint32) {
	for {
		last := d.last.Load()
		delta := v - last
		if delta == 0 || delta >= 1<<31 {
			return
		}
		if d.last.CompareAndSwap(last, v) {
			d.total.Add(uint64(delta))
			return
		}
	}
}

// load returns the count; any goroutine may call it.
func (d *dropCounter) load() uint64 { return d.total.Load() }
