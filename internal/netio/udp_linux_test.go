package netio

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func sockopt(t *testing.T, c *UDPConn, level, opt int) int {
	t.Helper()
	var v int
	var err error
	if cerr := c.rc.Control(func(fd uintptr) { v, err = unix.GetsockoptInt(int(fd), level, opt) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestUDPSocketOptions(t *testing.T) {
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{WriteBuffer: 1 << 20})
	// Linux reports twice the size; as root SO_RCVBUFFORCE passes rmem_max.
	if got := sockopt(t, c, unix.SOL_SOCKET, unix.SO_RCVBUF) / 2; got < DefaultReadBuffer && unix.Geteuid() == 0 {
		t.Fatalf("SO_RCVBUF %d < %d although running as root", got, DefaultReadBuffer)
	}
	if got := sockopt(t, c, unix.SOL_SOCKET, unix.SO_SNDBUF) / 2; got < 1<<20 && unix.Geteuid() == 0 {
		t.Fatalf("SO_SNDBUF %d", got)
	}
	if sockopt(t, c, unix.SOL_SOCKET, unix.SO_BROADCAST) != 1 {
		t.Fatal("SO_BROADCAST is off")
	}
	// A negative ReadBuffer leaves the kernel default (well under 4 MiB).
	d := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{ReadBuffer: -1})
	if sockopt(t, d, unix.SOL_SOCKET, unix.SO_RCVBUF)/2 >= DefaultReadBuffer {
		t.Fatal("ReadBuffer -1 still set a large buffer")
	}
}

func TestRecvBufferWarning(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{ReadBuffer: -1})
	rcvbufWarned.Store(false)
	defer rcvbufWarned.Store(true)
	// No kernel grants 2 GiB, forced or not.
	c.rc.Control(func(fd uintptr) {
		setRecvBuffer(int(fd), math.MaxInt32, log)
		setRecvBuffer(int(fd), math.MaxInt32, log)
	})
	out := logBuf.String()
	if !strings.Contains(out, "net.core.rmem_max") || strings.Count(out, "level=WARN") != 1 {
		t.Fatalf("want one warning with the rmem_max hint, got %q", out)
	}
}

func TestUDPReusePort(t *testing.T) {
	a := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{ReusePort: true})
	b, err := ListenUDP("udp4", a.LocalAddrPort().String(), UDPConfig{ReusePort: true})
	if err != nil {
		t.Fatalf("second ReusePort listener: %v", err)
	}
	b.Close()
	if c, err := ListenUDP("udp4", a.LocalAddrPort().String(), UDPConfig{}); err == nil {
		c.Close()
		t.Fatal("port shared without ReusePort")
	}
}

func TestUDPMulticastLoopback(t *testing.T) {
	group := netip.MustParseAddr("239.255.77.1")
	rx, err := ListenUDP("udp", netip.AddrPortFrom(group, 0).String(), UDPConfig{MulticastInterface: "lo"})
	if err != nil {
		t.Fatalf("joining %v on lo failed; this host refuses IPv4 multicast on the loopback interface: %v", group, err)
	}
	defer rx.Close()
	tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{MulticastInterface: "lo", MulticastTTL: 1})
	if sockopt(t, tx, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP) != 1 {
		t.Fatal("multicast loop not on by default")
	}
	to := netip.AddrPortFrom(group, rx.LocalAddrPort().Port())
	for i := range 5 {
		if _, err := tx.WriteTo(numbered(i, 8), to); err != nil {
			t.Fatalf("sending to %v via lo: %v (is multicast routed on lo?)", to, err)
		}
	}
	got, _ := readN(t, rx, 5)
	for i, p := range got {
		if !bytes.Equal(p.Data, numbered(i, 8)) || p.Addr != tx.LocalAddrPort() {
			t.Fatalf("packet %d: %x from %v", i, p.Data, p.Addr)
		}
	}
	// Unicast to the same port from elsewhere is not what we test; leave
	// and check that group datagrams stop.
	if err := rx.LeaveGroup(group, "lo"); err != nil {
		t.Fatal(err)
	}
	tx.WriteTo([]byte("late"), to)
	rx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := rx.ReadBatch(make([]Packet, 1)); err == nil {
		t.Fatalf("received %d packets after LeaveGroup", n)
	}
	// Loop off is applied (on lo the device itself still loops datagrams
	// back, so only the option is checked).
	off := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{DisableMulticastLoop: true})
	if sockopt(t, off, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP) != 0 {
		t.Fatal("IP_MULTICAST_LOOP still on")
	}
	off6 := listenUDP(t, "udp6", "[::1]:0", UDPConfig{DisableMulticastLoop: true, MulticastInterface: "lo", MulticastTTL: 3})
	if sockopt(t, off6, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP) != 0 || sockopt(t, off6, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS) != 3 {
		t.Fatal("IPv6 multicast options not applied")
	}
}

