package netio

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// UnixConfig configures a UnixConn. The zero value is usable.
type UnixConfig struct {
	// Batch, BufSize and ReadBuffer are as in UDPConfig (defaults 64,
	// 65536 and 4 MiB).
	Batch, BufSize, ReadBuffer int
	// ReplaceStale lets ListenUnixgram remove an existing socket file at
	// the path when no process answers on it (a leftover of a crashed
	// server). A live socket, or a file that is not a socket, is never
	// removed.
	ReplaceStale bool
	// LocalPath binds a DialUnixgram socket to this path so the server can
	// reply. When empty, on Linux the socket is autobound to an abstract
	// name; elsewhere it stays unbound and cannot receive replies.
	LocalPath string
	// Logger receives the one-time receive-buffer warning; nil means
	// slog.Default().
	Logger *slog.Logger
	// NoWait is UDPConfig.NoWait: WriteTo never waits for a peer whose
	// queue is full, it drops the datagram with ErrWouldBlock.
	NoWait bool
}

// Errors of ListenUnixgram, wrapped in an *os.PathError.
var (
	// ErrPathExists: the path exists and was not replaced (ReplaceStale
	// unset, or the file is not a socket).
	ErrPathExists = errors.New("netio: socket path already exists")
	// ErrPathInUse: a process is listening on the socket path.
	ErrPathInUse = errors.New("netio: socket path is in use by a live socket")
)

// UnixConn is a UNIX datagram socket with the same batched reads as UDPConn.
// Senders are identified by Packet.Path; reply with WriteTo(pkt, p.Path),
// which on Linux does not allocate. The socket file of a listening conn is
// removed on Close.
//
// Unlike UDP, a UNIX datagram sender blocks (or hits its write deadline)
// while the receiver's queue is full (net.unix.max_dgram_qlen datagrams,
// 10 by default on Linux): there is back-pressure instead of loss. So
// UnixConn has no Drops: the kernel drops nothing on the receiving side and
// reports no count for UNIX sockets (SO_RXQ_OVFL is accepted but never
// answered).
//
// Concurrency is as for UDPConn: one reader and any number of writers, and
// Close unblocks ReadBatch with net.ErrClosed.
type UnixConn struct {
	dgramConn
	c        *net.UnixConn
	cfg      UnixConfig
	path     string      // socket file to remove on Close ("" for none)
	fi       os.FileInfo // the file we created, to remove only our own
	dialed   bool
	closeErr error
	once     sync.Once
}

func (cfg *UnixConfig) udp() UDPConfig {
	u := UDPConfig{Batch: cfg.Batch, BufSize: cfg.BufSize, ReadBuffer: cfg.ReadBuffer, Logger: cfg.Logger, NoWait: cfg.NoWait}
	u.normalize()
	return u
}

