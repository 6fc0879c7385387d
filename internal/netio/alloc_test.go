//go:build !race

package netio

import (
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func checkNoAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	f() // warm up
	if n := testing.AllocsPerRun(500, f); n != 0 {
		t.Fatalf("%s: %v allocs/op, want 0", name, n)
	}
}

func TestUDPNoAllocs(t *testing.T) {
	bothReadPaths(t, func(t *testing.T) {
		rx := listenUDP(t, "udp", "[::1]:0", UDPConfig{Batch: 16})
		tx := listenUDP(t, "udp", "[::1]:0", UDPConfig{Batch: 16})
		checkOneNoAllocs(t, tx, rx)
		to := rx.LocalAddrPort()
		pkt := numbered(7, 32)
		dst := make([]Packet, 16)
		var failed error
		out := make([]OutPacket, 8)
		for i := range out {
			out[i] = OutPacket{Data: pkt, Addr: to}
		}
		checkNoAllocs(t, "WriteBatch+ReadBatch", func() {
			if n, err := tx.WriteBatch(out); err != nil || n != len(out) {
				failed = err
			}
			for got := 0; got < len(out); {
				n, err := rx.ReadBatch(dst)
				if err != nil {
					failed = err
					return
				}
				got += n
			}
		})
		if failed != nil {
			t.Fatal(failed)
		}
	})
}

