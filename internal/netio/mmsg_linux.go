package netio

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of <sys/socket.h> (x/sys has the syscall
// numbers but neither the type nor a wrapper). Go pads it to its alignment
// as C does: 64 bytes on 64-bit systems, 32 on 32-bit ones.
type mmsghdr struct {
	Hdr unix.Msghdr
	Len uint32
}

// cMmsghdrSize is C's size of struct mmsghdr: a msghdr and an unsigned
// int, padded to the alignment of the msghdr's pointers. The two constants
// below fail to compile unless mmsghdr has exactly that size, on every
// architecture the build targets (make vet-cross builds for 32-bit ones,
// whose binaries this project's machines cannot run).
const cMmsghdrSize = (unsafe.Sizeof(unix.Msghdr{}) + 4 + unsafe.Sizeof(uintptr(0)) - 1) &^ (unsafe.Sizeof(uintptr(0)) - 1)

const (
	_ = cMmsghdrSize - unsafe.Sizeof(mmsghdr{})
	_ = unsafe.Sizeof(mmsghdr{}) - cMmsghdrSize
)

// sockaddrBuf holds any sockaddr (the size of sockaddr_storage is 128; the
// largest we meet, sockaddr_un, is 110).
type sockaddrBuf [112]byte

const (
	gsoMaxSegs = 64 // UDP_MAX_SEGMENTS of older kernels
	gsoMaxLen  = 65000
)

// batchIO holds the preallocated recvmmsg/sendmmsg state of one socket.
// The read side is used under the conn's read lock, the write side under its
// write lock; sendOneDirect, which uses none of the write side, takes no
// lock.
type batchIO struct {
	rc       syscall.RawConn
	fd       uintptr // the socket, for the direct calls: see readBlocking, readConnected, sendDirect, sendOneDirect
	family   int
	unixSock bool
	bufSize  int
	plain    bool           // UDP, and control messages would carry only the drop count: see readConnected
	peer     netip.AddrPort // a connected UDP socket's peer, the sender of all it receives

	// Read side.
	hdrs   []mmsghdr
	iovs   []unix.Iovec
	names  []sockaddrBuf
	oob    []byte // oobLen bytes of control messages per message; nil on UNIX sockets
	oobLen int
	drops  *dropCounter
	bufs   [][]byte
	addrs  []netip.AddrPort
	paths  [][]byte
	segs   []int        // GRO segment size per message, 0 if none
	locals []netip.Addr // destination address per message (IP_PKTINFO)
	rn     int          // messages asked of the current call
	rgot   int
	rerr   syscall.Errno
	readFn func(fd uintptr) bool // doRead, for RawConn.Read
	waitFn func(fd uintptr) bool // doReadWait, for RawConn.Read
	block  bool                  // the socket is in blocking mode for reads: see setBlocking
	shut   atomic.Bool           // blocking mode was on once: Close shuts the socket down first
	closed atomic.Bool           // shutdown ran
	inCall atomic.Int32          // direct calls (readBlocking, readConnected, sendDirect, sendOneDirect) between their check of closed and the end of their system call
	dirty  int                   // hdrs[dirty:] are as read re-arms them: the kernel wrote to none since
	cur    int                   // next message to hand out
	off    int                   // offset inside the current message (GRO)
	zones  map[uint32]string

	// Write side.
	whdrs   []mmsghdr
	wiovs   []unix.Iovec
	wnames  []sockaddrBuf
	wcmsg   []byte
	wpinfo  []byte // IP_PKTINFO / IPV6_PKTINFO control message of writeFrom
	wn      int
	wsent   int
	wcall   string // the system call of the last send, for its error
	werr    syscall.Errno
	writeFn func(fd uintptr) bool
	nowait  bool        // a write the socket cannot take at once fails with EAGAIN
	direct  atomic.Bool // blocking mode is on: writes try sendDirect first
	lazy    *lazySocket // a lazy socket's: while package net does not have it, writes go to it directly
	gsoOff  bool
}

// controlSpace is the room for the control messages of one received UDP
// datagram: the drop count (SO_RXQ_OVFL), and the GRO segment size and the
// destination address when cfg asks for them.
func controlSpace(cfg *UDPConfig) int {
	n := unix.CmsgSpace(4) // SO_RXQ_OVFL: __u32
	if cfg.GRO {
		n += unix.CmsgSpace(4) // UDP_GRO: int
	}
	if cfg.pktinfo {
		n += unix.CmsgSpace(unix.SizeofInet6Pktinfo) // the larger of the two
	}
	return n
}

// newBatchIO preallocates the batch state of a socket. drops receives the
// kernel's drop count of a UDP socket; UNIX sockets report none.
func newBatchIO(rc syscall.RawConn, cfg *UDPConfig, unixSock bool, drops *dropCounter) (*batchIO, error) {
	b := &batchIO{rc: rc, unixSock: unixSock, bufSize: cfg.BufSize, drops: drops, nowait: cfg.NoWait}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		b.fd = fd
		b.family, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, os.NewSyscallError("getsockopt", serr)
	}
	n := cfg.Batch
	b.hdrs = make([]mmsghdr, n)
	b.iovs = make([]unix.Iovec, n)
	b.names = make([]sockaddrBuf, n)
	b.bufs = make([][]byte, n)
	b.addrs = make([]netip.AddrPort, n)
	b.paths = make([][]byte, n)
	b.segs = make([]int, n)
	// Buffers are spaced one cache line more than their size apart: with a
	// power-of-two stride (64 KiB by default) the starts of all the buffers,
	// where small datagrams land, would share the same cache sets and evict
	// each other.
	stride := (cfg.BufSize+63)&^63 + 64
	slab := make([]byte, n*stride)
	if !unixSock {
		b.oobLen = controlSpace(cfg)
		b.oob = make([]byte, n*b.oobLen)
		b.plain = !cfg.GRO && !cfg.pktinfo
	}
	if cfg.pktinfo {
		b.locals = make([]netip.Addr, n)
	}
	for i := range n {
		b.bufs[i] = slab[i*stride : i*stride+cfg.BufSize : i*stride+cfg.BufSize]
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(cfg.BufSize)
		h := &b.hdrs[i].Hdr
		h.Name = &b.names[i][0]
		h.Iov = &b.iovs[i]
		h.Iovlen = 1
		if b.oob != nil {
			h.Control = &b.oob[i*b.oobLen]
		}
	}
	b.readFn = b.doRead
	b.waitFn = b.doReadWait
	b.dirty = n
	b.whdrs = make([]mmsghdr, n)
	b.wiovs = make([]unix.Iovec, n)
	b.wnames = make([]sockaddrBuf, n)
	b.wcmsg = make([]byte, unix.CmsgSpace(2))
	b.wpinfo = make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo))
	b.writeFn = b.doWrite
	return b, nil
}

