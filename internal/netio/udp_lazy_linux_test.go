package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// socketInode is the inode of c's socket, which names it in /proc.
func socketInode(t *testing.T, c *UDPConn) uint64 {
	t.Helper()
	var st unix.Stat_t
	var err error
	if cerr := c.rc.Control(func(fd uintptr) { err = unix.Fstat(int(fd), &st) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// procFDs lists this process's descriptors and what they point to.
func procFDs(t *testing.T) map[int]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := make(map[int]string, len(ents))
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			fds[fd] = link
		}
	}
	return fds
}

// inEpoll reports whether the socket with inode ino is in the interest
// list of any epoll instance of this process (the runtime's poller has
// one), as the kernel lists them in /proc/self/fdinfo.
func inEpoll(t *testing.T, ino uint64) bool {
	t.Helper()
	seen := false
	for fd, link := range procFDs(t) {
		if link != "anon_inode:[eventpoll]" {
			continue
		}
		seen = true
		info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
		if err != nil {
			continue // closed meanwhile
		}
		for line := range strings.SplitSeq(string(info), "\n") {
			// tfd:        7 events:       19 data: ... pos:0 ino:7a6 sdev:8
			if !strings.HasPrefix(line, "tfd:") {
				continue
			}
			for f := range strings.FieldsSeq(line) {
				if v, ok := strings.CutPrefix(f, "ino:"); ok {
					if n, err := strconv.ParseUint(v, 16, 64); err == nil && n == ino {
						return true
					}
				}
			}
		}
	}
	if !seen {
		t.Fatal("no epoll instance in /proc/self/fd: the runtime's poller has none?")
	}
	return false
}

// openDescriptors counts this process's descriptors for the socket with
// inode ino.
func openDescriptors(t *testing.T, ino uint64) int {
	t.Helper()
	n := 0
	want := fmt.Sprintf("socket:[%d]", ino)
	for _, link := range procFDs(t) {
		if link == want {
			n++
		}
	}
	return n
}

// exchange sends a numbered datagram from cli to srv and back, n times,
// checking each.
func exchange(t *testing.T, srv, cli *UDPConn, n int) {
	t.Helper()
	defer watchdog(t, srv, cli).Stop()
	pkts := make([]Packet, 4)
	for i := range n {
		msg := numbered(i, 16)
		if _, err := cli.Write(msg); err != nil {
			t.Fatalf("round %d: client write: %v", i, err)
		}
		k, err := srv.ReadBatch(pkts)
		if err != nil || k != 1 || string(pkts[0].Data) != string(msg) || pkts[0].Addr != cli.LocalAddrPort() {
			t.Fatalf("round %d: server read %d, %v", i, k, err)
		}
		if _, err := srv.WriteTo(pkts[0].Data, pkts[0].Addr); err != nil {
			t.Fatalf("round %d: server write: %v", i, err)
		}
		k, err = cli.ReadBatch(pkts[:1])
		if err != nil || k != 1 || string(pkts[0].Data) != string(msg) || pkts[0].Addr != cli.RemoteAddr() {
			t.Fatalf("round %d: client read %d, %v", i, k, err)
		}
	}
}

