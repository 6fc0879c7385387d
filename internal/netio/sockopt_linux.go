package netio

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rcvbufWarned makes the receive-buffer warning once per process.
var rcvbufWarned atomic.Bool

// setSocketOptions applies the buffer, multicast and GRO options of cfg,
// and asks for the drop count and (on wildcard binds) destination addresses.
func setSocketOptions(u *UDPConn, cfg *UDPConfig) error {
	var err error
	cerr := u.rc.Control(func(fd uintptr) {
		s := int(fd)
		if cfg.ReadBuffer > 0 {
			setRecvBuffer(s, cfg.ReadBuffer, cfg.Logger)
		}
		if cfg.WriteBuffer > 0 {
			if e := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, cfg.WriteBuffer); e != nil {
				if e = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_SNDBUF, cfg.WriteBuffer); e != nil {
					err = os.NewSyscallError("setsockopt SO_SNDBUF", e)
					return
				}
			}
		}
		if cfg.MulticastInterface != "" || cfg.MulticastTTL > 0 || cfg.DisableMulticastLoop {
			if err = setMulticastOptions(s, cfg); err != nil {
				return
			}
		}
		// Have the kernel report its count of datagrams dropped on this
		// socket (a full receive buffer, mostly) with the next one queued.
		// Kernels since 2.6.33 know the option; without it Drops stays 0.
		_ = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
		if cfg.GRO {
			if e := unix.SetsockoptInt(s, unix.SOL_UDP, unix.UDP_GRO, 1); e != nil {
				err = os.NewSyscallError("setsockopt UDP_GRO", e)
				return
			}
		}
		// On a wildcard bind, learn each datagram's destination address,
		// so that answers leave from the address the peer used.
		if u.laddr != nil && u.laddr.IP.IsUnspecified() && !u.raddr.IsValid() {
			var e error
			if socketFamily(s) == unix.AF_INET6 {
				e = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
			} else {
				e = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
			}
			cfg.pktinfo = e == nil
		}
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// setRecvBuffer requests n bytes of receive buffer, forcing past
// net.core.rmem_max when privileged, and warns once if the kernel grants
// less.
func setRecvBuffer(s, n int, log *slog.Logger) {
	if unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) != nil {
		_ = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF, n)
	}
	got, err := unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		return
	}
	got /= 2 // Linux reports twice the usable size it set aside
	if got < n && rcvbufWarned.CompareAndSwap(false, true) {
		log.Warn("netio: UDP receive buffer smaller than requested; bursts may be dropped",
			"requested", n, "granted", got,
			"hint", "raise the limit with sysctl -w net.core.rmem_max="+strconv.Itoa(n)+" or run with CAP_NET_ADMIN")
	}
}

func socketFamily(s int) int {
	f, err := unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return 0
	}
	return f
}

func ifIndex(name string) (int, error) {
	if name == "" {
		return 0, nil
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}

func setMulticastOptions(s int, cfg *UDPConfig) error {
	idx, err := ifIndex(cfg.MulticastInterface)
	if err != nil {
		return err
	}
	loop := 1
	if cfg.DisableMulticastLoop {
		loop = 0
	}
	fam := socketFamily(s)
	var errs []error
	set := func(what string, e error) {
		if e != nil {
			errs = append(errs, os.NewSyscallError("setsockopt "+what, e))
		}
	}
	// IPv4 options also work on dual-stack IPv6 sockets; on those, errors
	// from the IPv4 level are ignored.
	v4 := func(what string, e error) {
		if fam == unix.AF_INET {
			set(what, e)
		}
	}
	if idx != 0 {
		v4("IP_MULTICAST_IF", unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(idx)}))
	}
	if cfg.MulticastTTL > 0 {
		v4("IP_MULTICAST_TTL", unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, cfg.MulticastTTL))
	}
	v4("IP_MULTICAST_LOOP", unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, loop))
	if fam == unix.AF_INET6 {
		if idx != 0 {
			set("IPV6_MULTICAST_IF", unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, idx))
		}
		if cfg.MulticastTTL > 0 {
			set("IPV6_MULTICAST_HOPS", unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, cfg.MulticastTTL))
		}
		set("IPV6_MULTICAST_LOOP", unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, loop))
	}
	return errors.Join(errs...)
}

// controlReusePort sets SO_REUSEPORT before bind.
func controlReusePort(_, _ string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); cerr != nil {
		return cerr
	}
	return os.NewSyscallError("setsockopt SO_REUSEPORT", err)
}

// listenMulticast binds to group g's port and joins g. Package net binds a
// multicast address to the wildcard address of its family, so datagrams sent
// to other groups joined on the same port, or unicast to it, arrive too.
func listenMulticast(network string, g netip.Addr, port string, cfg *UDPConfig) (*net.UDPConn, error) {
	if g.Is4() {
		if network == "udp6" {
			return nil, errAddrFamily
		}
		network = "udp4"
	} else {
		if network == "udp4" {
			return nil, errAddrFamily
		}
		network = "udp6"
	}
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			if err == nil && cfg.ReusePort {
				err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			}
		}); cerr != nil {
			return cerr
		}
		return os.NewSyscallError("setsockopt", err)
	}}
	host := g.String()
	if g.Is6() && cfg.MulticastInterface != "" && (g.IsLinkLocalMulticast() || g.IsInterfaceLocalMulticast()) {
		host += "%" + cfg.MulticastInterface
	}
	pc, err := lc.ListenPacket(context.Background(), network, net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	c := pc.(*net.UDPConn)
	rc, err := c.SyscallConn()
	if err == nil {
		err = joinGroup(rc, g, cfg.MulticastInterface, true)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func joinGroup(rc syscall.RawConn, g netip.Addr, ifname string, join bool) error {
	idx, err := ifIndex(ifname)
	if err != nil {
		return err
	}
	if !g.IsMulticast() {
		return errors.New("netio: " + g.String() + " is not a multicast group")
	}
	cerr := rc.Control(func(fd uintptr) {
		s := int(fd)
		if g.Is4() {
			opt := unix.IP_ADD_MEMBERSHIP
			if !join {
				opt = unix.IP_DROP_MEMBERSHIP
			}
			err = unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, opt, &unix.IPMreqn{Multiaddr: g.As4(), Ifindex: int32(idx)})
		} else {
			opt := unix.IPV6_JOIN_GROUP
			if !join {
				opt = unix.IPV6_LEAVE_GROUP
			}
			err = unix.SetsockoptIPv6Mreq(s, unix.IPPROTO_IPV6, opt, &unix.IPv6Mreq{Multiaddr: g.As16(), Interface: uint32(idx)})
		}
		err = os.NewSyscallError("setsockopt multicast membership", err)
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// skMeminfoDrops and skMeminfoVars index the SO_MEMINFO array
// (linux/sock_diag.h): its DROPS entry is the count SO_RXQ_OVFL reports.
const (
	skMeminfoDrops = 8
	skMeminfoVars  = 9
)

// socketDrops returns the socket's drop count as the kernel keeps it now.
func socketDrops(rc syscall.RawConn) (uint32, bool) {
	var v [skMeminfoVars]uint32
	ok := false
	if rc.Control(func(fd uintptr) {
		l := uint32(unsafe.Sizeof(v))
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&v[0])), uintptr(unsafe.Pointer(&l)), 0)
		ok = e == 0 && l > skMeminfoDrops*4
	}) != nil {
		return 0, false
	}
	return v[skMeminfoDrops], ok
}
