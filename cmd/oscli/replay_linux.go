package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// enterRealtime puts the calling thread (locked by the caller, and ended
// with its goroutine) in the SCHED_FIFO class, above every normal
// process: the kernel then wakes it from its sleeps and runs it at once,
// whatever else wants the CPU. It needs CAP_SYS_NICE (or root, or an
// RLIMIT_RTPRIO); the kernel's real-time throttling
// (kernel.sched_rt_runtime_us) still leaves other work 5% of each core.
func enterRealtime() error {
	return unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 10}, 0)
}

// sleeper sleeps on the calling thread itself, in clock_nanosleep: the
// kernel wakes this thread when the time comes, instead of the runtime's
// timer waking the goroutine from another thread and scheduling it.
type sleeper struct{ ts unix.Timespec }

// init sets the thread's timer slack to 1 ns (the kernel's default, 50
// us, lets it wake a normal thread that much late to batch wake-ups).
func (s *sleeper) init() {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
}

func (s *sleeper) sleep(d time.Duration) {
	s.ts = unix.NsecToTimespec(d.Nanoseconds())
	_ = unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &s.ts, nil) // EINTR: the caller checks the time
}