// doRead calls recvmmsg through RawSyscall6, without telling the runtime
// that the goroutine enters a system call. The socket is non-blocking, so
// the call never waits: it copies what is queued (a batch of 64 small
// datagrams takes 30-50 us) or returns EAGAIN, and the goroutine then waits
// in the runtime's poller as before. Announced with Syscall6, a call longer
// than 20 us lets the runtime's monitor hand the goroutine's P to another
// thread, and the goroutine must get one back when the call returns: a
// bare recvmmsg loop spends some 50-90 ns more CPU per datagram that way
// (bench/README.md, "UDP receive against C").
func (b *batchIO) doRead(fd uintptr) bool {
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(b.rn), 0, 0, 0)
		if e != unix.EINTR {
			b.rgot, b.rerr = int(r), e
			return e != unix.EAGAIN
		}
	}
}

// doReadWait is doRead for a socket in blocking mode: recvmmsg waits in the
// kernel, announced to the runtime with Syscall6 (the goroutine's P goes to
// other goroutines meanwhile), until at least one datagram is queued
// (MSG_WAITFORONE: without it a blocking recvmmsg waits for a whole batch)
// or the socket is shut down for reading (close). It reports false if the
// call did not wait after all (EAGAIN: the socket is non-blocking).
func (b *batchIO) doReadWait(fd uintptr) bool {
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(b.rn), unix.MSG_WAITFORONE, 0, 0)
		if e != unix.EINTR {
			b.rgot, b.rerr = int(r), e
			return e != unix.EAGAIN
		}
	}
}

// readConnected reads one datagram of a connected socket in blocking mode
// into p with recvfrom, without the batch's headers. done is false if the
// socket turned out non-blocking: the caller takes the general path.
func (b *batchIO) readConnected(p *Packet) (n int, done bool, err error) {
	raceWrite(b.bufs[0])
	b.inCall.Add(1)
	if b.closed.Load() {
		b.inCall.Add(-1)
		return 0, true, net.ErrClosed
	}
	var r uintptr
	var e syscall.Errno
	for {
		r, _, e = unix.Syscall6(unix.SYS_RECVFROM, b.fd, uintptr(unsafe.Pointer(&b.bufs[0][0])), uintptr(b.bufSize), unix.MSG_TRUNC, 0, 0)
		if e != unix.EINTR {
			break
		}
	}
	b.inCall.Add(-1)
	switch {
	case e == unix.EAGAIN:
		return 0, false, nil
	case e != 0:
		return 0, true, os.NewSyscallError("recvfrom", e)
	case b.closed.Load():
		return 0, true, net.ErrClosed // shut down by close
	}
	ln := min(int(r), b.bufSize)
	*p = Packet{Data: b.bufs[0][:ln:ln], Addr: b.peer, Truncated: int(r) > b.bufSize}
	return 1, true, nil
}

