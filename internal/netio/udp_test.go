package netio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

func listenUDP(t testing.TB, network, addr string, cfg UDPConfig) *UDPConn {
	t.Helper()
	c, err := ListenUDP(network, addr, cfg)
	if err != nil {
		t.Fatalf("ListenUDP %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readN reads exactly n packets (copies) within the timeout, and the largest
// batch seen.
func readN(t testing.TB, c interface {
	ReadBatch([]Packet) (int, error)
	SetReadDeadline(time.Time) error
}, n int) ([]Packet, int) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var got []Packet
	maxBatch := 0
	dst := make([]Packet, 64)
	for len(got) < n {
		k, err := c.ReadBatch(dst)
		if err != nil {
			t.Fatalf("after %d of %d packets: %v", len(got), n, err)
		}
		maxBatch = max(maxBatch, k)
		for i := range k {
			got = append(got, dst[i].Clone())
		}
	}
	return got, maxBatch
}

// requireClosedErr waits up to 5 s for the error a reader goroutine ends
// with on ch, and fails t unless it is net.ErrClosed.
func requireClosedErr(t *testing.T, ch <-chan error, what string) {
	t.Helper()
	select {
	case err := <-ch:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("%s: %v, want net.ErrClosed", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still blocked after 5 s", what)
	}
}

// bothReadPaths runs f as two subtests: "mmsg" with recvmmsg/sendmmsg
// (where the platform has them), "fallback" with OSC_DISABLE_MMSG=1.
func bothReadPaths(t *testing.T, f func(t *testing.T)) {
	t.Run("mmsg", f)
	t.Run("fallback", func(t *testing.T) {
		t.Setenv("OSC_DISABLE_MMSG", "1")
		f(t)
	})
}

// blockingPair is a server conn (NoWait, as osc.Server's endpoints) and a
// conn dialed to it reading one datagram at a time (as a Client's), both
// in blocking mode. Both are closed when the test ends.
func blockingPair(t *testing.T) (srv, cli *UDPConn) {
	t.Helper()
	srv = listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{NoWait: true})
	cli, err := DialUDP("udp4", srv.LocalAddrPort().String(), UDPConfig{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	for _, c := range []*UDPConn{srv, cli} {
		if err := c.SetBlocking(true); err != nil {
			t.Fatal(err)
		}
	}
	return srv, cli
}

// watchdog closes conns if the test is still running after 5 s, so that a
// lost datagram fails a blocking read instead of hanging the run. Stop it
// before the test ends.
func watchdog(t *testing.T, conns ...*UDPConn) *time.Timer {
	return time.AfterFunc(5*time.Second, func() {
		t.Error("watchdog: still waiting after 5 s; closing the conns")
		for _, c := range conns {
			c.Close()
		}
	})
}

func numbered(i, size int) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint32(b, uint32(i))
	for j := 4; j < len(b); j++ {
		b[j] = byte(i + j)
	}
	return b
}

func TestUDPBatchReceive(t *testing.T) {
	for _, tc := range []struct{ name, network, addr string }{
		{"v4", "udp4", "127.0.0.1:0"},
		{"v6", "udp6", "[::1]:0"},
		{"dualstack-v4-sender", "udp", ":0"},
	} {
		for _, fallback := range []bool{false, true} {
			name := tc.name
			if fallback {
				name += "/fallback"
			}
			t.Run(name, func(t *testing.T) {
				if fallback {
					t.Setenv("OSC_DISABLE_MMSG", "1")
				}
				rx := listenUDP(t, tc.network, tc.addr, UDPConfig{})
				if rx.batched() != (runtime.GOOS == "linux" && !fallback) {
					t.Fatalf("Batched() = %v", rx.batched())
				}
				dstAddr := rx.LocalAddrPort()
				if tc.name == "dualstack-v4-sender" {
					dstAddr = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), dstAddr.Port())
				}
				tx, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dstAddr))
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Close()
				const N = 300
				for i := range N {
					if _, err := tx.Write(numbered(i, 20+i%100)); err != nil {
						t.Fatal(err)
					}
				}
				got, maxB := readN(t, rx, N)
				from := tx.LocalAddr().(*net.UDPAddr).AddrPort()
				for i, p := range got {
					if !bytes.Equal(p.Data, numbered(i, 20+i%100)) {
						t.Fatalf("packet %d: %x", i, p.Data)
					}
					if p.Addr != from || p.Truncated || p.Path != nil {
						t.Fatalf("packet %d from %v (want %v), truncated %v", i, p.Addr, from, p.Truncated)
					}
				}
				if rx.batched() && maxB < 2 {
					t.Fatalf("largest batch %d: recvmmsg never returned more than one datagram", maxB)
				}
				if !rx.batched() && maxB != 1 {
					t.Fatalf("fallback returned batches of %d", maxB)
				}
			})
		}
	}
}

