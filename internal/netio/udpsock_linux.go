package netio

import (
	"context"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// lazySocket is a UDP socket that package net, and with it the runtime's
// poller, is given only when a caller needs it: a read or a write that has
// to wait in the poller, or a deadline. Until then the conn calls the
// kernel on the descriptor directly (blocking mode's reads, and writes
// with MSG_DONTWAIT), and it may never be needed: a server endpoint in
// blocking mode, a client that waits for replies without a deadline.
//
// A socket registered with the poller costs every datagram that reaches it
// a wake-up of the thread waiting in epoll, if one waits, even when no
// goroutine waits for the socket: on one CPU, some 0.2-0.3 us of a
// loopback round trip per side (bench/README.md, "Round trip").
//
// lazySocket is the conn's syscall.RawConn. Control runs on the socket's
// own descriptor, which stays open until close; Read and Write register the
// socket (through a duplicate descriptor that package net owns) and go
// through package net's RawConn.
type lazySocket struct {
	fd int

	mu     sync.RWMutex // Control and register hold it for reading, close for writing
	closed atomic.Bool  // set by close, with mu held

	regMu   sync.Mutex
	reg     atomic.Pointer[registered] // nil until package net has the socket
	cleanup runtime.Cleanup            // closes fd if the conn is dropped unclosed
}

// registered is package net's side of a lazySocket.
type registered struct {
	conn *net.UDPConn
	rc   syscall.RawConn
}

// openUDP opens a UDP socket, bound to addr (dial false) or connected to it,
// the way package net's ListenPacket and Dial do for network "udp", "udp4"
// or "udp6" (the address family, dual-stack wildcard binds, SO_BROADCAST,
// a dial trying the host's addresses in the resolver's order), but without
// registering it with the poller. It returns the local address too.
func openUDP(network, addr string, dial, reusePort bool) (*lazySocket, *net.UDPAddr, error) {
	op := "listen"
	if dial {
		op = "dial"
	}
	var targets []*net.UDPAddr
	if dial {
		var err error
		if targets, err = dialTargets(network, addr); err != nil {
			return nil, nil, &net.OpError{Op: op, Net: network, Err: err}
		}
	} else {
		a, err := net.ResolveUDPAddr(network, addr)
		if err != nil {
			return nil, nil, &net.OpError{Op: op, Net: network, Err: err}
		}
		targets = []*net.UDPAddr{a}
	}
	var first error
	for _, a := range targets {
		s, la, err := openOne(op, network, a, dial, reusePort)
		if err == nil {
			return s, la, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, nil, first
}

// dialTargets resolves a dial's "host:port" to the addresses package net's
// Dial would try, in the same order: the resolver's, filtered by network's
// family. An empty host is the local system.
func dialTargets(network, addr string) ([]*net.UDPAddr, error) {
	host, service, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := net.LookupPort("udp", service)
	if err != nil {
		return nil, err
	}
	if host == "" {
		return []*net.UDPAddr{{Port: port}}, nil
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		want := map[string]string{"udp": "ip", "udp4": "ip4", "udp6": "ip6"}[network]
		if want == "" {
			return nil, net.UnknownNetworkError(network)
		}
		if ips, err = net.DefaultResolver.LookupNetIP(context.Background(), want, host); err != nil {
			return nil, err
		}
	}
	var out []*net.UDPAddr
	for _, ip := range ips {
		if v4 := ip.Unmap().Is4(); (network == "udp4" && !v4) || (network == "udp6" && v4) {
			continue
		}
		out = append(out, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
	}
	if len(out) == 0 {
		return nil, &net.AddrError{Err: "no suitable address found", Addr: host}
	}
	return out, nil
}

// openOne opens the socket of openUDP for one address.
func openOne(op, network string, a *net.UDPAddr, dial, reusePort bool) (*lazySocket, *net.UDPAddr, error) {
	ip, _ := netip.AddrFromSlice(a.IP)
	ip = ip.Unmap()
	fail := func(call string, e error) error {
		return &net.OpError{Op: op, Net: network, Addr: a, Err: os.NewSyscallError(call, e)}
	}
	family, v6only := unix.AF_INET6, false
	switch {
	case network == "udp4":
		family = unix.AF_INET
	case network == "udp6":
		v6only = true
	case !dial && (!ip.IsValid() || ip.IsUnspecified()):
		// A wildcard bind takes both families where the system has IPv6.
	case !ip.IsValid() || ip.Is4():
		// A dial to no host reaches the local system over IPv4.
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err == unix.EAFNOSUPPORT && family == unix.AF_INET6 && network == "udp" && (!ip.IsValid() || ip.IsUnspecified()) {
		family = unix.AF_INET // no IPv6 here
		fd, err = unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	}
	if err != nil {
		return nil, nil, fail("socket", err)
	}
	setup := func() error {
		if family == unix.AF_INET6 {
			// As package net: some systems never admit the option.
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, boolInt(v6only))
		}
		if e := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); e != nil {
			return fail("setsockopt", e)
		}
		if reusePort {
			if e := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); e != nil {
				return fail("setsockopt SO_REUSEPORT", e)
			}
		}
		sa, e := sockaddrOf(family, ip, a.Port, a.Zone)
		if e != nil {
			return &net.OpError{Op: op, Net: network, Addr: a, Err: e}
		}
		if dial {
			if e := unix.Connect(fd, sa); e != nil {
				return fail("connect", e)
			}
		} else if e := unix.Bind(fd, sa); e != nil {
			return fail("bind", e)
		}
		return nil
	}
	if err := setup(); err != nil {
		unix.Close(fd)
		return nil, nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, nil, fail("getsockname", err)
	}
	s := &lazySocket{fd: fd}
	// A conn dropped without Close still releases its descriptor, as
	// package net's do.
	s.cleanup = runtime.AddCleanup(s, closeFD, fd)
	return s, udpAddrOf(sa), nil
}

func closeFD(fd int) { unix.Close(fd) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sockaddrOf is the sockaddr of family for ip (invalid: the wildcard) and
// port.
func sockaddrOf(family int, ip netip.Addr, port int, zone string) (unix.Sockaddr, error) {
	if family == unix.AF_INET {
		sa := &unix.SockaddrInet4{Port: port}
		if ip.IsValid() {
			if !ip.Is4() {
				return nil, errAddrFamily
			}
			sa.Addr = ip.As4()
		}
		return sa, nil
	}
	sa := &unix.SockaddrInet6{Port: port, ZoneId: zoneIndex(zone)}
	if ip.IsValid() && !(ip.Is4() && ip.IsUnspecified()) {
		sa.Addr = ip.As16() // IPv4-mapped for an IPv4 address
	}
	return sa, nil
}

// udpAddrOf converts a sockaddr from getsockname.
func udpAddrOf(sa unix.Sockaddr) *net.UDPAddr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.UDPAddr{IP: append(net.IP(nil), sa.Addr[:]...), Port: sa.Port}
	case *unix.SockaddrInet6:
		a := &net.UDPAddr{IP: append(net.IP(nil), sa.Addr[:]...), Port: sa.Port}
		if sa.ZoneId != 0 {
			a.Zone = strconv.FormatUint(uint64(sa.ZoneId), 10)
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a.Zone = ifi.Name
			}
		}
		return a
	}
	return &net.UDPAddr{}
}