// sendOneDirect sends one datagram with sendto, to the address to (the
// peer of a connected socket if invalid), without the batch's headers and
// so without the write lock, when writes go to the socket directly
// (blocking mode, or a socket package net does not have yet). done is
// false otherwise, or if the socket is full and the conn may wait: the
// caller takes the general path.
func (b *batchIO) sendOneDirect(pkt []byte, to netip.AddrPort) (n int, done bool, err error) {
	if !b.directMode() {
		return 0, false, nil
	}
	var sa sockaddrBuf
	var nl uint32
	if to.IsValid() {
		if nl, err = b.encodeInet(&sa, to); err != nil {
			return 0, true, err
		}
	}
	var p unsafe.Pointer
	if len(pkt) > 0 {
		p = unsafe.Pointer(&pkt[0])
		raceRead(pkt)
	}
	b.inCall.Add(1)
	if b.closed.Load() {
		b.inCall.Add(-1)
		return 0, true, net.ErrClosed
	}
	var e syscall.Errno
	for {
		if nl == 0 {
			_, _, e = unix.Syscall6(unix.SYS_SENDTO, b.fd, uintptr(p), uintptr(len(pkt)), unix.MSG_DONTWAIT, 0, 0)
		} else {
			_, _, e = unix.Syscall6(unix.SYS_SENDTO, b.fd, uintptr(p), uintptr(len(pkt)), unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), uintptr(nl))
		}
		if e != unix.EINTR {
			break
		}
	}
	b.inCall.Add(-1)
	switch {
	case e == 0:
		return len(pkt), true, nil
	case e != unix.EAGAIN:
		return 0, true, os.NewSyscallError("sendto", e)
	case b.nowait:
		return 0, true, ErrWouldBlock
	}
	return 0, false, nil
}

// setBlocking puts the socket in blocking mode for reads (on) or back in the
// runtime's non-blocking mode. In blocking mode a read waits in the kernel
// on the calling goroutine's thread instead of parking the goroutine in the
// runtime's poller: the poller's extra system calls (a recvmmsg that finds
// nothing, then epoll_pwait) and the wake-up of a parked goroutine cost some
// microseconds per message that waits, about a third of a loopback round
// trip. Reads and writes then call the kernel on the descriptor directly
// (readBlocking, readConnected, sendDirect, sendOneDirect); a write the
// socket cannot take at once fails at once with NoWait and otherwise waits
// in the kernel. Deadlines do not apply; close ends a wait. The read lock is
// held.
func (b *batchIO) setBlocking(on bool) error {
	if on == b.block {
		return nil
	}
	var serr error
	if err := b.rc.Control(func(fd uintptr) { serr = unix.SetNonblock(int(fd), !on) }); err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("fcntl", serr)
	}
	b.block = on
	if on {
		b.shut.Store(true)
	}
	b.direct.Store(on)
	return nil
}

// shutdown runs before close. It stops the direct calls of blocking mode
// (readBlocking, readConnected, sendDirect, sendOneDirect) from starting,
// ends a blocking read in progress (a read blocked in the kernel holds a
// reference to the socket, which close alone would wait for forever), and
// returns once no direct call is inside its system call, so that the
// descriptor can be closed (and its number reused) with none left on it.
// closed is set even if blocking mode was never on: SetBlocking may be
// turning it on at this moment.
func (b *batchIO) shutdown() {
	b.closed.Store(true)
	if b.shut.Load() {
		_ = b.rc.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RD) })
	}
	// A read that saw closed unset before the store above set shut before
	// that (setBlocking runs first), so it is either in recvmmsg, which the
	// shutdown woke, or about to call it, and then recvmmsg returns at once
	// on the shut-down socket; a write never waits. The wait is short.
	for b.inCall.Load() != 0 {
		time.Sleep(10 * time.Microsecond)
	}
}