// ListenUnixgram binds a UNIX datagram socket at path (a filesystem path,
// or "@name" for a Linux abstract socket). If the path exists the call fails
// with ErrPathExists, unless cfg.ReplaceStale is set and the file is a socket
// nobody answers on.
func ListenUnixgram(path string, cfg UnixConfig) (*UnixConn, error) {
	abstract := len(path) > 0 && path[0] == '@'
	if !abstract {
		if err := checkStale(path, cfg.ReplaceStale); err != nil {
			return nil, err
		}
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	u, err := newUnixConn(c, cfg, false)
	if err != nil {
		if !abstract {
			os.Remove(path)
		}
		return nil, err
	}
	if !abstract {
		u.path = path
		u.fi, _ = os.Lstat(path)
	}
	return u, nil
}

func checkStale(path string, replace bool) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !replace || fi.Mode().Type() != os.ModeSocket {
		return &os.PathError{Op: "listen", Path: path, Err: ErrPathExists}
	}
	probe, err := net.DialTimeout("unixgram", path, time.Second)
	if err == nil {
		probe.Close()
		return &os.PathError{Op: "listen", Path: path, Err: ErrPathInUse}
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
		// Some other failure (permissions, a stream socket...): leave it.
		return &os.PathError{Op: "listen", Path: path, Err: ErrPathExists}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// DialUnixgram opens a UNIX datagram socket connected to the socket at
// raddr, bound to cfg.LocalPath (or, on Linux, autobound) so that the peer
// can reply.
func DialUnixgram(raddr string, cfg UnixConfig) (*UnixConn, error) {
	var laddr *net.UnixAddr
	if cfg.LocalPath != "" {
		if cfg.LocalPath[0] != '@' {
			if err := checkStale(cfg.LocalPath, cfg.ReplaceStale); err != nil {
				return nil, err
			}
		}
		laddr = &net.UnixAddr{Name: cfg.LocalPath, Net: "unixgram"}
	}
	c, err := net.DialUnix("unixgram", laddr, &net.UnixAddr{Name: raddr, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	u, err := newUnixConn(c, cfg, true)
	if err != nil {
		return nil, err
	}
	if laddr == nil {
		if err := autobind(u.rc); err != nil {
			u.Close()
			return nil, err
		}
	} else if cfg.LocalPath[0] != '@' {
		u.path = cfg.LocalPath
		u.fi, _ = os.Lstat(u.path)
	}
	return u, nil
}

func newUnixConn(c *net.UnixConn, cfg UnixConfig, dialed bool) (*UnixConn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	ucfg := cfg.udp()
	u := &UnixConn{dgramConn: dgramConn{rc: rc, unx: c}, c: c, cfg: cfg, dialed: dialed}
	if ucfg.ReadBuffer > 0 {
		_ = c.SetReadBuffer(ucfg.ReadBuffer)
	}
	if err := u.initRead(&ucfg); err != nil {
		c.Close()
		return nil, err
	}
	return u, nil
}

// ReadBatch is as UDPConn.ReadBatch; Packet.Path names each sender.
func (c *UnixConn) ReadBatch(dst []Packet) (int, error) { return c.readBatch(dst) }

// WriteTo sends one datagram to the socket at path (a Packet.Path, or any
// path; "@name" is abstract). On Linux it does not allocate.
func (c *UnixConn) WriteTo(pkt, path []byte) (int, error) {
	if c.bio == nil {
		return c.c.WriteToUnix(pkt, &net.UnixAddr{Name: string(path), Net: "unixgram"})
	}
	c.wmu.Lock()
	n, err := c.bio.writeToUnix(pkt, path)
	c.wmu.Unlock()
	return n, err
}

// Write sends one datagram to the peer of a dialed conn.
func (c *UnixConn) Write(pkt []byte) (int, error) { return c.c.Write(pkt) }

// LocalAddr returns the local address (a *net.UnixAddr).
func (c *UnixConn) LocalAddr() net.Addr { return c.c.LocalAddr() }

// LocalPath returns the path the socket is bound to ("@..." when abstract or
// autobound, "" when unbound).
func (c *UnixConn) LocalPath() string {
	if c.path != "" {
		return c.path
	}
	var name string
	if err := c.rc.Control(func(fd uintptr) { name = boundName(fd) }); err != nil {
		return ""
	}
	return name
}

// batched reports whether reads use recvmmsg.
func (c *UnixConn) batched() bool { return c.bio != nil }

// SetReadDeadline sets the deadline of ReadBatch.
func (c *UnixConn) SetReadDeadline(t time.Time) error { return c.c.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of the write methods.
func (c *UnixConn) SetWriteDeadline(t time.Time) error { return c.c.SetWriteDeadline(t) }

// SetDeadline sets both deadlines.
func (c *UnixConn) SetDeadline(t time.Time) error { return c.c.SetDeadline(t) }

// Close closes the socket and removes its socket file (if it is still the
// file this conn created).
func (c *UnixConn) Close() error {
	c.once.Do(func() {
		c.closeErr = c.c.Close()
		if c.path != "" && c.fi != nil {
			if fi, err := os.Lstat(c.path); err == nil && os.SameFile(fi, c.fi) {
				os.Remove(c.path)
			}
		}
	})
	return c.closeErr
}