// TestUDPBlockingNoAllocs: a round trip between a server conn and a
// dialed conn, both in blocking mode (their own sendto and recvfrom paths).
func TestUDPBlockingNoAllocs(t *testing.T) {
	srv, cli := blockingPair(t)
	defer watchdog(t, srv, cli).Stop()
	pkt := numbered(3, 64)
	sdst, cdst := make([]Packet, 8), make([]Packet, 1)
	var failed error
	checkNoAllocs(t, "blocking round trip", func() {
		if _, err := cli.Write(pkt); err != nil {
			failed = err
			return
		}
		n, err := srv.ReadBatch(sdst)
		if err != nil || n != 1 {
			failed = fmt.Errorf("server read %d, %v", n, err)
			return
		}
		if _, err := srv.WriteTo(sdst[0].Data, sdst[0].Addr); err != nil {
			failed = err
			return
		}
		if n, err := cli.ReadBatch(cdst); err != nil || n != 1 {
			failed = fmt.Errorf("client read %d, %v", n, err)
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
}

// TestUDPDropsNoAllocs reads datagrams that carry the kernel's drop count,
// as every datagram queued after a drop does on Linux.
func TestUDPDropsNoAllocs(t *testing.T) {
	bothReadPaths(t, func(t *testing.T) {
		rx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{Batch: 16, ReadBuffer: 4096})
		tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
		overflowUDP(t, rx, tx, 256)
		if runtime.GOOS == "linux" && rx.Drops() == 0 {
			t.Fatal("no drops: the datagrams would carry no count")
		}
		checkOneNoAllocs(t, tx, rx)
	})
}

// checkOneNoAllocs checks that sending one datagram from tx to rx and
// reading it allocates nothing.
func checkOneNoAllocs(t *testing.T, tx, rx *UDPConn) {
	t.Helper()
	rx.SetReadDeadline(time.Now().Add(time.Minute))
	to := rx.LocalAddrPort()
	pkt := numbered(7, 32)
	dst := make([]Packet, 16)
	var failed error
	checkNoAllocs(t, "WriteTo+ReadBatch", func() {
		if _, err := tx.WriteTo(pkt, to); err != nil {
			failed = err
		}
		if n, err := rx.ReadBatch(dst); err != nil || n != 1 {
			failed = fmt.Errorf("read %d, %v", n, err)
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
}

// TestUDPWildcardNoAllocs receives on a wildcard bind, where every
// datagram carries its destination address, and answers from that address.
func TestUDPWildcardNoAllocs(t *testing.T) {
	rx := listenUDP(t, "udp4", "0.0.0.0:0", UDPConfig{Batch: 16})
	tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{Batch: 16})
	rx.SetReadDeadline(time.Now().Add(time.Minute))
	tx.SetReadDeadline(time.Now().Add(time.Minute))
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), rx.LocalAddrPort().Port())
	pkt := numbered(7, 32)
	dst := make([]Packet, 16)
	back := make([]Packet, 16)
	var failed error
	checkNoAllocs(t, "ReadBatch+WriteToFrom", func() {
		if _, err := tx.WriteTo(pkt, to); err != nil {
			failed = err
			return
		}
		n, err := rx.ReadBatch(dst)
		if err != nil || n != 1 || dst[0].Local != to.Addr() {
			failed = fmt.Errorf("read %d, %v, local %v", n, err, dst[0].Local)
			return
		}
		if _, err := rx.WriteToFrom(pkt, dst[0].Addr, dst[0].Local); err != nil {
			failed = err
			return
		}
		if n, err := tx.ReadBatch(back); err != nil || n != 1 || back[0].Addr != to {
			failed = fmt.Errorf("answer: %d, %v, from %v", n, err, back[0].Addr)
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
}

func TestUnixgramNoAllocs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("allocation-free unixgram replies need Linux")
	}
	dir := t.TempDir()
	a := listenUnixgram(t, filepath.Join(dir, "a"), UnixConfig{Batch: 8})
	b := listenUnixgram(t, filepath.Join(dir, "b"), UnixConfig{Batch: 8})
	a.SetReadDeadline(time.Now().Add(time.Minute))
	b.SetReadDeadline(time.Now().Add(time.Minute))
	to := []byte(filepath.Join(dir, "b"))
	pkt := numbered(3, 16)
	dst := make([]Packet, 8)
	var failed error
	// a -> b, then b replies to the sender path it read.
	checkNoAllocs(t, "WriteTo+ReadBatch+reply", func() {
		if _, err := a.WriteTo(pkt, to); err != nil {
			failed = err
		}
		n, err := b.ReadBatch(dst)
		if err != nil || n != 1 {
			failed = err
			return
		}
		if _, err := b.WriteTo(dst[0].Data, dst[0].Path); err != nil {
			failed = err
		}
		if _, err := a.ReadBatch(dst); err != nil {
			failed = err
		}
	})
	if failed != nil {
		t.Fatal(failed)
	}
}

// loopReader serves the same stream forever.
type loopReader struct {
	b   []byte
	off int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p[:min(len(p), 50)], l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}

func TestStreamNoAllocs(t *testing.T) {
	pkt := []byte("/synth/1/freq\x00\x00\x00,ifsb\x00\x00\x00\x00\x00\x01\xb8\x3f\x00\x00\x00hello\x00\x00\x00\x00\x00\x00\x04\xc0\xdb\x00\x00")
	buf := make([]byte, 0, 256)
	checkNoAllocs(t, "AppendFrame", func() {
		buf = AppendFrame(buf[:0], pkt, FrameSLIP)
		buf = AppendFrame(buf[:0], pkt, FrameSizePrefix)
	})
	w := newStreamWriter(io.Discard, FrameSLIP)
	checkNoAllocs(t, "StreamWriter.WriteFrame", func() { _ = w.WriteFrame(pkt) })
	for _, f := range []Framing{FrameSLIP, FrameSizePrefix} {
		stream := AppendFrame(nil, pkt, f)
		// Odd-sized reads make frames straddle the buffer boundary too.
		sr := NewStreamReader(&loopReader{b: stream}, FrameAuto, 0)
		var failed error
		checkNoAllocs(t, "StreamReader.ReadFrame "+f.String(), func() {
			for range 100 {
				if fr, err := sr.ReadFrame(); err != nil || len(fr) != len(pkt) {
					failed = err
				}
			}
		})
		if failed != nil {
			t.Fatal(failed)
		}
	}
}