// readBlocking is the read of blocking mode: doReadWait on the socket
// directly, not through RawConn.Read, whose locking and poller bookkeeping
// buy nothing for a call that waits in the kernel and cost about 0.15 us
// per message waited for (bench/README.md, "Round trip"). Instead of the
// poller's reference on the descriptor, inCall keeps Close (shutdown) from
// closing it under the call.
func (b *batchIO) readBlocking() error {
	b.inCall.Add(1)
	if b.closed.Load() {
		b.inCall.Add(-1)
		return net.ErrClosed
	}
	waited := b.doReadWait(b.fd)
	b.inCall.Add(-1)
	if !waited {
		// EAGAIN: the socket is non-blocking after all (or has a receive
		// timeout): wait in the poller, still with an announced call.
		return b.rc.Read(b.waitFn)
	}
	return nil
}

// setPeer tells the batch state the peer of a dialed conn (a connected
// socket receives from no one else), or the zero AddrPort.
func (b *batchIO) setPeer(peer netip.AddrPort) { b.peer = peer }

// directMode reports whether writes call the kernel directly: in blocking
// mode, and on a lazy socket package net does not have yet.
func (b *batchIO) directMode() bool {
	return b.direct.Load() || (b.lazy != nil && !b.lazy.registered())
}

// send sends whdrs[:wn], setting wsent and werr.
func (b *batchIO) send() error {
	if b.directMode() {
		if done, err := b.sendDirect(); done {
			return err
		}
	}
	return b.rc.Write(b.writeFn)
}

// sendDirect is the write of blocking mode, and of a lazy socket package
// net does not have yet: sendmmsg (or sendto) on the socket directly, as
// readBlocking reads, and with MSG_DONTWAIT, so that the call never waits
// and Close never waits for it. It reports false if the socket could not
// take the datagrams at once and the conn is not NoWait: the write must
// then wait, which doWrite does through RawConn.Write (which hands a lazy
// socket to package net).
func (b *batchIO) sendDirect() (done bool, err error) {
	b.inCall.Add(1)
	if b.closed.Load() {
		b.inCall.Add(-1)
		return true, net.ErrClosed
	}
	r, e := b.sendCall(b.fd, unix.MSG_DONTWAIT)
	b.inCall.Add(-1)
	if e == unix.EAGAIN && !b.nowait {
		return false, nil
	}
	b.wsent, b.werr = int(r), e
	return true, nil
}

// doWrite sends whdrs[:wn]. A conn with NoWait passes MSG_DONTWAIT, so that
// its writes never wait even when reads have put the socket in blocking
// mode.
func (b *batchIO) doWrite(fd uintptr) (ok bool) {
	flags := uintptr(0)
	if b.nowait {
		flags = unix.MSG_DONTWAIT
	}
	r, e := b.sendCall(fd, flags)
	b.wsent, b.werr = r, e
	return e != unix.EAGAIN || b.nowait
}

// sendCall sends whdrs[:wn] on fd with sendmmsg, or one datagram without
// control messages with sendto, which spares the kernel copying in a
// message header and an iovec (0.1-0.2 us of a loopback round trip, pinned:
// bench/README.md, "Round trip"). It returns the number of datagrams sent.
func (b *batchIO) sendCall(fd, flags uintptr) (int, syscall.Errno) {
	for {
		var r uintptr
		var e syscall.Errno
		if h := &b.whdrs[0].Hdr; b.wn == 1 && h.Controllen == 0 {
			// The header's own iovec: after a partial sendmmsg the headers
			// left were moved to the front (sendShifted), their iovecs not.
			b.wcall = "sendto"
			r, _, e = unix.Syscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(h.Iov.Base)), uintptr(h.Iov.Len), flags, uintptr(unsafe.Pointer(h.Name)), uintptr(h.Namelen))
			if e == 0 {
				r = 1
			}
		} else {
			b.wcall = "sendmmsg"
			r, _, e = unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.whdrs[0])), uintptr(b.wn), flags, 0, 0)
		}
		if e != unix.EINTR {
			return int(r), e
		}
	}
}