func TestUDPMulticastJoinIPv6(t *testing.T) {
	// The loopback interface here has no IPv6 multicast route, so only the
	// membership calls are exercised.
	g := netip.MustParseAddr("ff02::4f53")
	c := listenUDP(t, "udp6", "[::]:0", UDPConfig{})
	if err := c.JoinGroup(g, "lo"); err != nil {
		t.Fatalf("IPV6_JOIN_GROUP on lo: %v", err)
	}
	if err := c.LeaveGroup(g, "lo"); err != nil {
		t.Fatal(err)
	}
	if err := c.JoinGroup(netip.MustParseAddr("::1"), "lo"); err == nil {
		t.Fatal("joined a unicast address")
	}
}

func TestUDPGSOToGRO(t *testing.T) {
	rx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{GRO: true})
	tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	const seg, nseg = 100, 150
	data := make([]byte, 0, seg*nseg)
	for i := range nseg {
		data = append(data, numbered(i, seg)...)
	}
	data = append(data, "tail"...) // a short last segment
	n, err := tx.WriteSegments(data, seg, rx.LocalAddrPort())
	if err != nil || n != len(data) {
		t.Fatalf("WriteSegments = %d, %v", n, err)
	}
	if tx.bio.gsoOff {
		t.Fatal("GSO fell back on loopback")
	}
	got, _ := readN(t, rx, nseg+1)
	for i := range nseg {
		if !bytes.Equal(got[i].Data, numbered(i, seg)) || got[i].Addr != tx.LocalAddrPort() {
			t.Fatalf("segment %d: %d bytes from %v", i, len(got[i].Data), got[i].Addr)
		}
	}
	if string(got[nseg].Data) != "tail" {
		t.Fatalf("last segment %q", got[nseg].Data)
	}
	coalesced := false
	for _, s := range rx.bio.segs {
		coalesced = coalesced || s > 0
	}
	if !coalesced {
		t.Fatal("no GRO coalescing seen on loopback")
	}
	// Without GRO on the receiver the kernel segments: same datagrams.
	plain := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{Batch: 8})
	if _, err := tx.WriteSegments(data[:seg*10], seg, plain.LocalAddrPort()); err != nil {
		t.Fatal(err)
	}
	got, _ = readN(t, plain, 10)
	for i := range 10 {
		if !bytes.Equal(got[i].Data, numbered(i, seg)) {
			t.Fatalf("plain segment %d", i)
		}
	}
}

