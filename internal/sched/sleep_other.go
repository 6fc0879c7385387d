//go:build !linux

package sched

import "time"

// timerSlop is unused where preciseSleep is unavailable: the spin window
// alone covers the timer's lateness.
const timerSlop = 0

// preciseSleep is not available on this platform.
func preciseSleep(time.Duration) bool { return false }