func (b *batchIO) read(dst []Packet) (int, error) {
	if b.cur < b.rgot {
		return b.emit(dst), nil
	}
	if len(dst) == 1 && b.block && b.plain && b.peer.IsValid() {
		if n, done, err := b.readConnected(&dst[0]); done {
			return n, err
		}
	}
	n := min(len(dst), len(b.hdrs))
	// Re-arm the headers of this call that an earlier one filled; those
	// past n that a larger call filled stay as they are, and dirty.
	left := 0
	if b.dirty > n {
		left = b.dirty
	}
	for i := range min(n, b.dirty) {
		h := &b.hdrs[i]
		h.Hdr.Namelen = uint32(len(sockaddrBuf{}))
		h.Hdr.Flags = 0
		h.Len = 0
		if b.oob != nil {
			h.Hdr.SetControllen(b.oobLen)
		}
	}
	if raceEnabled {
		for i := range n {
			raceWrite(b.bufs[i])
		}
	}
	b.rn, b.rgot, b.rerr, b.cur, b.off = n, 0, 0, 0, 0
	var err error
	if b.block {
		err = b.readBlocking()
	} else {
		err = b.rc.Read(b.readFn)
	}
	// The kernel wrote to the headers of the messages it returned, and to
	// no other: a failed attempt writes nothing back.
	if err == nil && b.rerr == 0 && b.rgot >= 0 && b.rgot <= n {
		b.dirty = max(left, b.rgot)
	} else {
		b.dirty = max(left, n)
	}
	if err != nil {
		b.rgot = 0
		return 0, err
	}
	if b.rerr != 0 {
		b.rgot = 0
		return 0, os.NewSyscallError("recvmmsg", b.rerr)
	}
	if b.block && b.closed.Load() {
		// Shut down by close: recvmmsg reports one empty message without
		// a sender then, which is no datagram.
		b.rgot = 0
		return 0, net.ErrClosed
	}
	for i := range b.rgot {
		h := &b.hdrs[i].Hdr
		nl := int(min(h.Namelen, uint32(len(sockaddrBuf{}))))
		if b.unixSock {
			b.paths[i] = decodeUnixPath(b.names[i][:nl])
		} else {
			b.addrs[i] = b.peer
			if !b.peer.IsValid() {
				b.addrs[i] = b.decodeInet(&b.names[i], nl)
			}
		}
		b.segs[i] = 0
		if b.locals != nil {
			b.locals[i] = netip.Addr{}
		}
		if b.oob != nil && h.Controllen > 0 {
			off := i * b.oobLen
			b.control(i, b.oob[off:off+min(int(h.Controllen), b.oobLen)])
		}
	}
	return b.emit(dst), nil
}

// emit hands out received messages (split into GRO segments) into dst.
func (b *batchIO) emit(dst []Packet) int {
	k := 0
	for b.cur < b.rgot && k < len(dst) {
		m := &b.hdrs[b.cur]
		ln := min(int(m.Len), b.bufSize)
		data := b.bufs[b.cur][:ln]
		p := &dst[k]
		p.Addr = b.addrs[b.cur]
		p.Path = b.paths[b.cur]
		p.Truncated = m.Hdr.Flags&unix.MSG_TRUNC != 0
		p.Local = netip.Addr{}
		if b.locals != nil {
			p.Local = b.locals[b.cur]
		}
		seg := b.segs[b.cur]
		if seg <= 0 || seg >= ln {
			p.Data = data[:ln:ln]
			b.cur++
		} else {
			end := min(b.off+seg, ln)
			p.Data = data[b.off:end:end]
			b.off = end
			if end >= ln {
				b.cur++
				b.off = 0
			}
		}
		k++
	}
	return k
}

func (b *batchIO) decodeInet(sa *sockaddrBuf, nl int) netip.AddrPort {
	switch int(binary.NativeEndian.Uint16(sa[0:2])) {
	case unix.AF_INET:
		if nl < 8 {
			return netip.AddrPort{}
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(sa[4:8])), binary.BigEndian.Uint16(sa[2:4]))
	case unix.AF_INET6:
		if nl < 24 {
			return netip.AddrPort{}
		}
		a := netip.AddrFrom16([16]byte(sa[8:24])).Unmap()
		if nl >= 28 && a.Is6() {
			if scope := binary.NativeEndian.Uint32(sa[24:28]); scope != 0 {
				a = a.WithZone(b.zone(scope))
			}
		}
		return netip.AddrPortFrom(a, binary.BigEndian.Uint16(sa[2:4]))
	}
	return netip.AddrPort{}
}

// zone names an IPv6 scope (interface index), caching the answer.
func (b *batchIO) zone(idx uint32) string {
	if z, ok := b.zones[idx]; ok {
		return z
	}
	z := strconv.FormatUint(uint64(idx), 10)
	if ifi, err := net.InterfaceByIndex(int(idx)); err == nil {
		z = ifi.Name
	}
	if b.zones == nil {
		b.zones = make(map[uint32]string)
	}
	b.zones[idx] = z
	return z
}

