package osc_test

import (
	"os"
	"runtime/pprof"
	"time"
)

func dumpAfter(d time.Duration) *time.Timer {
	return time.AfterFunc(d, func() { pprof.Lookup("goroutine").WriteTo(os.Stderr, 1) })
}
