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
	return func(oob []byte) time.Time {
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
}
