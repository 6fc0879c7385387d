package mdns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Port is the mDNS port.
const Port = 5353

var (
	group4 = netip.MustParseAddr("224.0.0.251")
	group6 = netip.MustParseAddr("ff02::fb")
)

// Config chooses where mDNS is spoken.
type Config struct {
	// Interfaces to join the mDNS groups on; nil means every interface
	// that is up and has the MULTICAST flag.
	Interfaces []net.Interface
	// NoIPv6 leaves IPv6 out. IPv6 is used where an interface has an
	// IPv6 address and the system allows it, and silently left out
	// otherwise.
	NoIPv6 bool
	// Logf reports dropped and malformed packets; nil discards.
	Logf func(format string, args ...any)
}

// Stats counts what a Responder or Browser received and did.
type Stats struct {
	Packets   atomic.Uint64 // packets read
	Malformed atomic.Uint64 // packets that did not parse
	Limited   atomic.Uint64 // packets dropped by the per-source rate limit
	Sent      atomic.Uint64 // packets sent
	CacheFull atomic.Uint64 // records not cached because the cache was full (Browser)
}

// conn is an IPv4 and, where possible, an IPv6 socket bound to port 5353
// of every address with SO_REUSEPORT (so that a system responder such as
// Avahi keeps working), joined to the mDNS group on each interface chosen.
// A socket bound to a unicast address would receive no multicast; the
// interface a packet arrived on comes from its control message.
type conn struct {
	ifaces []net.Interface
	addrs  map[int][]netip.Addr // by interface index, read when listening
	p4     *ipv4.PacketConn
	p6     *ipv6.PacketConn
	logf   func(string, ...any)
	stats  *Stats
	lim    limiter
	wg     sync.WaitGroup
	closed atomic.Bool
}

func multicastInterfaces() ([]net.Interface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []net.Interface
	for _, ifi := range all {
		if ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagMulticast != 0 {
			out = append(out, ifi)
		}
	}
	return out, nil
}

func listen(cfg Config, stats *Stats) (*conn, error) {
	ifaces := cfg.Interfaces
	if ifaces == nil {
		var err error
		if ifaces, err = multicastInterfaces(); err != nil {
			return nil, err
		}
	}
	if len(ifaces) == 0 {
		return nil, errors.New("mdns: no interface is up with multicast enabled")
	}
	c := &conn{ifaces: ifaces, logf: cfg.Logf, stats: stats, addrs: make(map[int][]netip.Addr)}
	for i := range ifaces {
		c.addrs[ifaces[i].Index] = readAddrs(&ifaces[i])
	}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	lc := net.ListenConfig{Control: reusePort}
	pc, err := lc.ListenPacket(context.Background(), "udp4", fmt.Sprintf("0.0.0.0:%d", Port))
	if err != nil {
		return nil, fmt.Errorf("mdns: %w", err)
	}
	c.p4 = ipv4.NewPacketConn(pc)
	joined := 0
	var jerr error
	for i := range ifaces {
		if err := c.p4.JoinGroup(&ifaces[i], &net.UDPAddr{IP: group4.AsSlice()}); err != nil {
			jerr = fmt.Errorf("mdns: joining %s on %s: %w", group4, ifaces[i].Name, err)
			continue
		}
		joined++
	}
	if joined == 0 {
		pc.Close()
		return nil, jerr
	}
	_ = c.p4.SetControlMessage(ipv4.FlagInterface|ipv4.FlagDst, true)
	_ = c.p4.SetMulticastTTL(255)
	_ = c.p4.SetMulticastLoopback(true)
	if !cfg.NoIPv6 {
		if pc6, err := lc.ListenPacket(context.Background(), "udp6", fmt.Sprintf("[::]:%d", Port)); err == nil {
			p6 := ipv6.NewPacketConn(pc6)
			n := 0
			for i := range ifaces {
				if hasIPv6(&ifaces[i]) && p6.JoinGroup(&ifaces[i], &net.UDPAddr{IP: group6.AsSlice()}) == nil {
					n++
				}
			}
			if n > 0 {
				_ = p6.SetControlMessage(ipv6.FlagInterface|ipv6.FlagDst, true)
				_ = p6.SetMulticastHopLimit(255)
				_ = p6.SetMulticastLoopback(true)
				c.p6 = p6
			} else {
				pc6.Close()
			}
		}
	}
	return c, nil
}