// decodeUnixPath returns the sun_path of a sockaddr_un as a view of sa,
// rewriting the leading NUL of an abstract name to '@'.
func decodeUnixPath(sa []byte) []byte {
	if len(sa) <= 2 {
		return nil // unbound sender
	}
	p := sa[2:]
	if p[0] == 0 {
		p[0] = '@'
		return p
	}
	for i, c := range p {
		if c == 0 {
			return p[:i]
		}
	}
	return p
}

// Control message layout: headers and data are aligned to the size of a
// pointer (CMSG_ALIGN).
const (
	cmsgAlign  = int(unsafe.Sizeof(uintptr(0)))
	cmsgHdrLen = (unix.SizeofCmsghdr + cmsgAlign - 1) &^ (cmsgAlign - 1) // CMSG_LEN(0)
)

// cmsg splits the first control message off oob: its header and data, and
// the rest of oob. h is nil when oob holds no whole message.
func cmsg(oob []byte) (h *unix.Cmsghdr, data, rest []byte) {
	if len(oob) < cmsgHdrLen {
		return nil, nil, nil
	}
	h = (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	l := int(h.Len)
	if l < cmsgHdrLen || l > len(oob) {
		return nil, nil, nil
	}
	return h, oob[cmsgHdrLen:l], oob[min((l+cmsgAlign-1)&^(cmsgAlign-1), len(oob)):]
}

// control reads the control messages of received message i: the socket's
// drop count, the UDP_GRO segment size and the IP_PKTINFO or IPV6_PKTINFO
// destination address.
func (b *batchIO) control(i int, oob []byte) {
	for {
		h, data, rest := cmsg(oob)
		if h == nil {
			return
		}
		oob = rest
		switch {
		case h.Level == unix.SOL_SOCKET && h.Type == unix.SO_RXQ_OVFL && len(data) >= 4:
			b.drops.see(binary.NativeEndian.Uint32(data))
		case h.Level == unix.SOL_UDP && h.Type == unix.UDP_GRO && len(data) >= 4:
			b.segs[i] = int(binary.NativeEndian.Uint32(data))
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo && b.locals != nil:
			// struct in_pktinfo: ifindex, spec_dst, addr (the header's
			// destination).
			b.locals[i] = unicastOnly(netip.AddrFrom4([4]byte(data[8:12])))
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo && b.locals != nil:
			// struct in6_pktinfo: addr, ifindex.
			a := netip.AddrFrom16([16]byte(data[0:16])).Unmap()
			if a.Is6() && a.IsLinkLocalUnicast() {
				a = a.WithZone(b.zone(binary.NativeEndian.Uint32(data[16:20])))
			}
			b.locals[i] = unicastOnly(a)
		}
	}
}

// controlDrops returns the drop count (SO_RXQ_OVFL) among the control
// messages of one datagram read without recvmmsg.
func controlDrops(oob []byte) (uint32, bool) {
	for {
		h, data, rest := cmsg(oob)
		if h == nil {
			return 0, false
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_RXQ_OVFL && len(data) >= 4 {
			return binary.NativeEndian.Uint32(data), true
		}
		oob = rest
	}
}

// unicastOnly drops destination addresses an answer cannot be sent from.
func unicastOnly(a netip.Addr) netip.Addr {
	if a.IsMulticast() || a.IsUnspecified() || (a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
		return netip.Addr{}
	}
	return a
}

// writeTo sends one datagram to to.
func (b *batchIO) writeTo(pkt []byte, to netip.AddrPort) (int, error) {
	nl, err := b.encodeInet(&b.wnames[0], to)
	if err != nil {
		return 0, err
	}
	return b.sendOne(pkt, nl, nil)
}

// write sends one datagram on a connected socket.
func (b *batchIO) write(pkt []byte) (int, error) {
	setIov(&b.wiovs[0], pkt)
	b.whdrs[0].Hdr = unix.Msghdr{Iov: &b.wiovs[0], Iovlen: 1}
	_, err := b.sendShifted(1)
	b.clearW(1)
	if err != nil {
		return 0, err
	}
	return len(pkt), nil
}

// writeFrom sends one datagram to to with its source address set to from
// (IP_PKTINFO or IPV6_PKTINFO).
func (b *batchIO) writeFrom(pkt []byte, to netip.AddrPort, from netip.Addr) (int, error) {
	nl, err := b.encodeInet(&b.wnames[0], to)
	if err != nil {
		return 0, err
	}
	cm := b.wpinfo
	clear(cm)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&cm[0]))
	var cl int
	switch b.family {
	case unix.AF_INET:
		from = from.Unmap()
		if !from.Is4() {
			return 0, errAddrFamily
		}
		h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
		h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
		// struct in_pktinfo: ifindex 0 (by route), spec_dst = from.
		*(*[4]byte)(cm[unix.CmsgLen(0)+4:]) = from.As4()
		cl = unix.CmsgSpace(unix.SizeofInet4Pktinfo)
	default:
		h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
		h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
		// struct in6_pktinfo: addr = from, ifindex from its zone (a
		// link-local address needs it; 0 lets the route choose).
		*(*[16]byte)(cm[unix.CmsgLen(0):]) = from.As16()
		if z := from.Zone(); z != "" {
			binary.NativeEndian.PutUint32(cm[unix.CmsgLen(0)+16:], zoneIndex(z))
		}
		cl = unix.CmsgSpace(unix.SizeofInet6Pktinfo)
	}
	return b.sendOne(pkt, nl, cm[:cl])
}

