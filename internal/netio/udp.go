package netio

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"
)

// Defaults of UDPConfig.
const (
	DefaultBatch      = 64
	defaultBufSize    = 65536   // any UDP datagram fits
	DefaultReadBuffer = 4 << 20 // SO_RCVBUF request
	maxBatch          = 1024
)

// UDPConfig configures a UDPConn (and the datagram side of a UnixConn).
// The zero value is usable.
type UDPConfig struct {
	// Batch is the number of datagrams one ReadBatch or WriteBatch system
	// call may move (recvmmsg/sendmmsg on Linux). Default 64, at most 1024.
	Batch int
	// BufSize is the size of each receive buffer. Larger datagrams are
	// reported with Packet.Truncated. Default 65536 (no UDP datagram is
	// truncated); the conn keeps Batch buffers of this size.
	BufSize int
	// ReadBuffer is the socket receive buffer (SO_RCVBUF) to request.
	// Default 4 MiB; negative leaves the kernel default. On Linux
	// SO_RCVBUFFORCE is tried first (it works with CAP_NET_ADMIN), and a
	// one-time warning is logged when the kernel grants less (raise
	// net.core.rmem_max).
	ReadBuffer int
	// WriteBuffer is the socket send buffer (SO_SNDBUF); 0 leaves the
	// kernel default.
	WriteBuffer int
	// ReusePort sets SO_REUSEPORT before binding (Linux and other unix
	// systems), so several sockets can share a port.
	ReusePort bool
	// MulticastInterface names the interface ("lo", "eth0") used to join
	// multicast groups and to send multicast; "" lets the kernel choose.
	MulticastInterface string
	// MulticastTTL is the hop limit of sent multicast datagrams; 0 leaves
	// the kernel default (1).
	MulticastTTL int
	// DisableMulticastLoop turns off local delivery of multicast datagrams
	// this socket sends (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP). The kernel
	// default, kept when false, is on. Linux only; elsewhere
	// multicast listeners have loopback off, as in package net.
	DisableMulticastLoop bool
	// GRO enables UDP generic receive offload (Linux): the kernel may hand
	// over several datagrams of one sender in one buffer, which ReadBatch
	// splits back into Packets. It pays off only with senders that use GSO.
	GRO bool
	// Logger receives the one-time receive-buffer warning; nil means
	// slog.Default().
	Logger *slog.Logger
	// NoWait makes WriteTo and WriteToFrom never wait (Linux): a datagram
	// the socket cannot take at once, because its send buffer or (UNIX)
	// the peer's queue is full, is dropped and ErrWouldBlock returned. A
	// server answering many peers from one socket sets it, so that one
	// peer that does not read can never hold up the others.
	NoWait bool

	pktinfo bool // set for a wildcard bind on Linux: Packet.Local is filled
}