// TestUDPWildcardLocal binds to wildcard addresses, receives datagrams sent
// to two different loopback addresses and answers each from the address it
// was sent to: the senders are connected sockets, which drop datagrams
// from any other source. Without IP_PKTINFO the answer to 127.0.0.2 would
// leave from 127.0.0.1 and be lost.
func TestUDPWildcardLocal(t *testing.T) {
	cases := []struct {
		network, bind string
		peers         []string
	}{
		{"udp4", "0.0.0.0:0", []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}},
		{"udp", "[::]:0", []string{"127.0.0.2", "::1"}},
		{"udp6", "[::]:0", []string{"::1"}},
	}
	for _, tc := range cases {
		t.Run(tc.network+" "+tc.bind, func(t *testing.T) {
			srv := listenUDP(t, tc.network, tc.bind, UDPConfig{})
			if !srv.cfg.pktinfo {
				t.Fatal("packet info not enabled on a wildcard bind")
			}
			port := srv.LocalAddrPort().Port()
			for _, peer := range tc.peers {
				dst := netip.AddrPortFrom(netip.MustParseAddr(peer), port)
				pingPong(t, srv, "udp", dst, dst.Addr())
			}
		})
	}
	// A specific bind needs none of it: Local stays invalid and
	// WriteToFrom is WriteTo.
	srv := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	pingPong(t, srv, "udp4", srv.LocalAddrPort(), netip.Addr{})
}

