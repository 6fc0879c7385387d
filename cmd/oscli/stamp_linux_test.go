package main

import (
	"encoding/binary"
	"net"
	"syscall"
	"testing"
	"time"
)

// arrivalStamps asks the kernel to timestamp c's datagrams as they
// arrive (SO_TIMESTAMPNS) and returns the function that reads the stamp
// from a read's control message, or the time of the read without one.
func arrivalStamps(b testing.TB, c *net.UDPConn) func(oob []byte) time.Time {
	rc, err := c.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		b.Fatalf("SO_TIMESTAMPNS: %v %v", err, serr)
	}
	stamp := func(oob []byte) time.Time {
		msgs, err := syscall.ParseSocketControlMessage(oob)
		if err == nil {
			for _, m := range msgs {
				if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= 16 {
					sec := int64(binary.NativeEndian.Uint64(m.Data))
					nsec := int64(binary.NativeEndian.Uint64(m.Data[8:]))
					return time.Unix(sec, nsec)
				}
			}
		}
		return time.Now()
	}
	awaitArrivalStamps(b, c, stamp)
	return stamp
}

// awaitArrivalStamps returns once the kernel stamps c's datagrams as they
// arrive. Linux turns its receive timestamps on from a work queue some
// time after the first socket asks for them; until then it stamps a
// datagram when it is read, so that datagrams read after a burst got
// later stamps than the ones that arrived after them (the span of a
// replay came out negative under the race detector on a loaded machine).
// A probe sent some milliseconds before it is read tells the two apart:
// at most 200 probes, each read within 5 s.
func awaitArrivalStamps(b testing.TB, c *net.UDPConn, stamp func([]byte) time.Time) {
	b.Helper()
	tx, err := net.DialUDP("udp", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	buf, oob := make([]byte, 16), make([]byte, 128)
	for range 200 {
		if _, err := tx.Write([]byte("probe")); err != nil {
			b.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			b.Fatal(err)
		}
		read := time.Now()
		_, k, _, _, err := c.ReadMsgUDP(buf, oob)
		if err != nil {
			b.Fatalf("reading a timestamp probe: %v", err)
		}
		if stamp(oob[:k]).Before(read.Round(0)) {
			if err := c.SetReadDeadline(time.Time{}); err != nil {
				b.Fatal(err)
			}
			return
		}
	}
	b.Fatal("the kernel did not stamp datagrams on arrival after 200 probes")
}
