//go:build linux

package bench

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawHdr is struct mmsghdr of <sys/socket.h>.
type rawHdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// rawPinger is the floor of any Go program for a round trip: the C pair's
// system calls made from goroutines, with no poller and no package net. The
// echo blocks in recvmmsg (batches of up to 64, MSG_WAITFORONE) and answers
// with sendmmsg what it read; the pinger sends on a connected socket and
// blocks in recvfrom, as the C pinger does. Both calls go through
// unix.Syscall6, which tells the runtime that the goroutine may block: what
// goblock pays on top of this is package net's, what osckit-block pays on
// top is osckit's own.
func rawPinger(b *testing.B, msg []byte) pinger {
	echo := rawSocket(b)
	if err := unix.Bind(echo, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	sa, err := unix.Getsockname(echo)
	if err != nil {
		b.Fatal(err)
	}
	c := rawSocket(b)
	if err := unix.Connect(c, sa); err != nil {
		b.Fatal(err)
	}
	echoDone := make(chan struct{})
	go func() {
		defer close(echoDone)
		const batch = 64
		hdrs := make([]rawHdr, batch)
		iovs := make([]unix.Iovec, batch)
		names := make([][unix.SizeofSockaddrInet6]byte, batch)
		bufs := make([]byte, batch*2048)
		for {
			for i := range hdrs {
				iovs[i].Base = &bufs[i*2048]
				iovs[i].SetLen(2048)
				hdrs[i].hdr = unix.Msghdr{Name: &names[i][0], Namelen: uint32(len(names[i])), Iov: &iovs[i], Iovlen: 1}
			}
			r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(echo), uintptr(unsafe.Pointer(&hdrs[0])), batch, unix.MSG_WAITFORONE, 0, 0)
			if e == unix.EINTR {
				continue
			}
			n := int(r)
			if e != 0 || n <= 0 || hdrs[0].len == 0 { // shut down: close
				return
			}
			for i := range n {
				iovs[i].SetLen(int(hdrs[i].len))
			}
			for off := 0; off < n; {
				s, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(echo), uintptr(unsafe.Pointer(&hdrs[off])), uintptr(n-off), 0, 0, 0)
				if e == unix.EINTR {
					continue
				}
				if e != 0 || s == 0 {
					break
				}
				off += int(s)
			}
		}
	}()
	// Shutting the sockets down ends both blocked calls; they are closed
	// once the echo has returned, so no call is left on a closed number.
	shut := func() {
		_ = unix.Shutdown(c, unix.SHUT_RD)
		_ = unix.Shutdown(echo, unix.SHUT_RD)
	}
	queued := func() string {
		p, _ := unix.IoctlGetInt(c, unix.SIOCINQ)
		q, _ := unix.IoctlGetInt(echo, unix.SIOCINQ)
		return fmt.Sprintf("next queued datagram: pinger %d bytes, echo %d bytes (0: none)", p, q)
	}
	wd := startWatchdog(rttTimeout, shut, queued)
	buf := make([]byte, 2048)
	ping := func(rtt []time.Duration) int {
		wd.begin()
		defer wd.end()
		for i := range rtt {
			t0 := time.Now()
			if _, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(c), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), 0, 0, 0); e != 0 {
				return i
			}
			var r uintptr
			var e unix.Errno
			for {
				r, _, e = unix.Syscall6(unix.SYS_RECVFROM, uintptr(c), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
				if e != unix.EINTR {
					break
				}
			}
			if e != 0 || int(r) != len(msg) {
				return i
			}
			rtt[i] = time.Since(t0)
			wd.tick()
		}
		return len(rtt)
	}
	closeAll := func() {
		wd.stop()
		shut()
		<-echoDone
		// rawSocket's cleanups close the descriptors, after this.
	}
	return pinger{ping: ping, close: closeAll, stalled: wd.stalled}
}

// rawSocket is a blocking UDP socket, closed on exec, and closed when the
// benchmark run ends (b.Cleanup): its user shuts it down and waits for the
// calls on it to return, and never closes it, so that no call can land on
// the number once the kernel has given it to another socket.
func rawSocket(b *testing.B) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	return fd
}
