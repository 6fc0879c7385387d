package sched

import (
	"syscall"
	"time"
)

// timerSlop is how late a runtime timer may fire on Linux: a thread that
// waits for timers in the network poller sleeps in epoll_wait, whose
// timeout is in whole milliseconds.
const timerSlop = 2 * time.Millisecond

// preciseSleep blocks the calling thread in nanosleep(2) for d, which the
// kernel's high-resolution timers end within the thread's timer slack
// (50 µs by default). preciseSleep(0) reports availability without
// sleeping.
func preciseSleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR: an early return is harmless
	return true
}
