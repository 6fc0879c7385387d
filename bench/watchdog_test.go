//go:build linux

package bench

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestRoundTripWatchdog: the watchdog leaves a pinger alone while its round
// trips complete and while it is idle between pings, and ends a ping whose
// reply never comes between one and 1.25 periods after its last progress,
// saying why, instead of letting it wait for good.
func TestRoundTripWatchdog(t *testing.T) {
	const period = 40 * time.Millisecond
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	c, err := net.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Should the watchdog not fire, this ends the read and the test fails
	// on the time taken.
	safety := time.AfterFunc(5*time.Second, func() { c.Close() })
	defer safety.Stop()
	fired := make(chan struct{})
	wd := startWatchdog(period, func() { close(fired); c.Close() }, func() string { return "detail" })
	defer wd.stop()

	// Progress every half period for five periods: no stall.
	wd.begin()
	for range 10 {
		time.Sleep(period / 2)
		wd.tick()
	}
	wd.end()
	// Idle for three periods between pings: no stall either.
	time.Sleep(3 * period)
	select {
	case <-fired:
		t.Fatalf("the watchdog fired on a pinger that made progress or was idle: %q", wd.stalled())
	default:
	}

	// A ping whose reply never comes.
	buf := make([]byte, 64)
	if _, err := c.Write(buf); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	wd.begin()
	_, err = c.Read(buf) // no answer comes: the watchdog closes c
	waited := time.Since(start)
	wd.end()
	if err == nil {
		t.Fatal("read of an unanswered ping returned without an error")
	}
	if waited < period*9/10 || waited > 2*time.Second {
		t.Fatalf("the watchdog ended a wait after %v (period %v)", waited, period)
	}
	if why := wd.stalled(); !strings.Contains(why, "no reply within 40ms") || !strings.HasSuffix(why, "; detail") {
		t.Fatalf("stalled() = %q", why)
	}
}