// pingPong sends "ping" to dst from a connected client, checks that srv
// reads it with Packet.Local = wantLocal, answers "pong" with WriteToFrom
// from that address and checks that the client hears it.
func pingPong(t *testing.T, srv *UDPConn, network string, dst netip.AddrPort, wantLocal netip.Addr) {
	t.Helper()
	cl, err := DialUDP(network, dst.String(), UDPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got, _ := readN(t, srv, 1)
	if got[0].Local != wantLocal {
		t.Fatalf("sent to %v: Packet.Local = %v, want %v", dst, got[0].Local, wantLocal)
	}
	if _, err := srv.WriteToFrom([]byte("pong"), got[0].Addr, got[0].Local); err != nil {
		t.Fatal(err)
	}
	if back, _ := readN(t, cl, 1); string(back[0].Data) != "pong" {
		t.Fatalf("answer %q", back[0].Data)
	}
}

// TestUDPBlockingRead: in blocking mode ReadBatch receives as before,
// writes of a NoWait conn still never wait, Close ends a read blocked in
// the kernel, and the mode switches back.
func TestUDPBlockingRead(t *testing.T) {
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{NoWait: true, BufSize: 2048})
	peer := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 2048})
	if err := c.SetBlocking(true); err != nil {
		t.Fatal(err)
	}
	if fl := sockFlags(t, c); fl&unix.O_NONBLOCK != 0 {
		t.Fatal("SetBlocking(true) left the socket non-blocking")
	}
	read := func() (int, []byte, error) {
		pkts := make([]Packet, 4)
		n, err := c.ReadBatch(pkts)
		if n > 0 {
			return n, pkts[0].Data, err
		}
		return n, nil, err
	}
	type result struct {
		n    int
		data []byte
		err  error
	}
	got := make(chan result, 1)
	go func() { n, d, err := read(); got <- result{n, d, err} }()
	time.Sleep(20 * time.Millisecond) // let it block
	if _, err := peer.WriteTo([]byte("ping"), c.LocalAddrPort()); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if r.err != nil || r.n != 1 || string(r.data) != "ping" {
			t.Fatalf("blocking read: %d %q %v", r.n, r.data, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocking read did not return the datagram in 5 s")
	}
	// A NoWait write to a peer never waits, blocking reads or not.
	if _, err := c.WriteTo([]byte("pong"), peer.LocalAddrPort()); err != nil {
		t.Fatal(err)
	}
	// Back to the poller and blocking again: the flag follows.
	if err := c.SetBlocking(false); err != nil {
		t.Fatal(err)
	}
	if sockFlags(t, c)&unix.O_NONBLOCK == 0 {
		t.Fatal("SetBlocking(false) left the socket blocking")
	}
	if err := c.SetBlocking(true); err != nil {
		t.Fatal(err)
	}
	go func() { n, d, err := read(); got <- result{n, d, err} }()
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	c.Close()
	select {
	case r := <-got:
		if !errors.Is(r.err, net.ErrClosed) {
			t.Fatalf("read blocked at Close: %d %q %v, want net.ErrClosed", r.n, r.data, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocking read in 5 s")
	}
	t.Logf("Close ended the blocking read in %v", time.Since(start))
}

func sockFlags(t *testing.T, c *UDPConn) int {
	t.Helper()
	var fl int
	var err error
	if cerr := c.rc.Control(func(fd uintptr) { fl, err = unix.FcntlInt(fd, unix.F_GETFL, 0) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// TestUDPBlockingCloseReuse: in blocking mode reads and writes use the
// descriptor directly, outside the runtime's poller, so Close must not
// close it under a call in progress or about to start: the number would go
// to the next socket opened, and the old conn's read would take that
// socket's datagrams, its writes go out from it. Each round closes a conn
// while a reader and a writer (to a sink) run on it, in every other round
// while SetBlocking is still turning blocking mode on, then opens a socket
// (which gets the freed number) and checks that the datagram sent to that
// socket arrives there, that every call on the closed conn ends with
// net.ErrClosed, and that the sink got nothing of this round's from the
// new socket.
func TestUDPBlockingCloseReuse(t *testing.T) {
	sink := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 2048, Batch: 64})
	to := sink.LocalAddrPort()
	pkts := make([]Packet, 64)
	for i := range 200 {
		c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 2048, Batch: 4, NoWait: true})
		tag := []byte(fmt.Sprintf("round %d", i))
		racing := i%2 == 1
		on := make(chan error, 1)
		if racing {
			go func() { on <- c.SetBlocking(true) }()
		} else if err := c.SetBlocking(true); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			if racing {
				<-on // a read must not start before the mode is on (or refused)
			}
			pkts := make([]Packet, 4)
			for {
				if _, err := c.ReadBatch(pkts); err != nil {
					done <- err
					return
				}
			}
		}()
		wdone := make(chan error, 1)
		go func() {
			for k := 0; ; k++ {
				_, err := c.WriteTo(tag, to)
				if errors.Is(err, net.ErrClosed) || k > 20000 {
					wdone <- err
					return
				}
				if k%16 == 15 {
					time.Sleep(time.Microsecond) // let the sink keep up
				}
			}
		}()
		if !racing {
			time.Sleep(100 * time.Microsecond) // close a read already waiting
		}
		c.Close()
		next := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 2048, Batch: 4})
		if _, err := next.WriteTo([]byte("mine"), next.LocalAddrPort()); err != nil {
			t.Fatal(err)
		}
		if err := next.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		got := make([]Packet, 4)
		n, err := next.ReadBatch(got)
		if err != nil || n != 1 || string(got[0].Data) != "mine" {
			t.Fatalf("round %d: the next socket read %d %v: a read of the closed conn took its datagram", i, n, err)
		}
		for what, ch := range map[string]chan error{"read": done, "writes": wdone} {
			select {
			case err := <-ch:
				if !errors.Is(err, net.ErrClosed) {
					t.Fatalf("round %d: %s of the closed conn ended with %v, want net.ErrClosed", i, what, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d: the %s of the closed conn did not end in 5 s", i, what)
			}
		}
		// Drain the sink (until 10 ms pass with nothing): nothing of this
		// round's may have come from the next socket.
		for {
			if err := sink.SetReadDeadline(time.Now().Add(10 * time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			n, err := sink.ReadBatch(pkts)
			if err != nil {
				break
			}
			for _, p := range pkts[:n] {
				if p.Addr == next.LocalAddrPort() && bytes.Equal(p.Data, tag) {
					t.Fatalf("round %d: a write of the closed conn went out from the next socket", i)
				}
			}
		}
		next.Close()
	}
}

// TestUDPWriteSegmentsNoWait: WriteSegments holds the write lock while it
// falls back to single datagrams, which on a NoWait conn go through the
// batch state: they must not take the lock again.
func TestUDPWriteSegmentsNoWait(t *testing.T) {
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 2048, NoWait: true})
	peer := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 2048})
	done := make(chan error, 1)
	go func() {
		// One segment as large as the data: no GSO, the fallback at once.
		_, err := c.WriteSegments([]byte("0123456789"), 10, peer.LocalAddrPort())
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WriteSegments on a NoWait conn did not return in 5 s")
	}
	if err := peer.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	pkts := make([]Packet, 1)
	if n, err := peer.ReadBatch(pkts); err != nil || n != 1 || string(pkts[0].Data) != "0123456789" {
		t.Fatalf("peer read %d %v", n, err)
	}
}

