package netio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func listenTCP(t *testing.T, cfg TCPConfig) *tcpListener {
	t.Helper()
	l, err := listenStreams("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// acceptOne accepts one conn within 5 s.
func acceptOne(t *testing.T, l *tcpListener) *StreamConn {
	t.Helper()
	l.ln.SetDeadline(time.Now().Add(5 * time.Second))
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.NetConn().SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

func TestTCPFramings(t *testing.T) {
	for _, send := range []Framing{FrameSLIP, FrameSizePrefix} {
		for _, recv := range []Framing{FrameAuto, send} {
			t.Run(send.String()+"/recv-"+recv.String(), func(t *testing.T) {
				l := listenTCP(t, TCPConfig{Framing: recv})
				cli, err := dialTCP("tcp", l.Addr().String(), TCPConfig{SendFraming: send})
				if err != nil {
					t.Fatal(err)
				}
				defer cli.Close()
				cli.NetConn().SetDeadline(time.Now().Add(10 * time.Second))
				srv := acceptOne(t, l)
				const N = 50
				go func() {
					for i := range N {
						// Include SLIP special bytes.
						p := append(numbered(i, 4*(i+1)), 0xC0, 0xDB, 0xC0, 0xDB)
						if err := cli.WriteFrame(p); err != nil {
							t.Error(err)
							return
						}
					}
				}()
				for i := range N {
					f, err := srv.ReadFrame()
					if err != nil {
						t.Fatalf("frame %d: %v", i, err)
					}
					want := append(numbered(i, 4*(i+1)), 0xC0, 0xDB, 0xC0, 0xDB)
					if !bytes.Equal(f, want) {
						t.Fatalf("frame %d: %x", i, f)
					}
				}
				if srv.Framing() != send {
					t.Fatalf("server framing %v, want %v", srv.Framing(), send)
				}
				// The reply mirrors the peer's framing.
				if err := srv.WriteFrame([]byte("/ok\x00")); err != nil {
					t.Fatal(err)
				}
				f, err := cli.ReadFrame()
				if err != nil || string(f) != "/ok\x00" || cli.Framing() != send {
					t.Fatalf("reply %q %v, client detected %v", f, err, cli.Framing())
				}
			})
		}
	}
}

// rawPeer dials l and returns the raw client conn and the accepted server
// StreamConn.
func rawPeer(t *testing.T, cfg TCPConfig) (net.Conn, *StreamConn) {
	t.Helper()
	l := listenTCP(t, cfg)
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw, acceptOne(t, l)
}

func TestTCPHugeSizePrefix(t *testing.T) {
	raw, srv := rawPeer(t, TCPConfig{})
	raw.Write([]byte{0x7f, 0xff, 0xff, 0xfc, 1, 2, 3, 4})
	var m0, m1 runtimeMem
	m0.read()
	_, err := srv.ReadFrame()
	m1.read()
	var fe *FrameError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFrameTooLarge) || fe.Recoverable || fe.Size != 0x7ffffffc {
		t.Fatalf("got %v", err)
	}
	if d := m1.total - m0.total; d > 1<<20 {
		t.Fatalf("allocated %d bytes for a hostile prefix", d)
	}
}

func TestTCPDisconnectMidFrame(t *testing.T) {
	for _, f := range []Framing{FrameSLIP, FrameSizePrefix} {
		t.Run(f.String(), func(t *testing.T) {
			raw, srv := rawPeer(t, TCPConfig{})
			full := AppendFrame(nil, []byte("/abc,\x00\x00\x00"), f)
			raw.Write(full)
			raw.Write(full[:len(full)-3])
			raw.Close()
			if fr, err := srv.ReadFrame(); err != nil || string(fr) != "/abc,\x00\x00\x00" {
				t.Fatalf("first frame %q %v", fr, err)
			}
			_, err := srv.ReadFrame()
			if !errors.Is(err, ErrPartialFrame) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestTCPCleanEOF(t *testing.T) {
	raw, srv := rawPeer(t, TCPConfig{})
	raw.Write(AppendFrame(nil, []byte("/a\x00\x00"), FrameSLIP))
	raw.Close()
	if _, err := srv.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ReadFrame(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}

func TestTCPIdleTimeout(t *testing.T) {
	_, srv := rawPeer(t, TCPConfig{IdleTimeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := srv.ReadFrame()
	if !errors.Is(err, ErrIdleTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("idle timeout took %v", d)
	}
}

func TestTCPFrameTimeout(t *testing.T) {
	for _, f := range []Framing{FrameSLIP, FrameSizePrefix} {
		t.Run(f.String(), func(t *testing.T) {
			raw, srv := rawPeer(t, TCPConfig{FrameTimeout: 80 * time.Millisecond, IdleTimeout: 10 * time.Second})
			full := AppendFrame(nil, []byte("/abcdefg\x00\x00\x00\x00"), f)
			raw.Write(full[:6])
			_, err := srv.ReadFrame()
			var fe *FrameError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFrameTimeout) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestTCPConcurrentWriters(t *testing.T) {
	l := listenTCP(t, TCPConfig{})
	cli, err := dialTCP("tcp", l.Addr().String(), TCPConfig{SendFraming: FrameSizePrefix, WriteTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	srv := acceptOne(t, l)
	const G, N = 4, 100
	wg := startWriters(t, G, N, func(g int) []byte {
		return bytes.Repeat([]byte{byte(g + 1)}, 4000)
	}, cli.WriteFrame)
	for i := range G * N {
		f, err := srv.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if len(f) != 4000 || !bytes.Equal(f, bytes.Repeat(f[:1], 4000)) {
			t.Fatalf("frame %d interleaved", i)
		}
	}
	wg.Wait()
}