// Control runs f on the socket's descriptor; after close it fails with
// net.ErrClosed.
func (s *lazySocket) Control(f func(fd uintptr)) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return net.ErrClosed
	}
	f(uintptr(s.fd))
	return nil
}

// Read registers the socket and reads through package net's RawConn.
func (s *lazySocket) Read(f func(fd uintptr) bool) error {
	r, err := s.register()
	if err != nil {
		return err
	}
	return r.rc.Read(f)
}

// Write registers the socket and writes through package net's RawConn.
func (s *lazySocket) Write(f func(fd uintptr) bool) error {
	r, err := s.register()
	if err != nil {
		return err
	}
	return r.rc.Write(f)
}

// registered reports whether package net has the socket.
func (s *lazySocket) registered() bool { return s.reg.Load() != nil }

// isClosed reports whether close ran.
func (s *lazySocket) isClosed() bool { return s.closed.Load() }

// netConn returns package net's conn for the socket, registering it.
func (s *lazySocket) netConn() (*net.UDPConn, error) {
	r, err := s.register()
	if err != nil {
		return nil, err
	}
	return r.conn, nil
}

// register hands package net a duplicate of the descriptor, once. The
// socket is opened non-blocking, as package net opens its own; package net
// makes it non-blocking again (the flag belongs to the socket, not to the
// descriptor), and register puts back the mode the socket was in, so that
// blocking mode (SetBlocking) survives it. It excludes Control meanwhile,
// so that no SetBlocking changes the mode between the reading and the
// putting back. Package net keeps its own duplicate (os.NewFile's, made
// here, is closed at once): a registered socket has two descriptors.
func (s *lazySocket) register() (*registered, error) {
	if r := s.reg.Load(); r != nil {
		return r, nil
	}
	s.regMu.Lock()
	defer s.regMu.Unlock()
	if r := s.reg.Load(); r != nil {
		return r, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, net.ErrClosed
	}
	flags, err := unix.FcntlInt(uintptr(s.fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	dup, err := unix.FcntlInt(uintptr(s.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(dup), "udp")
	pc, err := net.FilePacketConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	conn, ok := pc.(*net.UDPConn)
	if !ok {
		pc.Close()
		return nil, os.NewSyscallError("socket", unix.EPROTOTYPE)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, err
	}
	if flags&unix.O_NONBLOCK == 0 {
		if err := unix.SetNonblock(s.fd, false); err != nil {
			conn.Close()
			return nil, os.NewSyscallError("fcntl", err)
		}
	}
	r := &registered{conn: conn, rc: rc}
	s.reg.Store(r)
	return r, nil
}

// close closes package net's conn, if it has one, and the descriptor.
// Direct calls on the descriptor must have ended (batchIO.shutdown).
func (s *lazySocket) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return net.ErrClosed
	}
	s.closed.Store(true)
	s.cleanup.Stop()
	var err error
	if r := s.reg.Load(); r != nil {
		err = r.conn.Close()
	}
	if e := unix.Close(s.fd); e != nil && err == nil {
		err = os.NewSyscallError("close", e)
	}
	return err
}

// lazyUDP reports whether ListenUDP and DialUDP open lazySockets: with
// recvmmsg, whose direct calls they need.
func lazyUDP() bool { return !mmsgDisabled() }

// attachLazy tells the batch state of a lazy socket's conn to write to the
// descriptor directly while package net does not have the socket.
func attachLazy(b *batchIO, s *lazySocket) {
	if b != nil {
		b.lazy = s
	}
}

// connectedPeer is the peer of a connected lazy socket.
func connectedPeer(s *lazySocket) (netip.AddrPort, error) {
	sa, err := unix.Getpeername(s.fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getpeername", err)
	}
	ap := udpAddrOf(sa).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