// TestUDPLazyPoller checks, in the kernel's own listing of the runtime's
// epoll set, that a conn in blocking mode never puts its socket there,
// however much it reads and writes, and that a call that needs the poller
// puts it there once, without changing the conn's mode or leaking a
// descriptor.
func TestUDPLazyPoller(t *testing.T) {
	srv, cli := blockingPair(t)
	sino, cino := socketInode(t, srv), socketInode(t, cli)
	exchange(t, srv, cli, 50)
	// Clearing a deadline that was never set changes nothing.
	if err := cli.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if inEpoll(t, sino) || inEpoll(t, cino) {
		t.Fatalf("a socket in blocking mode is in the poller's epoll set (server %v, client %v)", inEpoll(t, sino), inEpoll(t, cino))
	}
	if n := openDescriptors(t, cino); n != 1 {
		t.Fatalf("%d descriptors for the client's socket, want 1", n)
	}

	// A read with a deadline waits in the poller: the socket joins it.
	if err := cli.SetBlocking(false); err != nil {
		t.Fatal(err)
	}
	if err := cli.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ReadBatch(make([]Packet, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	if !inEpoll(t, cino) {
		t.Fatal("the client's socket is not in the poller after a read with a deadline")
	}
	if inEpoll(t, sino) {
		t.Fatal("the server's socket joined the poller with the client's")
	}
	if n := openDescriptors(t, cino); n != 2 {
		t.Fatalf("%d descriptors for the registered client's socket, want 2 (its own and package net's)", n)
	}
	// Both modes work on the registered socket, and blocking mode is
	// blocking again.
	if err := cli.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	exchange(t, srv, cli, 5)
	if err := cli.SetBlocking(true); err != nil {
		t.Fatal(err)
	}
	if sockFlags(t, cli)&unix.O_NONBLOCK != 0 {
		t.Fatal("blocking mode left the registered socket non-blocking")
	}
	exchange(t, srv, cli, 5)

	// Close releases both descriptors, and a second Close reports it.
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openDescriptors(t, cino); n != 0 {
		t.Fatalf("%d descriptors for the client's socket after Close", n)
	}
	if err := cli.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v, want net.ErrClosed", err)
	}
}

// TestUDPLazyRegisterInBlockingMode sets a deadline while the conn is in
// blocking mode: the socket joins the poller and stays blocking, so that
// the blocking read still waits in the kernel (deadlines do not apply to
// it) and Close still ends it.
func TestUDPLazyRegisterInBlockingMode(t *testing.T) {
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	if err := c.SetBlocking(true); err != nil {
		t.Fatal(err)
	}
	if err := c.SetWriteDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !inEpoll(t, socketInode(t, c)) {
		t.Fatal("a deadline did not hand the socket to the poller")
	}
	if sockFlags(t, c)&unix.O_NONBLOCK != 0 {
		t.Fatal("registering turned blocking mode's socket non-blocking")
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadBatch(make([]Packet, 1))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	requireClosedErr(t, done, "the blocking read after Close")
}

// TestUDPLazyDefaultMode: a conn in the default mode joins the poller at
// its first read, and a wildcard bind still takes both address families.
func TestUDPLazyDefaultMode(t *testing.T) {
	srv := listenUDP(t, "udp", ":0", UDPConfig{})
	ino := socketInode(t, srv)
	if inEpoll(t, ino) {
		t.Fatal("a fresh socket is in the poller before any read")
	}
	if la := srv.LocalAddrPort(); !la.Addr().IsUnspecified() || !la.Addr().Is6() {
		t.Fatalf("a wildcard bind on udp is %v, want [::]:port (dual-stack)", la)
	}
	for _, network := range []string{"udp4", "udp6"} {
		host := "127.0.0.1"
		if network == "udp6" {
			host = "::1"
		}
		to := netip.AddrPortFrom(netip.MustParseAddr(host), srv.LocalAddrPort().Port())
		cli, err := DialUDP(network, to.String(), UDPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if got := cli.RemoteAddr(); got != to {
			t.Fatalf("%s: RemoteAddr %v, want %v", network, got, to)
		}
		if err := srv.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		exchange(t, srv, cli, 3)
		cli.Close()
	}
	if !inEpoll(t, ino) {
		t.Fatal("the default mode's reads did not use the poller")
	}
}

// TestUDPBlockingSingleRead covers blocking mode's one-datagram read on an
// unconnected socket: the sender, truncation, and the drop count.
func TestUDPBlockingSingleRead(t *testing.T) {
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 8, ReadBuffer: -1})
	if err := c.SetBlocking(true); err != nil {
		t.Fatal(err)
	}
	peer := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	defer watchdog(t, c).Stop()
	to := c.LocalAddrPort()
	pkt := make([]Packet, 1)
	for i, size := range []int{8, 20, 1, 0} {
		if _, err := peer.WriteTo(numbered(i, size)[:size], to); err != nil {
			t.Fatal(err)
		}
		if n, err := c.ReadBatch(pkt); err != nil || n != 1 {
			t.Fatalf("datagram %d: %d, %v", i, n, err)
		}
		p := pkt[0]
		want := min(size, 8)
		if len(p.Data) != want || p.Truncated != (size > 8) || p.Addr != peer.LocalAddrPort() {
			t.Fatalf("datagram %d (%d bytes): %d bytes, truncated %v, from %v", i, size, len(p.Data), p.Truncated, p.Addr)
		}
	}
	// Overflow the default receive buffer, then read one datagram: Drops
	// has the kernel's count.
	sent := 0
	for range 20000 {
		if _, err := peer.WriteTo(make([]byte, 1000), to); err != nil {
			t.Fatal(err)
		}
		sent++
		if sent%1000 == 0 && c.Drops() > 0 {
			break
		}
	}
	if _, err := c.ReadBatch(pkt); err != nil {
		t.Fatal(err)
	}
	if c.Drops() == 0 {
		t.Fatalf("%d datagrams of 1000 bytes into the kernel's default buffer, none dropped", sent)
	}
}

// TestUDPWriteBatchPartial: a batch whose second datagram the kernel
// refuses (too long for UDP) sends the first once, reports one sent and the
// error, and the retry of the tail (one datagram: sendto) sends nothing
// else.
func TestUDPWriteBatchPartial(t *testing.T) {
	rx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	to := rx.LocalAddrPort()
	for _, blocking := range []bool{false, true} {
		if err := tx.SetBlocking(blocking); err != nil {
			t.Fatal(err)
		}
		n, err := tx.WriteBatch([]OutPacket{{Data: []byte("AAAA"), Addr: to}, {Data: make([]byte, 70000), Addr: to}})
		if n != 1 || !errors.Is(err, unix.EMSGSIZE) {
			t.Fatalf("blocking %v: WriteBatch = %d, %v; want 1, EMSGSIZE", blocking, n, err)
		}
		if _, err := tx.WriteTo([]byte("end"), to); err != nil {
			t.Fatal(err)
		}
		if err := rx.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		var got []string
		pkts := make([]Packet, 4)
		for len(got) < 2 || got[len(got)-1] != "end" {
			k, err := rx.ReadBatch(pkts)
			if err != nil {
				t.Fatalf("blocking %v: after %q: %v", blocking, got, err)
			}
			for _, p := range pkts[:k] {
				got = append(got, string(p.Data))
			}
		}
		if len(got) != 2 || got[0] != "AAAA" {
			t.Fatalf("blocking %v: received %q, want [AAAA end]", blocking, got)
		}
	}
}

// TestUDPLazyRegisterRacesSetBlocking: SetBlocking racing the call that
// hands the socket to package net (a deadline) must leave the socket's
// flag as the mode says: a default-mode read (RawSyscall) on a blocking
// socket would hold its thread and P in the kernel.
func TestUDPLazyRegisterRacesSetBlocking(t *testing.T) {
	for i := range 300 {
		to := i%2 == 0
		c, err := ListenUDP("udp4", "127.0.0.1:0", UDPConfig{ReadBuffer: -1, Batch: 2, BufSize: 64})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetBlocking(!to); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		done := make(chan error, 2)
		go func() { <-start; done <- c.SetBlocking(to) }()
		go func() { <-start; done <- c.SetWriteDeadline(time.Now().Add(time.Hour)) }()
		close(start)
		for range 2 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if nonblock := sockFlags(t, c)&unix.O_NONBLOCK != 0; nonblock == to {
			t.Fatalf("round %d: blocking mode %v, socket O_NONBLOCK %v", i, to, nonblock)
		}
		c.Close()
	}
}

// TestUDPLazySocketOptions: the sockets ListenUDP opens itself carry the
// options package net sets on its own (SO_BROADCAST on both families, the
// dual-stack or IPv6-only choice).
func TestUDPLazySocketOptions(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{
		{"udp", ":0"}, {"udp4", "127.0.0.1:0"}, {"udp6", "[::1]:0"}, {"udp", "[::1]:0"}, {"udp", "127.0.0.1:0"},
	} {
		c := listenUDP(t, tc.network, tc.addr, UDPConfig{ReadBuffer: -1})
		pc, err := net.ListenPacket(tc.network, tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := NewUDPConn(pc.(*net.UDPConn), UDPConfig{ReadBuffer: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []struct {
			name       string
			level, opt int
		}{{"SO_BROADCAST", unix.SOL_SOCKET, unix.SO_BROADCAST}, {"SO_DOMAIN", unix.SOL_SOCKET, unix.SO_DOMAIN}} {
			if got, want := sockopt(t, c, o.level, o.opt), sockopt(t, ref, o.level, o.opt); got != want {
				t.Errorf("%s %s: %s %d, package net's %d", tc.network, tc.addr, o.name, got, want)
			}
		}
		if sockopt(t, ref, unix.SOL_SOCKET, unix.SO_DOMAIN) == unix.AF_INET6 {
			if got, want := sockopt(t, c, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY), sockopt(t, ref, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); got != want {
				t.Errorf("%s %s: IPV6_V6ONLY %d, package net's %d", tc.network, tc.addr, got, want)
			}
		}
		if got, want := c.LocalAddr().String()[:strings.LastIndex(c.LocalAddr().String(), ":")],
			ref.LocalAddr().String()[:strings.LastIndex(ref.LocalAddr().String(), ":")]; got != want {
			t.Errorf("%s %s: bound to %s, package net to %s", tc.network, tc.addr, got, want)
		}
		ref.Close()
	}
	// Errors before the socket exists are *net.OpError too.
	for _, addr := range []string{"no-port", "localhost:no-such-service"} {
		_, err := DialUDP("udp", addr, UDPConfig{})
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "dial" {
			t.Errorf("DialUDP(%q) = %v, want a *net.OpError", addr, err)
		}
	}
}

// TestUDPLazyDroppedConn: a conn dropped without Close releases its
// socket once collected, as package net's conns do.
func TestUDPLazyDroppedConn(t *testing.T) {
	var inos []uint64
	for range 20 {
		c, err := ListenUDP("udp4", "127.0.0.1:0", UDPConfig{ReadBuffer: -1})
		if err != nil {
			t.Fatal(err)
		}
		inos = append(inos, socketInode(t, c))
	}
	open := func() int {
		n := 0
		for _, ino := range inos {
			n += openDescriptors(t, ino)
		}
		return n
	}
	for range 50 {
		runtime.GC()
		if open() == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d of 20 dropped conns' descriptors still open after 50 collections", open())
}

// TestUDPDialedBlocking covers the dialed conn's own paths in blocking
// mode (recvfrom and sendto without the batch state): truncation, the
// sender, Close ending a read in progress, and writes after Close.
func TestUDPDialedBlocking(t *testing.T) {
	peer := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	c, err := DialUDP("udp4", peer.LocalAddrPort().String(), UDPConfig{BufSize: 8, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetBlocking(true); err != nil {
		t.Fatal(err)
	}
	defer watchdog(t, c, peer).Stop()
	pkt := make([]Packet, 1)
	for i, size := range []int{20, 8, 0, 3} {
		if _, err := peer.WriteTo(make([]byte, size), c.LocalAddrPort()); err != nil {
			t.Fatal(err)
		}
		if n, err := c.ReadBatch(pkt); err != nil || n != 1 {
			t.Fatalf("datagram %d: %d, %v", i, n, err)
		}
		if p := pkt[0]; len(p.Data) != min(size, 8) || p.Truncated != (size > 8) || p.Addr != peer.LocalAddrPort() {
			t.Fatalf("datagram %d (%d bytes): %d bytes, truncated %v, from %v", i, size, len(p.Data), p.Truncated, p.Addr)
		}
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if n, err := peer.ReadBatch(pkt); err != nil || n != 1 || len(pkt[0].Data) != 1 || pkt[0].Data[0] != byte(i) {
			t.Fatalf("reply %d: %d, %v", i, n, err)
		}
	}
	if inEpoll(t, socketInode(t, c)) {
		t.Fatal("the dialed conn's socket joined the poller")
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadBatch(pkt)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	requireClosedErr(t, done, "the blocking read after Close")
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
	}
}

// TestUDPWriteToNoAddress: an unconnected conn given no destination fails
// the same way whichever path the write takes.
func TestUDPWriteToNoAddress(t *testing.T) {
	for _, blocking := range []bool{false, true} {
		c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{NoWait: true})
		if err := c.SetBlocking(blocking); err != nil {
			t.Fatal(err)
		}
		if _, err := c.WriteTo([]byte("x"), netip.AddrPort{}); !errors.Is(err, errAddrFamily) {
			t.Errorf("blocking %v: WriteTo without an address: %v, want errAddrFamily", blocking, err)
		}
	}
}
