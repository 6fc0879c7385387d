package netio

import (
	"errors"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// TCPConfig configures stream conns made by ListenTCP, DialTCP and
// NewStreamConn. The zero value detects the framing of what it receives and
// replies in kind (SLIP until the peer has sent something).
type TCPConfig struct {
	// Framing is the framing expected from the peer; FrameAuto detects it
	// from the first byte.
	Framing Framing
	// SendFraming is the framing of WriteFrame. FrameAuto uses the framing
	// of the peer's stream once detected (or Framing, if set), and SLIP
	// before that.
	SendFraming Framing
	// MaxFrame caps one received frame; default DefaultMaxFrame (1 MiB).
	MaxFrame int
	// ReadBufSize is the per-conn read buffer; default 64 KiB.
	ReadBufSize int
	// IdleTimeout bounds the wait for the next frame to begin; ReadFrame
	// then fails with ErrIdleTimeout. 0 means no limit.
	IdleTimeout time.Duration
	// FrameTimeout bounds the time to receive the rest of a frame once its
	// first bytes arrived; ReadFrame then fails with a FrameError wrapping
	// ErrFrameTimeout. 0 means no limit.
	FrameTimeout time.Duration
	// WriteTimeout bounds each WriteFrame. 0 means no limit.
	WriteTimeout time.Duration
}

// Timeout errors of StreamConn.ReadFrame. Both also match
// os.ErrDeadlineExceeded.
var (
	ErrIdleTimeout  = &timeoutError{"netio: stream idle timeout"}
	ErrFrameTimeout = &timeoutError{"netio: stream stalled inside a frame"}
)

type timeoutError struct{ s string }

func (e *timeoutError) Error() string        { return e.s }
func (e *timeoutError) Timeout() bool        { return true }
func (e *timeoutError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// TCPListener accepts TCP connections as StreamConns.
type TCPListener struct {
	ln  *net.TCPListener
	cfg TCPConfig
}

// ListenTCP listens on addr for network "tcp", "tcp4" or "tcp6".
func ListenTCP(network, addr string, cfg TCPConfig) (*TCPListener, error) {
	a, err := net.ResolveTCPAddr(network, addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenTCP(network, a)
	if err != nil {
		return nil, err
	}
	return &TCPListener{ln: ln, cfg: cfg}, nil
}

// Accept waits for the next connection.
func (l *TCPListener) Accept() (*StreamConn, error) {
	c, err := l.ln.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return NewStreamConn(c, l.cfg), nil
}

// Addr returns the listening address.
func (l *TCPListener) Addr() net.Addr { return l.ln.Addr() }

// Close stops listening; conns already accepted stay open.
func (l *TCPListener) Close() error { return l.ln.Close() }

// DialTCP connects to addr.
func DialTCP(network, addr string, cfg TCPConfig) (*StreamConn, error) {
	c, err := net.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return NewStreamConn(c, cfg), nil
}

// StreamConn carries OSC packets over a stream conn (TCP, UNIX stream).
// One goroutine may call ReadFrame while any number call WriteFrame; each
// frame is written whole, so concurrent replies never interleave.
//
// Memory per conn is bounded by the read buffer plus MaxFrame. When
// ReadFrame returns an error that is not a recoverable *FrameError, the
// caller should Close the conn.
//
// # Lifetime
//
// The frame returned by ReadFrame is valid until the next ReadFrame.
type StreamConn struct {
	c        net.Conn
	cfg      TCPConfig
	r        *StreamReader
	w        *StreamWriter
	detected atomic.Uint32 // receive framing once known

	dr      deadlineReader
	lastDL  time.Time
	frameDL time.Time
}

// NewStreamConn wraps c. The StreamConn owns c from then on.
func NewStreamConn(c net.Conn, cfg TCPConfig) *StreamConn {
	s := &StreamConn{c: c, cfg: cfg}
	s.dr.s = s
	s.r = NewStreamReaderSize(&s.dr, cfg.Framing, cfg.MaxFrame, cfg.ReadBufSize)
	send := cfg.SendFraming
	if send == FrameAuto {
		send = FrameSLIP
	}
	s.w = NewStreamWriter(c, send)
	s.detected.Store(uint32(cfg.Framing))
	return s
}

// deadlineReader applies the idle and frame timeouts before each read.
type deadlineReader struct{ s *StreamConn }

func (d *deadlineReader) Read(p []byte) (int, error) {
	s := d.s
	if s.cfg.IdleTimeout > 0 || s.cfg.FrameTimeout > 0 {
		var dl time.Time
		if s.r.InFrame() {
			if s.cfg.FrameTimeout > 0 {
				if s.frameDL.IsZero() {
					s.frameDL = time.Now().Add(s.cfg.FrameTimeout)
				}
				dl = s.frameDL
			}
		} else {
			s.frameDL = time.Time{}
			if s.cfg.IdleTimeout > 0 {
				dl = time.Now().Add(s.cfg.IdleTimeout)
			}
		}
		if !dl.Equal(s.lastDL) {
			if err := s.c.SetReadDeadline(dl); err != nil {
				return 0, err
			}
			s.lastDL = dl
		}
	}
	return s.c.Read(p)
}

// ReadFrame returns the next frame; see StreamReader.ReadFrame for the
// errors, plus ErrIdleTimeout and ErrFrameTimeout.
func (s *StreamConn) ReadFrame() ([]byte, error) {
	f, err := s.r.ReadFrame()
	if d := uint32(s.r.Framing()); d != s.detected.Load() {
		s.detected.Store(d)
	}
	if err != nil && (s.cfg.IdleTimeout > 0 || s.cfg.FrameTimeout > 0) && errors.Is(err, os.ErrDeadlineExceeded) {
		if s.r.InFrame() {
			return nil, &FrameError{Offset: s.r.Offset(), Err: ErrFrameTimeout}
		}
		return nil, ErrIdleTimeout
	}
	return f, err
}

// WriteFrame frames pkt and writes it whole.
func (s *StreamConn) WriteFrame(pkt []byte) error {
	f := s.cfg.SendFraming
	if f == FrameAuto {
		f = Framing(s.detected.Load())
	}
	if s.cfg.WriteTimeout > 0 {
		return s.w.writeFrame(pkt, f, s.c, s.cfg.WriteTimeout)
	}
	return s.w.writeFrame(pkt, f, nil, 0)
}

// Framing returns the framing of the received stream (FrameAuto until
// detected).
func (s *StreamConn) Framing() Framing { return Framing(s.detected.Load()) }

// LocalAddr returns the local address.
func (s *StreamConn) LocalAddr() net.Addr { return s.c.LocalAddr() }

// RemoteAddr returns the peer's address.
func (s *StreamConn) RemoteAddr() net.Addr { return s.c.RemoteAddr() }

// NetConn returns the underlying conn (for deadlines or socket options).
func (s *StreamConn) NetConn() net.Conn { return s.c }

// Close closes the conn; a pending ReadFrame returns an error.
func (s *StreamConn) Close() error { return s.c.Close() }
