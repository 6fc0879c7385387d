//go:build linux

package bench

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestRoundTripWatchdog: a pinger whose peer never answers ends within a
// few watchdog periods, and says why, instead of waiting for good.
func TestRoundTripWatchdog(t *testing.T) {
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
	wd := startWatchdog(50*time.Millisecond, func() { c.Close() }, func() string { return "detail" })
	defer wd.stop()
	start := time.Now()
	wd.begin()
	buf := make([]byte, 64)
	for range 3 { // answered round trips: no stall
		if _, err := c.Write(buf); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sink.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
		wd.tick()
	}
	if _, err := c.Write(buf); err != nil {
		t.Fatal(err)
	}
	_, err = c.Read(buf) // no answer comes: the watchdog closes c
	wd.end()
	if err == nil {
		t.Fatal("read of an unanswered ping returned without an error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the watchdog took %v to end a wait (period 50ms)", d)
	}
	if why := wd.stalled(); !strings.Contains(why, "no reply within 50ms") || !strings.HasSuffix(why, "; detail") {
		t.Fatalf("stalled() = %q", why)
	}
}