// TestUDPReadBatchSizes: a read re-arms only the headers that earlier
// calls filled, so reads with dst of different lengths, in any order, must
// still see every datagram's sender and length.
func TestUDPReadBatchSizes(t *testing.T) {
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 2048, Batch: 8})
	peer := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 2048})
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	seq := 0
	for round, size := range []int{1, 8, 1, 3, 8, 2, 8, 1, 8} {
		queued := 1 + round%5
		for k := range queued {
			msg := []byte(strings.Repeat("x", 1+(seq+k)%7))
			if _, err := peer.WriteTo(msg, c.LocalAddrPort()); err != nil {
				t.Fatal(err)
			}
		}
		got := 0
		for got < queued {
			pkts := make([]Packet, size)
			n, err := c.ReadBatch(pkts)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			for _, p := range pkts[:n] {
				if p.Addr != peer.LocalAddrPort() || len(p.Data) != 1+seq%7 {
					t.Fatalf("round %d (dst of %d): datagram %d from %v, %d bytes; want %v, %d bytes",
						round, size, seq, p.Addr, len(p.Data), peer.LocalAddrPort(), 1+seq%7)
				}
				seq++
			}
			got += n
		}
	}
}

// TestUnixReadBatchSizes is TestUDPReadBatchSizes with senders whose
// addresses differ in length, which shows a header left as the kernel
// filled it: a long sender path read into a header whose name room was
// left at a short path's length comes back cut short.
func TestUnixReadBatchSizes(t *testing.T) {
	dir := t.TempDir()
	c := listenUnixgram(t, filepath.Join(dir, "r"), UnixConfig{BufSize: 2048, Batch: 8})
	short := listenUnixgram(t, filepath.Join(dir, "s"), UnixConfig{BufSize: 2048})
	long := listenUnixgram(t, filepath.Join(dir, strings.Repeat("l", 40)), UnixConfig{BufSize: 2048})
	senders := []*UnixConn{short, long}
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	seq := 0
	for round, size := range []int{8, 1, 8, 2, 8, 1, 3, 8} {
		queued := 2 + round%4
		for k := range queued {
			if _, err := senders[(seq+k)%2].WriteTo([]byte("x"), []byte(c.LocalPath())); err != nil {
				t.Fatal(err)
			}
		}
		for got := 0; got < queued; {
			pkts := make([]Packet, size)
			n, err := c.ReadBatch(pkts)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			for _, p := range pkts[:n] {
				if want := senders[seq%2].LocalPath(); string(p.Path) != want {
					t.Fatalf("round %d (dst of %d): datagram %d from %q, want %q", round, size, seq, p.Path, want)
				}
				seq++
			}
			got += n
		}
	}
}

// TestMmsghdrSize: the kernel walks an array of struct mmsghdr, so the Go
// type must have its size on every architecture (64 bytes on 64-bit
// systems, 32 on 32-bit ones).
func TestMmsghdrSize(t *testing.T) {
	want := uintptr(64)
	if unsafe.Sizeof(uintptr(0)) == 4 {
		want = 32
	}
	if n := unsafe.Sizeof(mmsghdr{}); n != want {
		t.Fatalf("mmsghdr is %d bytes, want %d", n, want)
	}
}
