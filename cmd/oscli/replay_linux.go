package main

import (
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// enterRealtime puts the calling thread (locked by the caller, and ended
// with its goroutine) in the SCHED_FIFO class at priority 10, above every
// normal process, and the process's other threads at priority 5, as chrt
// -f would (threads created later inherit it from their creator): the
// kernel then wakes the sender from its sleeps and runs it at once,
// whatever else wants the CPU. The other threads matter too: when the
// runtime preempts a goroutine locked to its thread, another thread
// must run the scheduler to hand it back a processor, and at normal
// priority on a busy machine that took milliseconds (p99 5-15 ms against
// 0.14-0.24 ms with all threads real-time, at a load average of 12 on 2
// cores). It needs CAP_SYS_NICE (or root, or an RLIMIT_RTPRIO); the
// kernel's real-time throttling (kernel.sched_rt_runtime_us) still leaves
// other work 5% of each core. restore puts every thread back in the
// normal class.
func enterRealtime() (restore func(), err error) {
	if err := setClass(0, unix.SCHED_FIFO, 10); err != nil {
		return nil, err
	}
	self := unix.Gettid()
	eachThread(func(tid int) {
		if tid != self {
			_ = setClass(tid, unix.SCHED_FIFO, 5) // a thread may have ended
		}
	})
	return func() { eachThread(func(tid int) { _ = setClass(tid, schedOther, 0) }) }, nil
}

func setClass(tid int, policy, prio uint32) error {
	return unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: policy, Priority: prio}, 0)
}

// eachThread calls f with the id of every thread of the process.
func eachThread(f func(tid int)) {
	ents, _ := os.ReadDir("/proc/self/task")
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			f(tid)
		}
	}
}

// sleeper sleeps on the calling thread itself, in clock_nanosleep: the
// kernel wakes this thread when the time comes, instead of the runtime's
// timer waking the goroutine from another thread and scheduling it. The
// thread's timer slack is set to 1 ns first (the kernel's default, 50 us,
// lets it wake a normal thread that much late to batch wake-ups); the
// goroutine may be on another thread at each sleep.
type sleeper struct{ ts unix.Timespec }

func (s *sleeper) sleep(d time.Duration) {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	s.ts = unix.NsecToTimespec(d.Nanoseconds())
	_ = unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &s.ts, nil) // EINTR: the caller checks the time
}

// schedOther is SCHED_OTHER (SCHED_NORMAL), the normal class.
const schedOther = 0
