//go:build linux

package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
	"unsafe"

	osc "github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
	"golang.org/x/sys/unix"
)

// BenchmarkRoundTripParts splits osckit-block's round trip over goraw's
// (rawPinger) by side and by layer: each pair below has one side of
// goraw's, the raw pinger (send and recvfrom on a connected socket) or the
// raw echo (recvmmsg and sendmmsg), and one of osckit's, all waiting in
// blocking system calls. The pairs run interleaved in blocks of rttBlock
// round trips, as in BenchmarkRoundTripRatio, and each reports its p50 and
// its p50 over goraw's:
//
//	goraw         raw pinger, raw echo
//	server-netio  raw pinger, a netio.UDPConn echo (ReadBatch, WriteTo)
//	server-osc    raw pinger, osckit-block's osc.Server
//	client-netio  a dialed netio.UDPConn (Write, ReadBatch), raw echo
//	client-osc    osckit-block's Client (Write, Receive, ParseArgs), raw echo
//	osckit-block  Client and Server
//
// Run it pinned to one CPU (taskset -c 0) to compare its figures with
// BenchmarkRoundTripRatio's cpus=same.
func BenchmarkRoundTripParts(b *testing.B) {
	names := []string{"goraw", "server-netio", "server-osc", "client-netio", "client-osc", "osckit-block"}
	ps := make([]pinger, len(names))
	hs := make([]latencyHist, len(names))
	for i, name := range names {
		ps[i] = partsPinger(b, name)
		defer ps[i].close()
		if n := ps[i].ping(make([]time.Duration, rttWarmup)); n != rttWarmup {
			ps[i].fail(b, name+" warm-up", n, rttWarmup)
		}
	}
	rtt := make([]time.Duration, rttBlock)
	for b.Loop() {
		for k := range 2 * len(ps) {
			i := k
			if k >= len(ps) {
				i = 2*len(ps) - 1 - k
			}
			if n := ps[i].ping(rtt); n != len(rtt) {
				ps[i].fail(b, names[i], n, len(rtt))
			}
			for _, d := range rtt {
				hs[i].record(d)
			}
		}
	}
	base := float64(hs[0].quantile(0.5))
	for i, name := range names {
		b.ReportMetric(float64(hs[i].quantile(0.5))/1e3, name+"-p50-us")
		if i > 0 {
			b.ReportMetric(float64(hs[i].quantile(0.5))/base, name+"-vs-goraw")
		}
	}
	b.ReportMetric(0, "ns/op")
}

func partsPinger(b *testing.B, name string) pinger {
	msg := recvMessage(b, 1)
	switch name {
	case "goraw":
		return rawPinger(b, msg)
	case "osckit-block":
		return osckitPinger(b, msg, true)
	}
	// Each side comes with shut, which ends a wait in progress (the
	// watchdog's way out), and close, which releases it once no call is
	// left on it; close also runs at the end of the benchmark if setup
	// fails half way.
	var to netip.AddrPort
	var echo side
	switch name {
	case "server-netio":
		to, echo = partsNetioEcho(b)
	case "server-osc":
		to, echo = partsOscServer(b)
	case "client-netio", "client-osc":
		to, echo = partsRawEcho(b)
	default:
		b.Fatalf("no pair %q", name)
	}
	b.Cleanup(echo.close)
	var send func() error
	var recv func() ([]byte, error)
	var client side
	switch name {
	case "client-netio":
		send, recv, client = partsNetioClient(b, msg, to)
	case "client-osc":
		send, recv, client = partsOscClient(b, msg, to)
	default:
		send, recv, client = partsRawClient(b, msg, to)
	}
	b.Cleanup(client.close)
	wd := startWatchdog(rttTimeout, func() { client.shut(); echo.shut() }, nil)
	parse := name == "client-osc"
	var argv [8]wire.Arg
	ping := func(rtt []time.Duration) int {
		wd.begin()
		defer wd.end()
		for i := range rtt {
			t0 := time.Now()
			if err := send(); err != nil {
				return i
			}
			pkt, err := recv()
			if err != nil || len(pkt) != len(msg) {
				return i
			}
			d := time.Since(t0)
			if parse {
				if _, args, err := strict.ParseArgs(pkt, argv[:0]); err != nil || len(args) != 8 {
					return i
				}
			}
			rtt[i] = d
			wd.tick()
		}
		return len(rtt)
	}
	closeAll := func() {
		wd.stop()
		client.shut()
		echo.shut()
		client.close()
		echo.close()
	}
	return pinger{ping: ping, close: closeAll, stalled: wd.stalled}
}

