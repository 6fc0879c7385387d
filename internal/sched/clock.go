package sched

import (
	"time"

	"github.com/osckit/osc/wire"
)

// Clock is the time source of a Scheduler. The default, SystemClock, reads
// the system wall clock and uses the runtime's timers, which also makes it
// the clock to use inside a testing/synctest bubble, where both are fake.
// Another Clock (an audio clock, a clock disciplined by PTP, a hand-driven
// test clock) must keep Now and its timers consistent: a timer made by
// NewTimer(d) fires once Now has advanced by at least d.
type Clock interface {
	// Now returns the current time as an NTP timetag.
	Now() wire.Timetag
	// NewTimer returns a stopped or running timer that fires after d.
	NewTimer(d time.Duration) Timer
}

// Timer is the subset of *time.Timer that the Scheduler uses. Reset and
// Stop follow the Go 1.23 semantics: after either returns, no stale value
// is received from C.
type Timer interface {
	C() <-chan time.Time
	Reset(d time.Duration) bool
	Stop() bool
}

// SystemClock is the Clock backed by time.Now and time.Timer.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() wire.Timetag { return wire.TimetagOf(time.Now()) }

func (systemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time        { return t.t.C }
func (t sysTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }
func (t sysTimer) Stop() bool                 { return t.t.Stop() }