func TestUDPWriteBatch(t *testing.T) {
	bothReadPaths(t, func(t *testing.T) {
		rx1 := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
		rx2 := listenUDP(t, "udp", "[::1]:0", UDPConfig{})
		tx := listenUDP(t, "udp", ":0", UDPConfig{Batch: 16})
		const N = 100
		var out []OutPacket
		for i := range N {
			to := rx1.LocalAddrPort()
			if i%2 == 1 {
				to = rx2.LocalAddrPort()
			}
			out = append(out, OutPacket{Data: numbered(i, 16), Addr: to})
		}
		n, err := tx.WriteBatch(out)
		if err != nil || n != N {
			t.Fatalf("WriteBatch = %d, %v", n, err)
		}
		g1, _ := readN(t, rx1, N/2)
		g2, _ := readN(t, rx2, N/2)
		for i := range N / 2 {
			if !bytes.Equal(g1[i].Data, numbered(2*i, 16)) || !bytes.Equal(g2[i].Data, numbered(2*i+1, 16)) {
				t.Fatalf("packet %d differs", i)
			}
		}
		if g1[0].Addr.Port() != tx.LocalAddrPort().Port() || !g1[0].Addr.Addr().Is4() {
			t.Fatalf("sender %v", g1[0].Addr)
		}
		// A v6 destination on a v4 socket is an error, not a panic.
		tx4 := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
		if n, err := tx4.WriteBatch([]OutPacket{{Data: []byte("x"), Addr: rx2.LocalAddrPort()}}); err == nil || n != 0 {
			t.Fatalf("v6 destination on v4 socket: %d %v", n, err)
		}
	})
}

func TestUDPTruncated(t *testing.T) {
	bothReadPaths(t, func(t *testing.T) {
		rx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{BufSize: 16})
		tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
		big, small := numbered(1, 40), numbered(2, 16)
		for _, p := range [][]byte{big, small} {
			if _, err := tx.WriteTo(p, rx.LocalAddrPort()); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := readN(t, rx, 2)
		if !got[0].Truncated || !bytes.Equal(got[0].Data, big[:16]) {
			t.Fatalf("big: truncated=%v data=%x", got[0].Truncated, got[0].Data)
		}
		if got[1].Truncated || !bytes.Equal(got[1].Data, small) {
			t.Fatalf("small: truncated=%v data=%x", got[1].Truncated, got[1].Data)
		}
	})
}