// sendOne sends pkt to the address in wnames[0] (nl bytes long), with the
// control messages in control if any.
func (b *batchIO) sendOne(pkt []byte, nl uint32, control []byte) (int, error) {
	setIov(&b.wiovs[0], pkt)
	h := &b.whdrs[0].Hdr
	*h = unix.Msghdr{Name: &b.wnames[0][0], Namelen: nl, Iov: &b.wiovs[0], Iovlen: 1}
	if len(control) > 0 {
		h.Control = &control[0]
		h.SetControllen(len(control))
	}
	_, err := b.sendShifted(1)
	b.clearW(1)
	h.Control = nil
	if err != nil {
		return 0, err
	}
	return len(pkt), nil
}

// setIov points iov at p, telling the race detector that the kernel reads p.
func setIov(iov *unix.Iovec, p []byte) {
	iov.Base = nil
	if len(p) > 0 {
		iov.Base = &p[0]
		raceRead(p)
	}
	iov.SetLen(len(p))
}

var errAddrFamily = errors.New("netio: destination address family does not match the socket")

// encodeInet writes to as a sockaddr for the socket's family into sa and
// returns its length.
func (b *batchIO) encodeInet(sa *sockaddrBuf, to netip.AddrPort) (uint32, error) {
	a := to.Addr()
	switch b.family {
	case unix.AF_INET:
		a = a.Unmap()
		if !a.Is4() {
			return 0, errAddrFamily
		}
		binary.NativeEndian.PutUint16(sa[0:2], unix.AF_INET)
		binary.BigEndian.PutUint16(sa[2:4], to.Port())
		*(*[4]byte)(sa[4:8]) = a.As4()
		clear(sa[8:16])
		return unix.SizeofSockaddrInet4, nil
	case unix.AF_INET6:
		if !a.IsValid() {
			return 0, errAddrFamily
		}
		binary.NativeEndian.PutUint16(sa[0:2], unix.AF_INET6)
		binary.BigEndian.PutUint16(sa[2:4], to.Port())
		clear(sa[4:8])
		*(*[16]byte)(sa[8:24]) = a.As16()
		var scope uint32
		if z := a.Zone(); z != "" {
			scope = zoneIndex(z)
		}
		binary.NativeEndian.PutUint32(sa[24:28], scope)
		return unix.SizeofSockaddrInet6, nil
	}
	return 0, errAddrFamily
}