func hasIPv6(ifi *net.Interface) bool {
	as, _ := ifi.Addrs()
	for _, a := range as {
		if p, ok := a.(*net.IPNet); ok && p.IP.To4() == nil {
			return true
		}
	}
	return false
}

func (c *conn) chosen(ifIndex int) bool {
	for i := range c.ifaces {
		if c.ifaces[i].Index == ifIndex {
			return true
		}
	}
	return false
}

// serve reads packets until close, parses them and passes those from the
// chosen interfaces that the rate limit lets through to handle, one at a
// time.
func (c *conn) serve(handle func(m *Message, src netip.AddrPort, ifIndex int)) {
	var mu sync.Mutex // one handle at a time, whichever socket
	read := func(readFrom func([]byte) (int, int, net.Addr, error)) {
		defer c.wg.Done()
		buf := make([]byte, MaxPacket+1)
		for {
			n, ifIndex, from, err := readFrom(buf)
			if err != nil {
				if c.closed.Load() {
					return
				}
				c.logf("mdns: read: %v", err)
				continue
			}
			c.stats.Packets.Add(1)
			if !c.chosen(ifIndex) {
				continue
			}
			src := from.(*net.UDPAddr).AddrPort()
			src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
			if !c.lim.allow(src.Addr()) {
				c.stats.Limited.Add(1)
				continue
			}
			m, err := Parse(buf[:n])
			if err != nil {
				c.stats.Malformed.Add(1)
				c.logf("mdns: from %s: %v", src, err)
				continue
			}
			mu.Lock()
			handle(m, src, ifIndex)
			mu.Unlock()
		}
	}
	c.wg.Add(1)
	go read(func(b []byte) (int, int, net.Addr, error) {
		n, cm, from, err := c.p4.ReadFrom(b)
		if err != nil {
			return 0, 0, nil, err
		}
		return n, c.ifIndex(cm != nil, func() int { return cm.IfIndex }), from, nil
	})
	if c.p6 != nil {
		c.wg.Add(1)
		go read(func(b []byte) (int, int, net.Addr, error) {
			n, cm, from, err := c.p6.ReadFrom(b)
			if err != nil {
				return 0, 0, nil, err
			}
			return n, c.ifIndex(cm != nil, func() int { return cm.IfIndex }), from, nil
		})
	}
}

// ifIndex returns the interface a packet came in on, from its control
// message; where the system gives none (Windows), the first interface
// chosen stands for all.
func (c *conn) ifIndex(ok bool, index func() int) int {
	if ok {
		return index()
	}
	return c.ifaces[0].Index
}

// multicast sends b to the mDNS group of the family on the interface.
func (c *conn) multicast(b []byte, ifIndex int, v6 bool) {
	if v6 {
		if c.p6 == nil {
			return
		}
		_, err := c.p6.WriteTo(b, &ipv6.ControlMessage{IfIndex: ifIndex}, &net.UDPAddr{IP: group6.AsSlice(), Port: Port})
		c.sent(err)
		return
	}
	_, err := c.p4.WriteTo(b, &ipv4.ControlMessage{IfIndex: ifIndex}, &net.UDPAddr{IP: group4.AsSlice(), Port: Port})
	c.sent(err)
}

// unicast sends b to dst out of the interface.
func (c *conn) unicast(b []byte, dst netip.AddrPort, ifIndex int) {
	ua := net.UDPAddrFromAddrPort(dst)
	if dst.Addr().Is4() {
		_, err := c.p4.WriteTo(b, &ipv4.ControlMessage{IfIndex: ifIndex}, ua)
		c.sent(err)
	} else if c.p6 != nil {
		_, err := c.p6.WriteTo(b, &ipv6.ControlMessage{IfIndex: ifIndex}, ua)
		c.sent(err)
	}
}