// TestUDPLongDatagrams mixes short and long datagrams in one batch, up to
// the largest that fits the default buffer; those beyond a smaller BufSize
// must come back truncated and the rest intact.
func TestUDPLongDatagrams(t *testing.T) {
	sizes := []int{8, 2044, 2048, 2052, 3000, 9000, 4096, 8, 65000, 12, 40000, 4097}
	for _, cfg := range []UDPConfig{{}, {BufSize: 5000}, {BufSize: 4096}} {
		t.Run("BufSize="+strconv.Itoa(cfg.BufSize), func(t *testing.T) {
			cfg.ReadBuffer = 4 << 20
			rx := listenUDP(t, "udp4", "127.0.0.1:0", cfg)
			tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
			var sent [][]byte
			for i, n := range sizes {
				p := numbered(i, n)
				sent = append(sent, p)
				if _, err := tx.WriteTo(p, rx.LocalAddrPort()); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := readN(t, rx, len(sent))
			limit := cfg.BufSize
			if limit == 0 {
				limit = defaultBufSize
			}
			for i, p := range got {
				want, trunc := sent[i], len(sent[i]) > limit
				if trunc {
					want = want[:limit]
				}
				if p.Truncated != trunc || !bytes.Equal(p.Data, want) {
					t.Fatalf("datagram %d (%d bytes): got %d bytes, truncated %v (want %v)", i, len(sent[i]), len(p.Data), p.Truncated, trunc)
				}
			}
		})
	}
}

func TestUDPCloseWhileReading(t *testing.T) {
	bothReadPaths(t, func(t *testing.T) {
		c, err := ListenUDP("udp4", "127.0.0.1:0", UDPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			dst := make([]Packet, 8)
			_, err := c.ReadBatch(dst)
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		requireClosedErr(t, done, "ReadBatch after Close")
		if _, err := c.ReadBatch(make([]Packet, 1)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadBatch on closed conn: %v", err)
		}
	})
}

func TestUDPReadDeadline(t *testing.T) {
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	_, err := c.ReadBatch(make([]Packet, 4))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

// TestUDPConcurrentSendClose runs a reader, writers (WriteTo and WriteBatch)
// and Close concurrently; run with -race.
func TestUDPConcurrentSendClose(t *testing.T) {
	c := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{Batch: 8})
	self := c.LocalAddrPort()
	var wg sync.WaitGroup
	readErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		dst := make([]Packet, 8)
		for range 1 << 20 {
			n, err := c.ReadBatch(dst)
			if err != nil {
				readErr <- err
				return
			}
			for i := range n {
				if len(dst[i].Data) != 12 || dst[i].Addr != self {
					readErr <- errors.New("bad packet")
					return
				}
				// Reply path used by handlers: write while the reader holds its batch.
				_, _ = c.WriteTo(dst[i].Data[:0], netip.AddrPort{})
			}
		}
		readErr <- errors.New("reader loop bound hit")
	}()
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkt := numbered(g, 12)
			out := []OutPacket{{pkt, self}, {pkt, self}, {pkt, self}}
			for range 2000 {
				var err error
				if g == 0 {
					_, err = c.WriteTo(pkt, self)
				} else {
					_, err = c.WriteBatch(out)
				}
				if err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	c.Close()
	requireClosedErr(t, readErr, "the reader after Close")
	wg.Wait()
}

func TestUDPDialReply(t *testing.T) {
	srv := listenUDP(t, "udp", "[::1]:0", UDPConfig{})
	cli, err := DialUDP("udp", srv.LocalAddrPort().String(), UDPConfig{Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if cli.RemoteAddr() != srv.LocalAddrPort() {
		t.Fatalf("RemoteAddr %v", cli.RemoteAddr())
	}
	if _, err := cli.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got, _ := readN(t, srv, 1)
	if string(got[0].Data) != "ping" || got[0].Addr != cli.LocalAddrPort() {
		t.Fatalf("server got %q from %v", got[0].Data, got[0].Addr)
	}
	if _, err := srv.WriteTo([]byte("pong"), got[0].Addr); err != nil {
		t.Fatal(err)
	}
	r, _ := readN(t, cli, 1)
	if string(r[0].Data) != "pong" || r[0].Addr != srv.LocalAddrPort() {
		t.Fatalf("client got %q from %v", r[0].Data, r[0].Addr)
	}
	// WriteTo with the zero address or the peer uses the connection.
	if _, err := cli.WriteTo([]byte("p2"), netip.AddrPort{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.WriteTo([]byte("p3"), netip.MustParseAddrPort("[::1]:1")); !errors.Is(err, ErrConnected) {
		t.Fatalf("WriteTo other peer: %v", err)
	}
	if n, err := cli.WriteBatch([]OutPacket{{Data: []byte("b1")}, {Data: []byte("b2")}}); n != 2 || err != nil {
		t.Fatalf("WriteBatch on dialed conn: %d %v", n, err)
	}
	got, _ = readN(t, srv, 3)
	if string(got[0].Data) != "p2" || string(got[1].Data) != "b1" || string(got[2].Data) != "b2" {
		t.Fatalf("got %q %q %q", got[0].Data, got[1].Data, got[2].Data)
	}
}

func TestPacketClone(t *testing.T) {
	p := Packet{Data: []byte("data"), Path: []byte("/p"), Addr: netip.MustParseAddrPort("1.2.3.4:5"), Truncated: true}
	q := p.Clone()
	p.Data[0], p.Path[0] = 'X', 'X'
	if string(q.Data) != "data" || string(q.Path) != "/p" || q.Addr != p.Addr || !q.Truncated || cap(q.Data) != 4 {
		t.Fatalf("%+v", q)
	}
	if r := (&Packet{Data: []byte("x")}).Clone(); r.Path != nil {
		t.Fatal("empty Path cloned as non-nil")
	}
}
