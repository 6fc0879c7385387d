package netio

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// listenUnixgram opens a unixgram socket at path, closed when the test ends.
func listenUnixgram(t testing.TB, path string, cfg UnixConfig) *UnixConn {
	t.Helper()
	c, err := ListenUnixgram(path, cfg)
	if err != nil {
		t.Fatalf("ListenUnixgram %s: %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestUnixgramStalePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")
	// A stale socket: package net leaves unixgram socket files behind.
	old, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	// While it is alive, even ReplaceStale refuses.
	if _, err := ListenUnixgram(path, UnixConfig{ReplaceStale: true}); !errors.Is(err, ErrPathInUse) {
		t.Fatalf("live socket: %v", err)
	}
	old.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("expected a stale socket file: %v", err)
	}
	_, err = ListenUnixgram(path, UnixConfig{})
	var pe *os.PathError
	if !errors.Is(err, ErrPathExists) || !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("stale path without ReplaceStale: %v", err)
	}
	c, err := ListenUnixgram(path, UnixConfig{ReplaceStale: true})
	if err != nil {
		t.Fatalf("ReplaceStale: %v", err)
	}
	if c.LocalPath() != path {
		t.Fatalf("LocalPath %q", c.LocalPath())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file not removed on Close: %v", err)
	}
	// A regular file is never replaced.
	reg := filepath.Join(dir, "file")
	if err := os.WriteFile(reg, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenUnixgram(reg, UnixConfig{ReplaceStale: true}); !errors.Is(err, ErrPathExists) {
		t.Fatalf("regular file: %v", err)
	}
	if b, err := os.ReadFile(reg); err != nil || string(b) != "keep" {
		t.Fatalf("regular file damaged: %q %v", b, err)
	}
}

func TestUnixgramReply(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		for _, bound := range []bool{false, true} {
			name := map[bool]string{false: "mmsg", true: "fallback"}[fallback] + map[bool]string{false: "/autobind", true: "/path"}[bound]
			t.Run(name, func(t *testing.T) {
				if fallback {
					t.Setenv("OSC_DISABLE_MMSG", "1")
				}
				if !bound && runtime.GOOS != "linux" {
					t.Skip("autobind is Linux only")
				}
				dir := t.TempDir()
				srv := listenUnixgram(t, filepath.Join(dir, "srv"), UnixConfig{Batch: 8})
				cfg := UnixConfig{}
				if bound {
					cfg.LocalPath = filepath.Join(dir, "cli")
				}
				cli, err := DialUnixgram(filepath.Join(dir, "srv"), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer cli.Close()
				lp := cli.LocalPath()
				if bound && lp != cfg.LocalPath || !bound && !strings.HasPrefix(lp, "@") {
					t.Fatalf("client LocalPath %q", lp)
				}
				// Stay below net.unix.max_dgram_qlen (10): a full queue blocks
				// unixgram senders.
				const N = 8
				cli.SetWriteDeadline(time.Now().Add(5 * time.Second))
				for i := range N {
					if _, err := cli.Write(numbered(i, 24)); err != nil {
						t.Fatal(err)
					}
				}
				got, maxB := readN(t, srv, N)
				for i, p := range got {
					if !bytes.Equal(p.Data, numbered(i, 24)) || string(p.Path) != lp || p.Addr.IsValid() {
						t.Fatalf("packet %d: %x from %q (want %q)", i, p.Data, p.Path, lp)
					}
				}
				if srv.batched() && maxB < 2 {
					t.Fatalf("largest batch %d", maxB)
				}
				if _, err := srv.WriteTo([]byte("reply"), got[0].Path); err != nil {
					t.Fatal(err)
				}
				r, _ := readN(t, cli, 1)
				if string(r[0].Data) != "reply" || string(r[0].Path) != srv.LocalPath() {
					t.Fatalf("client got %q from %q", r[0].Data, r[0].Path)
				}
			})
		}
	}
}

func TestUnixgramCloseWhileReading(t *testing.T) {
	c, err := ListenUnixgram(filepath.Join(t.TempDir(), "s"), UnixConfig{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadBatch(make([]Packet, 4))
		done <- err
	}()
	c.Close()
	requireClosedErr(t, done, "ReadBatch after Close")
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