func (cfg *UDPConfig) normalize() {
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	cfg.Batch = min(cfg.Batch, maxBatch)
	if cfg.BufSize <= 0 {
		cfg.BufSize = defaultBufSize
	}
	if cfg.ReadBuffer == 0 {
		cfg.ReadBuffer = DefaultReadBuffer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
}

// mmsgDisabled reports the OSC_DISABLE_MMSG=1 kill switch.
func mmsgDisabled() bool { return os.Getenv("OSC_DISABLE_MMSG") == "1" }

// ErrConnected is returned by WriteTo on a dialed conn for a destination
// other than its peer.
var ErrConnected = errors.New("netio: conn is connected to another peer")

// UDPConn is a UDP socket with batched, allocation-free reads and writes.
//
// One goroutine may call ReadBatch while others call WriteTo, WriteBatch or
// WriteSegments; calls of ReadBatch are serialised with each other. Each
// datagram is written whole, but a WriteTo may land between the datagrams
// of another goroutine's WriteBatch or WriteSegments. Close unblocks a pending ReadBatch, which then returns an error
// matching net.ErrClosed. Read deadlines work as with net.UDPConn
// (os.ErrDeadlineExceeded).
//
// On Linux, a conn from ListenUDP or DialUDP hands its socket to package
// net, and with it to the runtime's poller, only when a call needs the
// poller: a read in the default mode, a write that has to wait for room, a
// deadline. Until then writes go to the socket with MSG_DONTWAIT, and in
// blocking mode (SetBlocking) that may be for good: each datagram reaching
// a socket in the poller's epoll set wakes the thread waiting there, some
// tenths of a microsecond of a loopback round trip.
type UDPConn struct {
	dgramConn
	c     *net.UDPConn // package net's conn; nil for a lazy socket
	lazy  *lazySocket  // Linux: a socket package net gets only when needed
	laddr *net.UDPAddr
	cfg   UDPConfig
	raddr netip.AddrPort // peer of a dialed conn
}

// ListenUDP opens a UDP socket bound to addr ("host:port", ":port") on
// network "udp", "udp4" or "udp6". If the host is a multicast group, the
// socket is bound to the group's port on all addresses of its family, with
// SO_REUSEADDR, and joins the group on cfg.MulticastInterface.
func ListenUDP(network, addr string, cfg UDPConfig) (*UDPConn, error) {
	cfg.normalize()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if g, err := netip.ParseAddr(host); err == nil && g.IsMulticast() {
		c, err := listenMulticast(network, g, port, &cfg)
		if err != nil {
			return nil, err
		}
		return newUDPConn(c, cfg)
	}
	if lazyUDP() {
		s, la, err := openUDP(network, addr, false, cfg.ReusePort)
		if err != nil {
			return nil, err
		}
		return newLazyUDPConn(s, la, netip.AddrPort{}, cfg)
	}
	lc := net.ListenConfig{}
	if cfg.ReusePort {
		lc.Control = controlReusePort
	}
	pc, err := lc.ListenPacket(context.Background(), network, addr)
	if err != nil {
		return nil, err
	}
	return newUDPConn(pc.(*net.UDPConn), cfg)
}

// DialUDP opens a UDP socket connected to raddr: Write sends to it and
// ReadBatch receives only its datagrams. The local address is chosen by the
// kernel.
func DialUDP(network, raddr string, cfg UDPConfig) (*UDPConn, error) {
	cfg.normalize()
	if lazyUDP() {
		s, la, err := openUDP(network, raddr, true, false)
		if err != nil {
			return nil, err
		}
		ra, err := connectedPeer(s)
		if err != nil {
			s.close()
			return nil, err
		}
		return newLazyUDPConn(s, la, ra, cfg)
	}
	c, err := net.Dial(network, raddr)
	if err != nil {
		return nil, err
	}
	return newUDPConn(c.(*net.UDPConn), cfg)
}

// NewUDPConn adopts c (for example a socket inherited from systemd), applying
// the buffer and multicast options of cfg. The UDPConn owns c from then on.
func NewUDPConn(c *net.UDPConn, cfg UDPConfig) (*UDPConn, error) {
	cfg.normalize()
	return newUDPConn(c, cfg)
}

func newUDPConn(c *net.UDPConn, cfg UDPConfig) (*UDPConn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	u := &UDPConn{dgramConn: dgramConn{rc: rc, udp: c}, c: c}
	u.laddr, _ = c.LocalAddr().(*net.UDPAddr)
	if ra, ok := c.RemoteAddr().(*net.UDPAddr); ok && ra != nil {
		ap := ra.AddrPort()
		u.raddr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if err := u.init(cfg); err != nil {
		c.Close()
		return nil, err
	}
	return u, nil
}

// newLazyUDPConn is newUDPConn for a socket package net does not have yet.
func newLazyUDPConn(s *lazySocket, laddr *net.UDPAddr, raddr netip.AddrPort, cfg UDPConfig) (*UDPConn, error) {
	u := &UDPConn{dgramConn: dgramConn{rc: s}, lazy: s, laddr: laddr, raddr: raddr}
	if err := u.init(cfg); err != nil {
		s.close()
		return nil, err
	}
	if u.bio == nil {
		// recvmmsg was switched off (OSC_DISABLE_MMSG) after ListenUDP
		// looked: the single reads go through package net.
		nc, err := s.netConn()
		if err != nil {
			s.close()
			return nil, err
		}
		u.udp = nc
	}
	attachLazy(u.bio, s)
	return u, nil
}

// init applies cfg's socket options and sets up the read side.
func (c *UDPConn) init(cfg UDPConfig) error {
	if err := setSocketOptions(c, &cfg); err != nil {
		return err
	}
	c.cfg = cfg
	if err := c.initRead(&cfg); err != nil {
		return err
	}
	if c.bio != nil {
		c.bio.setPeer(c.raddr)
	}
	return nil
}

// netConn returns package net's conn for the socket; a lazy socket is
// registered with the runtime's poller from then on.
func (c *UDPConn) netConn() (*net.UDPConn, error) {
	if c.lazy != nil {
		return c.lazy.netConn()
	}
	return c.c, nil
}

// ReadBatch waits for at least one datagram and fills dst with as many as
// are queued, up to len(dst) (and the configured Batch per system call). It
// returns the number of Packets filled. See Packet's # Lifetime section:
// the Packets are valid until the next ReadBatch.
//
// Off Linux (or with OSC_DISABLE_MMSG=1) it returns one datagram per call.
// Errors other than net.ErrClosed and timeouts may be transient (for example
// ECONNREFUSED on a dialed conn after an ICMP error) and reading may go on.
func (c *UDPConn) ReadBatch(dst []Packet) (int, error) { return c.readBatch(dst) }

// WriteTo sends one datagram to to. On a dialed conn, to must be its peer
// or the zero AddrPort.
func (c *UDPConn) WriteTo(pkt []byte, to netip.AddrPort) (int, error) {
	if c.bio != nil && (c.raddr.IsValid() || to.IsValid()) {
		if c.raddr.IsValid() {
			if to.IsValid() && to != c.raddr {
				return 0, ErrConnected
			}
			to = netip.AddrPort{}
		}
		if n, done, err := c.bio.sendOneDirect(pkt, to); done {
			return n, err
		}
	}
	if !c.batchWrites() {
		return c.writeNet(pkt, to) // package net serialises its own writes
	}
	c.wmu.Lock()
	n, err := c.writeBatched(pkt, to)
	c.wmu.Unlock()
	return n, err
}

// batchWrites reports whether single writes go through the batch state:
// when the conn must not wait (NoWait), is in blocking mode (SetBlocking),
// or its socket is not in the poller yet. Otherwise they go through package
// net, which waits in the poller, with write deadlines.
func (c *UDPConn) batchWrites() bool {
	return c.bio != nil && (c.cfg.NoWait || c.bio.directMode())
}

// writeLocked is WriteTo with the write lock held.
func (c *UDPConn) writeLocked(pkt []byte, to netip.AddrPort) (int, error) {
	if c.batchWrites() {
		return c.writeBatched(pkt, to)
	}
	return c.writeNet(pkt, to)
}

// writeBatched sends one datagram through the batch state; the write lock
// is held.
func (c *UDPConn) writeBatched(pkt []byte, to netip.AddrPort) (int, error) {
	if c.raddr.IsValid() {
		if to.IsValid() && to != c.raddr {
			return 0, ErrConnected
		}
		return c.bio.write(pkt)
	}
	return c.bio.writeTo(pkt, to)
}

// writeNet sends one datagram through package net.
func (c *UDPConn) writeNet(pkt []byte, to netip.AddrPort) (int, error) {
	nc, err := c.netConn()
	if err != nil {
		return 0, err
	}
	if c.raddr.IsValid() {
		if to.IsValid() && to != c.raddr {
			return 0, ErrConnected
		}
		return nc.Write(pkt)
	}
	return nc.WriteToUDPAddrPort(pkt, to)
}

// WriteToFrom is WriteTo with the datagram's source address set to from,
// normally the Packet.Local of the datagram being answered. On a socket
// bound to a wildcard address (0.0.0.0 or ::) of a host with several
// addresses, the kernel would otherwise pick the source by route, and a
// peer that sent to another of the host's addresses (a connected socket, a
// firewall) would drop the answer. With an invalid from, on a dialed conn,
// or off Linux it is WriteTo.
func (c *UDPConn) WriteToFrom(pkt []byte, to netip.AddrPort, from netip.Addr) (int, error) {
	if !from.IsValid() || c.bio == nil || c.raddr.IsValid() || !c.cfg.pktinfo {
		return c.WriteTo(pkt, to)
	}
	c.wmu.Lock()
	n, err := c.bio.writeFrom(pkt, to, from)
	c.wmu.Unlock()
	return n, err
}

// Write sends one datagram to the peer of a dialed conn.
func (c *UDPConn) Write(pkt []byte) (int, error) { return c.WriteTo(pkt, netip.AddrPort{}) }

// WriteBatch sends pkts, in order, with as few system calls as possible
// (sendmmsg on Linux, one write per packet elsewhere). It returns the number
// of packets sent; if that is less than len(pkts), err says why.
func (c *UDPConn) WriteBatch(pkts []OutPacket) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.bio != nil {
		return c.bio.writeBatch(pkts, c.raddr.IsValid())
	}
	for i := range pkts {
		if _, err := c.writeLocked(pkts[i].Data, pkts[i].Addr); err != nil {
			return i, err
		}
	}
	return len(pkts), nil
}

// WriteSegments sends data as consecutive datagrams of segSize bytes (the
// last may be shorter) to to. On Linux it uses UDP generic segmentation
// offload (UDP_SEGMENT), handing the kernel up to 64 datagrams per system
// call; if the kernel or the route refuses GSO it falls back, for the
// conn's lifetime, to one datagram per call. It is meant for load generators
// and benchmarks. It returns the number of bytes of data sent.
func (c *UDPConn) WriteSegments(data []byte, segSize int, to netip.AddrPort) (int, error) {
	if segSize <= 0 {
		return 0, errors.New("netio: segment size must be positive")
	}
	c.wmu.Lock()
	var n int
	var err error
	if c.bio != nil && !c.bio.gsoOff {
		n, err = c.bio.writeSegments(data, segSize, to, c.raddr.IsValid())
	}
	for err == nil && n < len(data) {
		end := min(n+segSize, len(data))
		if _, err = c.writeLocked(data[n:end], to); err == nil {
			n = end
		}
	}
	c.wmu.Unlock()
	return n, err
}

// LocalAddr returns the local address (a *net.UDPAddr).
func (c *UDPConn) LocalAddr() net.Addr {
	if c.laddr == nil {
		return nil
	}
	return c.laddr
}

// LocalAddrPort returns the local address as a netip.AddrPort.
func (c *UDPConn) LocalAddrPort() netip.AddrPort {
	if c.laddr == nil {
		return netip.AddrPort{}
	}
	return c.laddr.AddrPort()
}

// RemoteAddr returns the peer of a dialed conn, or the zero AddrPort.
func (c *UDPConn) RemoteAddr() netip.AddrPort { return c.raddr }

// Drops returns the number of datagrams the kernel dropped on this socket
// since it was opened, almost always because its receive buffer was full:
// the reader did not keep up (raise UDPConfig.ReadBuffer, read faster, or
// hand work to other goroutines). The count never decreases. The kernel
// reports it with each datagram that arrives after a loss (SO_RXQ_OVFL), and
// Drops also asks the socket for its current count (SO_MEMINFO), so losses
// at the end of a burst are counted without waiting for another datagram.
// Close takes a last count, which Drops keeps returning. Any goroutine may
// call it. Linux only; elsewhere it returns 0.
func (c *UDPConn) Drops() uint64 {
	if v, ok := socketDrops(c.rc); ok {
		c.drops.see(v)
	}
	return c.drops.load()
}

// batched reports whether reads and writes use recvmmsg/sendmmsg.
func (c *UDPConn) batched() bool { return c.bio != nil }

// SetReadDeadline sets the deadline of ReadBatch.
func (c *UDPConn) SetReadDeadline(t time.Time) error {
	return c.setDeadline(t, (*net.UDPConn).SetReadDeadline)
}

// SetWriteDeadline sets the deadline of the write methods.
func (c *UDPConn) SetWriteDeadline(t time.Time) error {
	return c.setDeadline(t, (*net.UDPConn).SetWriteDeadline)
}

// SetDeadline sets both deadlines.
func (c *UDPConn) SetDeadline(t time.Time) error {
	return c.setDeadline(t, (*net.UDPConn).SetDeadline)
}

// setDeadline sets a deadline through package net. A lazy socket that
// package net does not have yet has no deadlines: clearing one changes
// nothing, and setting one hands the socket to package net.
func (c *UDPConn) setDeadline(t time.Time, set func(*net.UDPConn, time.Time) error) error {
	if t.IsZero() && c.lazy != nil && !c.lazy.registered() {
		if c.lazy.isClosed() {
			return net.ErrClosed
		}
		return nil
	}
	nc, err := c.netConn()
	if err != nil {
		return err
	}
	return set(nc, t)
}

// JoinGroup joins multicast group g on the named interface ("" lets the
// kernel choose). Linux only; elsewhere it returns errors.ErrUnsupported
// (listen on the group address instead).
func (c *UDPConn) JoinGroup(g netip.Addr, ifname string) error {
	return joinGroup(c.rc, g, ifname, true)
}

// LeaveGroup leaves a group joined with JoinGroup.
func (c *UDPConn) LeaveGroup(g netip.Addr, ifname string) error {
	return joinGroup(c.rc, g, ifname, false)
}

// SetBlocking makes ReadBatch wait for datagrams in a blocking system call
// on the calling goroutine's thread (on), instead of parking the goroutine
// in the runtime's poller (off, the default). A message that has to be
// waited for is then seen some microseconds sooner (one system call where
// the poller makes three, and no goroutine wake-up): about a third of a
// round trip on loopback. Read deadlines do not apply to a blocking wait;
// Close ends it. While the mode is on, writes too call the kernel
// directly, without the poller's bookkeeping; those of a conn with NoWait
// still never wait, the others wait for room in the kernel rather than in
// the poller, where write deadlines do not apply. A socket in blocking mode
// stays out of the runtime's poller unless a deadline is set (see UDPConn).
// Linux only (with recvmmsg); elsewhere it does nothing.
func (c *UDPConn) SetBlocking(on bool) error {
	if c.bio == nil {
		return nil
	}
	c.rmu.Lock()
	err := c.bio.setBlocking(on)
	c.rmu.Unlock()
	return err
}

// Close closes the socket; a pending ReadBatch returns net.ErrClosed.
func (c *UDPConn) Close() error {
	c.Drops() // the last count, while the socket can still be asked
	if c.bio != nil {
		c.bio.shutdown()
	}
	if c.lazy != nil {
		return c.lazy.close()
	}
	return c.c.Close()
}