// side is one end of a pair: shut ends a wait in progress; close, which may
// run more than once, releases the end once no call is left on it.
type side struct{ shut, close func() }

func newSide(shut, close func()) side { return side{shut: shut, close: sync.OnceFunc(close)} }

// partsRawClient is rawPinger's pinger side: send and recvfrom on a
// blocking connected socket.
func partsRawClient(b *testing.B, msg []byte, to netip.AddrPort) (send func() error, recv func() ([]byte, error), s side) {
	c := rawSocket(b)
	if err := unix.Connect(c, &unix.SockaddrInet4{Addr: to.Addr().As4(), Port: int(to.Port())}); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 2048)
	send = func() error {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(c), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), 0, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	}
	recv = func() ([]byte, error) {
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
	// The descriptor is closed by the cleanup, after the last call on it.
	return send, recv, newSide(func() { _ = unix.Shutdown(c, unix.SHUT_RD) }, func() {})
}

// partsRawEcho is rawPinger's echo side on a socket of its own.
func partsRawEcho(b *testing.B) (netip.AddrPort, side) {
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
			if e != 0 || n <= 0 || hdrs[0].len == 0 {
				return
			}
			for i := range n {
				iovs[i].SetLen(int(hdrs[i].len))
			}
			_, _, _ = unix.Syscall6(unix.SYS_SENDMMSG, uintptr(echo), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(n), 0, 0, 0)
		}
	}()
	s4 := sa.(*unix.SockaddrInet4)
	shut := func() { _ = unix.Shutdown(echo, unix.SHUT_RD) }
	// The descriptor is closed by the cleanup, after the echo has returned.
	return netip.AddrPortFrom(netip.AddrFrom4(s4.Addr), uint16(s4.Port)), newSide(shut, func() { shut(); <-done })
}

// partsNetioEcho answers every datagram a netio.UDPConn in blocking mode
// reads, as osc.Server's endpoints configure it (NoWait), without OSC.
func partsNetioEcho(b *testing.B) (netip.AddrPort, side) {
	c, err := netio.ListenUDP("udp4", "127.0.0.1:0", netio.UDPConfig{NoWait: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.SetBlocking(true); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pkts := make([]netio.Packet, netio.DefaultBatch)
		for {
			n, err := c.ReadBatch(pkts)
			if err != nil {
				return
			}
			for _, p := range pkts[:n] {
				_, _ = c.WriteTo(p.Data, p.Addr)
			}
		}
	}()
	stop := func() { c.Close() }
	return c.LocalAddrPort(), newSide(stop, func() { stop(); <-done })
}

// partsOscServer is osckit-block's server.
func partsOscServer(b *testing.B) (netip.AddrPort, side) {
	r := router.New()
	r.HandleFunc(recvAddress, func(w router.ResponseWriter, req *router.Request) {
		if sumArgs(req) >= 0 {
			_, _ = w.Write(req.Message.Bytes())
		}
	})
	srv := &osc.Server{Handler: r, Logger: quiet}
	srv.UDP.BlockingRead = true
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	stop := func() { srv.Close() }
	return ep.Addr().(*net.UDPAddr).AddrPort(), newSide(stop, stop)
}

// partsNetioClient is a dialed netio.UDPConn in blocking mode, as a
// Client's socket is during a Receive with a context that never ends.
func partsNetioClient(b *testing.B, msg []byte, to netip.AddrPort) (send func() error, recv func() ([]byte, error), s side) {
	c, err := netio.DialUDP("udp4", to.String(), netio.UDPConfig{})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.SetBlocking(true); err != nil {
		b.Fatal(err)
	}
	pkts := make([]netio.Packet, 1)
	send = func() error { _, err := c.Write(msg); return err }
	recv = func() ([]byte, error) {
		if _, err := c.ReadBatch(pkts); err != nil {
			return nil, err
		}
		return pkts[0].Data, nil
	}
	stop := func() { c.Close() }
	return send, recv, newSide(stop, stop)
}

// partsOscClient is osckit-block's client.
func partsOscClient(b *testing.B, msg []byte, to netip.AddrPort) (send func() error, recv func() ([]byte, error), s side) {
	c, err := osc.Dial(fmt.Sprintf("osc.udp://%s", to))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	send = func() error { _, err := c.Write(msg); return err }
	recv = func() ([]byte, error) { return c.Receive(ctx) }
	stop := func() { c.Close() }
	return send, recv, newSide(stop, stop)
}
