//go:build !linux

package main

import (
	"errors"
	"time"
)

func enterRealtime() (restore func(), err error) {
	return nil, errors.New("real-time scheduling is implemented on Linux only")
}

// sleeper sleeps with the runtime's timer.
type sleeper struct{}

func (s *sleeper) sleep(d time.Duration) { time.Sleep(d) }