func (c *conn) sent(err error) {
	if err != nil {
		if !c.closed.Load() {
			c.logf("mdns: send: %v", err)
		}
		return
	}
	c.stats.Sent.Add(1)
}

func (c *conn) close() error {
	c.closed.Store(true)
	err := c.p4.Close()
	if c.p6 != nil {
		c.p6.Close()
	}
	c.wg.Wait()
	return err
}

// interfaceAddrs returns the addresses to announce on an interface: IPv4
// ones, then IPv6 ones when v6. They are those the interface had when
// the sockets were opened.
func (c *conn) interfaceAddrs(ifIndex int, v6 bool) []netip.Addr {
	var out []netip.Addr
	for _, a := range c.addrs[ifIndex] {
		if a.Is4() || v6 {
			out = append(out, a)
		}
	}
	return out
}

// isLocal reports whether a is an address of one of the interfaces.
func (c *conn) isLocal(a netip.Addr) bool {
	for _, as := range c.addrs {
		for _, x := range as {
			if x == a {
				return true
			}
		}
	}
	return false
}

// readAddrs returns the addresses of an interface, IPv4 first.
func readAddrs(ifi *net.Interface) []netip.Addr {
	as, _ := ifi.Addrs()
	var v4s, v6s []netip.Addr
	for _, a := range as {
		p, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(p.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ip.Is4() {
			v4s = append(v4s, ip)
		} else {
			v6s = append(v6s, ip)
		}
	}
	return append(v4s, v6s...)
}

// limiter is a per-source token bucket: each source address may send
// rate packets a second with a burst of burst; the table of sources is
// bounded (it is cleared when full), so that one flooding peer neither
// starves the others nor grows memory.
type limiter struct {
	mu   sync.Mutex
	srcs map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   int64 // nanotime
}

const (
	limitRate    = 50.0 // packets a second per source
	limitBurst   = 100.0
	limitSources = 1024
)

func (l *limiter) allow(a netip.Addr) bool {
	now := nanotime()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srcs == nil || len(l.srcs) >= limitSources {
		l.srcs = make(map[netip.Addr]*bucket)
	}
	b := l.srcs[a]
	if b == nil {
		b = &bucket{tokens: limitBurst, last: now}
		l.srcs[a] = b
	}
	b.tokens = min(limitBurst, b.tokens+float64(now-b.last)/1e9*limitRate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// RouteInterface returns the interface the system routes IPv4 multicast
// for 224.0.0.251 through (no packet is sent): the one interface to
// announce on when announcing on several would have a peer hear the same
// service several times.
func RouteInterface() (net.Interface, error) {
	c, err := net.Dial("udp4", net.JoinHostPort(group4.String(), "5353"))
	if err != nil {
		return net.Interface{}, fmt.Errorf("mdns: no route for multicast: %w", err)
	}
	local, _ := netip.AddrFromSlice(c.LocalAddr().(*net.UDPAddr).IP)
	c.Close()
	local = local.Unmap()
	all, err := net.Interfaces()
	if err != nil {
		return net.Interface{}, err
	}
	for _, ifi := range all {
		if ifi.Flags&net.FlagMulticast == 0 || ifi.Flags&net.FlagUp == 0 {
			continue
		}
		// Routed through lo, the source is left unspecified: 127.0.0.1
		// may not be the source of a packet to other hosts.
		if local.IsUnspecified() && ifi.Flags&net.FlagLoopback != 0 {
			return ifi, nil
		}
		for _, a := range readAddrs(&ifi) {
			if a == local {
				return ifi, nil
			}
		}
	}
	return net.Interface{}, fmt.Errorf("mdns: multicast is routed from %s, an address of no interface that is up with multicast", local)
}