func zoneIndex(z string) uint32 {
	if n, err := strconv.ParseUint(z, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(z); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// encodeUnix writes path as a sockaddr_un into sa.
func encodeUnix(sa *sockaddrBuf, path []byte) (uint32, error) {
	if len(path) == 0 || len(path) > 107 {
		return 0, errors.New("netio: invalid unix socket path")
	}
	binary.NativeEndian.PutUint16(sa[0:2], unix.AF_UNIX)
	copy(sa[2:], path)
	if path[0] == '@' {
		sa[2] = 0
		return uint32(2 + len(path)), nil
	}
	sa[2+len(path)] = 0
	return uint32(2 + len(path) + 1), nil
}

func (b *batchIO) writeBatch(pkts []OutPacket, connected bool) (int, error) {
	done := 0
	for done < len(pkts) {
		n := min(len(pkts)-done, len(b.whdrs))
		for i := range n {
			p := &pkts[done+i]
			h := &b.whdrs[i]
			iov := &b.wiovs[i]
			setIov(iov, p.Data)
			h.Hdr.Iov = iov
			h.Hdr.Iovlen = 1
			h.Hdr.Control = nil
			h.Hdr.Controllen = 0
			h.Hdr.Name = nil
			h.Hdr.Namelen = 0
			if !connected {
				nl, err := b.encodeInet(&b.wnames[i], p.Addr)
				if err != nil {
					b.clearW(n)
					return done, err
				}
				h.Hdr.Name = &b.wnames[i][0]
				h.Hdr.Namelen = nl
			}
		}
		sent, err := b.sendShifted(n)
		b.clearW(n)
		done += sent
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// sendShifted sends whdrs[:n], retrying the unsent tail after a partial
// sendmmsg.
func (b *batchIO) sendShifted(n int) (int, error) {
	total := 0
	base := 0
	for base < n {
		b.wn, b.wsent, b.werr = n-base, 0, 0
		if base > 0 {
			copy(b.whdrs, b.whdrs[base:n])
			n -= base
			base = 0
		}
		if err := b.send(); err != nil {
			return total, err
		}
		if b.werr == unix.EAGAIN {
			return total, ErrWouldBlock
		}
		if b.werr != 0 {
			return total, os.NewSyscallError(b.wcall, b.werr)
		}
		if b.wsent <= 0 {
			return total, os.NewSyscallError(b.wcall, unix.EIO)
		}
		total += b.wsent
		base = b.wsent
	}
	return total, nil
}

// clearW drops references to caller memory from the write headers.
func (b *batchIO) clearW(n int) {
	for i := range n {
		b.wiovs[i].Base = nil
		b.whdrs[i].Hdr.Iov = nil
	}
}

// writeToUnix sends one datagram to the UNIX socket at path.
func (b *batchIO) writeToUnix(pkt, path []byte) (int, error) {
	nl, err := encodeUnix(&b.wnames[0], path)
	if err != nil {
		return 0, err
	}
	return b.sendOne(pkt, nl, nil)
}

// writeSegments sends data with UDP_SEGMENT, gsoMaxSegs datagrams per
// message and up to a batch of messages per sendmmsg. On EIO or EINVAL
// (no GSO on this route or kernel) it sets gsoOff and returns the bytes sent
// so far with a nil error, so the caller falls back.
func (b *batchIO) writeSegments(data []byte, segSize int, to netip.AddrPort, connected bool) (int, error) {
	if segSize > gsoMaxLen || segSize >= len(data) {
		return 0, nil // nothing to gain: let the caller send plainly
	}
	perMsg := min(gsoMaxSegs, gsoMaxLen/segSize) * segSize
	var name *byte
	var nl uint32
	if !connected {
		var err error
		if nl, err = b.encodeInet(&b.wnames[0], to); err != nil {
			return 0, err
		}
		name = &b.wnames[0][0]
	}
	// One control message (UDP_SEGMENT, uint16) shared by all headers.
	cm := b.wcmsg
	h := (*unix.Cmsghdr)(unsafe.Pointer(&cm[0]))
	h.Level = unix.SOL_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(cm[unix.CmsgLen(0):], uint16(segSize))
	done := 0
	for done < len(data) {
		n := 0
		off := done
		for n < len(b.whdrs) && off < len(data) {
			end := min(off+perMsg, len(data))
			iov := &b.wiovs[n]
			iov.Base = &data[off]
			iov.SetLen(end - off)
			m := &b.whdrs[n]
			m.Hdr = unix.Msghdr{Name: name, Namelen: nl, Iov: iov, Iovlen: 1, Control: &cm[0]}
			m.Hdr.SetControllen(len(cm))
			off = end
			n++
		}
		raceRead(data[done:off])
		sent, err := b.sendShifted(n)
		b.clearW(n)
		for i := range n {
			b.whdrs[i].Hdr.Control = nil
		}
		for i := 0; i < sent; i++ {
			done = min(done+perMsg, len(data))
		}
		if err != nil {
			var se *os.SyscallError
			if errors.As(err, &se) && (se.Err == unix.EIO || se.Err == unix.EINVAL || se.Err == unix.ENOPROTOOPT) {
				b.gsoOff = true
				return done, nil
			}
			return done, err
		}
	}
	return done, nil
}

// autobind binds an unbound UNIX socket to a kernel-chosen abstract name.
func autobind(rc syscall.RawConn) error {
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = unix.Bind(int(fd), &unix.SockaddrUnix{})
	}); cerr != nil {
		return cerr
	}
	return os.NewSyscallError("bind", err)
}

// boundName returns the bound name of a UNIX socket, "@..." if abstract.
func boundName(fd uintptr) string {
	sa, err := unix.Getsockname(int(fd))
	if err != nil {
		return ""
	}
	if su, ok := sa.(*unix.SockaddrUnix); ok {
		if len(su.Name) > 0 && su.Name[0] == 0 {
			return "@" + su.Name[1:]
		}
		return su.Name
	}
	return ""
}
