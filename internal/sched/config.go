package sched

import (
	"errors"
	"log/slog"
	"time"

	"github.com/osckit/osc/wire"
)

// Sentinel errors returned by Submit and Close.
var (
	// ErrQueueFull reports that queueing a packet's future bundles would
	// exceed Config.MaxQueue or Config.MaxBytes. Nothing of the packet was
	// dispatched.
	ErrQueueFull = errors.New("osc: scheduler queue full")
	// ErrHorizon reports a bundle timed further ahead than
	// Config.MaxHorizon. Nothing of the packet was dispatched.
	ErrHorizon = errors.New("osc: bundle timetag beyond scheduling horizon")
	// ErrClosed reports a Submit after Close.
	ErrClosed = errors.New("osc: scheduler closed")
)

// LatePolicy says what to do with a bundle whose time has already passed
// when it is submitted.
type LatePolicy uint8

const (
	// DeliverLate dispatches a late bundle at once (the default, and what
	// OSC 1.0 prescribes). Delivery.Late tells how late it was.
	DeliverLate LatePolicy = iota
	// DropBeyondTolerance drops a bundle later than Config.Tolerance and
	// delivers the others at once.
	DropBeyondTolerance
	// DropLate drops every late bundle, however little it is late.
	DropLate
)

// String returns the policy's name.
func (p LatePolicy) String() string {
	switch p {
	case DeliverLate:
		return "deliver"
	case DropBeyondTolerance:
		return "drop-beyond-tolerance"
	case DropLate:
		return "drop"
	}
	return "unknown"
}

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxQueue   = 65536
	DefaultMaxBytes   = 64 << 20
	DefaultMaxHorizon = time.Hour
	DefaultSpin       = 200 * time.Microsecond
)

// NoSpin, as Config.Spin, turns the precise wait off: the dispatcher relies
// on its timer alone. Use it with fake time (testing/synctest), where a
// spin on the clock would never end because time stands still while a
// goroutine runs.
const NoSpin time.Duration = -1

// Config configures a Scheduler. The zero value is ready to use.
type Config struct {
	// Late is the policy for bundles already late when submitted.
	Late LatePolicy
	// Tolerance is the lateness DropBeyondTolerance still delivers.
	Tolerance time.Duration
	// MaxQueue bounds the number of queued groups (bundle levels waiting
	// for their time); 0 means DefaultMaxQueue.
	MaxQueue int
	// MaxBytes bounds the memory held by queued groups: the capacity of
	// the buffers their copies sit in, counted whole (a pooled buffer may
	// be larger than the group it holds). 0 means DefaultMaxBytes (64
	// MiB), a negative value means no limit. Like MaxQueue it is checked
	// for all of a packet's future groups before any of the packet is
	// dispatched, and a packet over it is refused whole with ErrQueueFull.
	MaxBytes int
	// MaxHorizon refuses bundles timed further ahead; 0 means
	// DefaultMaxHorizon, a negative value means no limit. It applies to
	// future timetags only: by wire's era rule (wire.Timetag.RelativeTo)
	// none is more than 2^30 s (34 years) ahead, and a past one, however
	// old, is late rather than beyond the horizon.
	MaxHorizon time.Duration
	// Offset is added to every timetag other than "immediately", for
	// senders whose clock is off: a sender 250 ms ahead needs -250ms.
	Offset time.Duration
	// IgnoreTimetags dispatches everything at once, in packet order.
	IgnoreTimetags bool
	// DrainOnClose makes Close keep delivering queued bundles at their
	// times until the queue is empty or Close's context ends; without it
	// Close drops them. Either way they are counted.
	DrainOnClose bool
	// Spin is how long before a due time the dispatcher stops sleeping on
	// its timer and waits precisely, yielding the processor in a loop; 0
	// means DefaultSpin and NoSpin (any negative value) turns it off.
	Spin time.Duration
	// Clock is the time source; nil means SystemClock.
	Clock Clock
	// Logger receives rate-limited reports of refused bundles; nil means
	// slog.Default().
	Logger *slog.Logger
	// Decode are the decoding options Submit validates packets with; the
	// zero value is strict. Lenient options raise a nested bundle timed
	// before its parent to the parent's time instead of refusing it.
	Decode wire.Options
}

// Stats are a Scheduler's counters. Counts are of groups: the messages
// directly inside one bundle (or one bare message).
type Stats struct {
	Queued         int    // groups waiting now
	QueuedBytes    int64  // bytes held by their buffers (see Config.MaxBytes)
	Enqueued       uint64 // groups ever queued
	Dispatched     uint64 // groups handed to the dispatch function
	Late           uint64 // groups already late when submitted
	DroppedLate    uint64 // late groups dropped by the LatePolicy
	RefusedFull    uint64 // packets refused with ErrQueueFull, by MaxQueue or MaxBytes
	RefusedHorizon uint64 // packets refused with ErrHorizon
	DroppedAtClose uint64 // queued groups dropped by Close
}
