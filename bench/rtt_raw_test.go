//go:build linux

package bench

import (
	"net/netip"
	"testing"
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
// system calls made from goroutines, with no poller and no package net
// (rawEcho, rawClient). Both sides' calls go through unix.Syscall6, which
// tells the runtime that the goroutine may block: what goblock pays on top
// of this is package net's, what osckit-block pays on top is osckit's own.
func rawPinger(b *testing.B, msg []byte) pinger {
	to, echo := rawEcho(b)
	return pairPinger(b, msg, rawClient(b, msg, to), echo, false)
}

// rawEcho blocks in recvmmsg (batches of up to 64, MSG_WAITFORONE) and
// answers with sendmmsg what it read, as the C echo does.
func rawEcho(b *testing.B) (netip.AddrPort, side) {
	echo := rawSocket(b)
	if err := unix.Bind(echo, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	sa, err := unix.Getsockname(echo)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
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
	s4 := sa.(*unix.SockaddrInet4)
	shut := func() { _ = unix.Shutdown(echo, unix.SHUT_RD) }
	// The descriptor is closed by rawSocket's cleanup, after the echo has
	// returned.
	s := newSide(b, shut, func() { shut(); <-done })
	s.queued = func() int { return rawInq(echo) }
	return netip.AddrPortFrom(netip.AddrFrom4(s4.Addr), uint16(s4.Port)), s
}

// rawClient sends on a blocking socket connected to to and blocks in
// recvfrom, as the C pinger does.
func rawClient(b *testing.B, msg []byte, to netip.AddrPort) side {
	c := rawSocket(b)
	if err := unix.Connect(c, &unix.SockaddrInet4{Addr: to.Addr().As4(), Port: int(to.Port())}); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 2048)
	// The descriptor is closed by rawSocket's cleanup, after the last call
	// on it.
	s := newSide(b, func() { _ = unix.Shutdown(c, unix.SHUT_RD) }, func() {})
	s.queued = func() int { return rawInq(c) }
	s.send = func() error {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(c), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), 0, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	}
	s.recv = func() ([]byte, error) {
		for {
			r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(c), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
			if e == unix.EINTR {
				continue
			}
			if e != 0 {
				return nil, e
			}
			return buf[:r], nil
		}
	}
	return s
}

// rawInq is the length of the next datagram queued on fd, 0 if none, -1 if
// it cannot be had (SIOCINQ).
func rawInq(fd int) int {
	n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
	if err != nil {
		return -1
	}
	return n
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
