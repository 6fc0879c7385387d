package netio

import (
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
)

// overflowUDP sends burst datagrams to rx without reading, more than its
// receive buffer holds; then it reads until rx stays empty for a while, and
// sends and reads one more datagram, which carries the kernel's drop count
// (the datagrams queued before the first drop carry none). It returns how
// many datagrams were sent and received.
//
// The burst stays well under net.core.netdev_max_backlog (1000), so that
// on loopback the socket's receive buffer is the only place that drops.
func overflowUDP(t testing.TB, rx, tx *UDPConn, burst int) (sent, got int) {
	t.Helper()
	to := rx.LocalAddrPort()
	for i := range burst + 1 {
		if i == burst {
			// Read what the socket kept before sending the last one.
			dst := make([]Packet, 64)
			for {
				if err := rx.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
					t.Fatal(err)
				}
				n, err := rx.ReadBatch(dst)
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got += n
			}
		}
		if _, err := tx.WriteTo(numbered(i, 32), to); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	dst := make([]Packet, 64)
	if err := rx.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := rx.ReadBatch(dst)
		if err != nil {
			t.Fatalf("the last datagram did not arrive: %v", err)
		}
		got += n
		if binary.BigEndian.Uint32(dst[n-1].Data) == uint32(burst) {
			return sent, got
		}
	}
}

func TestUDPDrops(t *testing.T) {
	bothReadPaths(t, func(t *testing.T) {
		rx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{Batch: 16, ReadBuffer: 4096})
		tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
		if d := rx.Drops(); d != 0 {
			t.Fatalf("Drops of a new socket = %d", d)
		}
		sent, got := overflowUDP(t, rx, tx, 256)
		drops := rx.Drops()
		t.Logf("sent %d, received %d, Drops %d", sent, got, drops)
		if runtime.GOOS != "linux" {
			if drops != 0 {
				t.Fatalf("Drops = %d off Linux, want 0", drops)
			}
			return
		}
		if got >= sent {
			t.Fatalf("the socket kept all %d datagrams; the test needs a smaller receive buffer", sent)
		}
		if drops != uint64(sent-got) {
			t.Fatalf("Drops = %d, want sent - received = %d", drops, sent-got)
		}
	})
}

func TestDropCounter(t *testing.T) {
	var d dropCounter
	for _, step := range []struct {
		see  uint32
		want uint64
	}{
		{0, 0},
		{5, 5},
		{3, 5}, // queued before the 5, read after it
		{5, 5}, // the same count again
		{12, 12},
		{1<<32 - 2, 12}, // far behind: stale, not a jump of 4 billion
		{1 << 30, 1 << 30},
		{1 << 31, 1 << 31},
		{3 << 30, 3 << 30},
		{1<<32 - 1, 1<<32 - 1},
		{3, 1<<32 + 3}, // the kernel's 32-bit counter wrapped
	} {
		d.see(step.see)
		if got := d.load(); got != step.want {
			t.Fatalf("after see(%d): %d, want %d", step.see, got, step.want)
		}
	}
}

// TestUDPDropsAtBurstEnd: losses at the end of a burst are counted before
// any datagram after them arrives (the kernel's count is asked for, not
// only read from datagrams), and Close keeps the last count.
func TestUDPDropsAtBurstEnd(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("drop counts are read on Linux only")
	}
	rx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{Batch: 16, ReadBuffer: 4096})
	tx := listenUDP(t, "udp4", "127.0.0.1:0", UDPConfig{})
	const burst = 256
	for i := range burst {
		if _, err := tx.WriteTo(numbered(i, 32), rx.LocalAddrPort()); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing read yet: the count can only come from the socket itself.
	drops := rx.Drops()
	if drops == 0 {
		t.Fatal("Drops = 0 after overflowing the receive buffer, before any read")
	}
	got := 0
	dst := make([]Packet, 64)
	for {
		if err := rx.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		n, err := rx.ReadBatch(dst)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	t.Logf("sent %d, received %d, Drops %d", burst, got, rx.Drops())
	if d := rx.Drops(); d != uint64(burst-got) {
		t.Fatalf("Drops = %d, want sent - received = %d", d, burst-got)
	}
	if err := rx.Close(); err != nil {
		t.Fatal(err)
	}
	if d := rx.Drops(); d != uint64(burst-got) {
		t.Fatalf("after Close, Drops = %d, want %d", d, burst-got)
	}
}
