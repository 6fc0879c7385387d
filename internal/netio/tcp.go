package netio

import (
	"errors"
	"net"
	"os"
	"sync"
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
	// WriteTimeout bounds each write to the socket. 0 means no limit for
	// a synchronous conn, DefaultWriteTimeout with a SendQueue.
	WriteTimeout time.Duration
	// SendQueue, when positive, makes WriteFrame never block: frames are
	// appended to a queue of at most SendQueue bytes (one frame larger than
	// that is taken when the queue is empty) and a goroutine of the conn
	// writes them, each write bounded by WriteTimeout. A frame that does
	// not fit is refused with ErrSendQueueFull (the conn stays open: a
	// burst is not a slow peer); a peer that does not read, so that a write
	// times out, is disconnected: the conn is closed and WriteFrame and
	// SendErr report ErrSlowPeer. Besides the queue, at most one batch of
	// frames is in flight. Zero means that WriteFrame writes in the
	// caller's goroutine.
	SendQueue int
}

// DefaultWriteTimeout bounds a queued write (TCPConfig.SendQueue) when
// TCPConfig.WriteTimeout is zero.
const DefaultWriteTimeout = 5 * time.Second

// Send errors of a StreamConn with a SendQueue. ErrSlowPeer: the peer did
// not read its frames in time, and the conn was closed. ErrSendQueueFull:
// the queue could not take one more frame, which was dropped.
var (
	ErrSlowPeer      = errors.New("netio: peer does not read its frames: disconnected")
	ErrSendQueueFull = errors.New("netio: send queue full: frame dropped")
)

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

// tcpListener accepts TCP connections as StreamConns. It is the low-level
// building block: with a zero TCPConfig its conns have no timeouts and
// write synchronously, so one peer that stops reading can block a writer.
// osc.Server sets timeouts and a SendQueue for every connection.
type tcpListener struct {
	ln  *net.TCPListener
	cfg TCPConfig
}

// listenStreams listens on addr for network "tcp", "tcp4" or "tcp6".
func listenStreams(network, addr string, cfg TCPConfig) (*tcpListener, error) {
	a, err := net.ResolveTCPAddr(network, addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenTCP(network, a)
	if err != nil {
		return nil, err
	}
	return &tcpListener{ln: ln, cfg: cfg}, nil
}

// Accept waits for the next connection.
func (l *tcpListener) Accept() (*StreamConn, error) {
	c, err := l.ln.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return NewStreamConn(c, l.cfg), nil
}

// Addr returns the listening address.
func (l *tcpListener) Addr() net.Addr { return l.ln.Addr() }

// Close stops listening; conns already accepted stay open.
func (l *tcpListener) Close() error { return l.ln.Close() }

// dialTCP connects to addr.
func dialTCP(network, addr string, cfg TCPConfig) (*StreamConn, error) {
	c, err := net.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return NewStreamConn(c, cfg), nil
}

// StreamConn carries OSC packets over a stream conn (TCP, UNIX stream).
// It is the one stream implementation of osckit: framing, timeouts, buffers
// and the send path of servers and clients alike.
//
// One goroutine may call ReadFrame while any number call WriteFrame; each
// frame is written whole, so concurrent replies never interleave. With a
// SendQueue, WriteFrame never blocks and a slow peer is disconnected
// instead (see TCPConfig.SendQueue).
//
// Memory per conn is bounded by the read buffer (grown on demand) plus
// MaxFrame, plus the SendQueue and one batch in flight. When ReadFrame
// returns an error that is not a recoverable *FrameError, the caller should
// Close the conn.
//
// # Lifetime
//
// The frame returned by ReadFrame is valid until the next ReadFrame.
type StreamConn struct {
	c        net.Conn
	cfg      TCPConfig
	r        *StreamReader
	w        *streamWriter
	detected atomic.Uint32 // receive framing once known

	dr      deadlineReader
	lastDL  time.Time
	frameDL time.Time

	q         sendQueue
	ws        *wsState // a WebSocket: one message per frame
	closeOnce sync.Once
	closed    chan struct{}
}

// sendQueue is the bounded queue of a StreamConn with a SendQueue.
type sendQueue struct {
	mu      sync.Mutex
	pending []byte // framed bytes waiting for the writer
	spare   []byte // the writer's batch, then reused
	err     error  // sticky: the conn is closed
	started bool   // the writer goroutine runs
	writing bool   // a batch is being written
	kick    chan struct{}
	idle    chan struct{} // closed when the queue has been written out, for every Flush waiting (nil when none waits)
	done    chan struct{} // closed when the writer returns
}

// NewStreamConn wraps c. The StreamConn owns c from then on.
func NewStreamConn(c net.Conn, cfg TCPConfig) *StreamConn {
	s := &StreamConn{c: c, cfg: cfg, closed: make(chan struct{})}
	s.dr.s = s
	if cfg.SendQueue > 0 {
		if s.cfg.WriteTimeout <= 0 {
			s.cfg.WriteTimeout = DefaultWriteTimeout
		}
		s.q.kick = make(chan struct{}, 1)
		s.q.done = make(chan struct{})
	}
	s.r = newStreamReaderSize(&s.dr, cfg.Framing, cfg.MaxFrame, cfg.ReadBufSize)
	send := cfg.SendFraming
	if send == FrameAuto {
		send = FrameSLIP
	}
	s.w = newStreamWriter(c, send)
	s.detected.Store(uint32(cfg.Framing))
	return s
}

// deadlineReader applies the idle and frame timeouts before each read.
type deadlineReader struct{ s *StreamConn }

func (d *deadlineReader) Read(p []byte) (int, error) {
	s := d.s
	if s.cfg.IdleTimeout > 0 || s.cfg.FrameTimeout > 0 {
		var dl time.Time
		if s.r.midFrame() {
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
	// FrameTimeout runs from each frame's first byte: the next Read that
	// finds a frame begun arms it anew, even when the frame's first bytes
	// came with the previous frame's last.
	if s.ws != nil {
		return s.wsReadFrame()
	}
	s.frameDL = time.Time{}
	f, err := s.r.ReadFrame()
	if d := uint32(s.r.Framing()); d != s.detected.Load() {
		s.detected.Store(d)
	}
	if err == nil {
		return f, nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if s.cfg.IdleTimeout > 0 || s.cfg.FrameTimeout > 0 {
			if s.r.midFrame() {
				err = &FrameError{Offset: s.r.Offset(), Err: ErrFrameTimeout}
			} else {
				err = ErrIdleTimeout
			}
		}
		return nil, err // reading may go on after a deadline of the caller's
	}
	if fe, ok := err.(*FrameError); !ok || !fe.Recoverable {
		// The stream is over: its buffers are of no more use, and the conn
		// may stay referenced (by a queued reply's origin) for long.
		s.r.release(err)
	}
	return nil, err
}

// WriteFrame frames pkt and writes it whole, or, with a SendQueue, queues
// it and returns at once. It does not retain pkt.
func (s *StreamConn) WriteFrame(pkt []byte) error {
	f := s.cfg.SendFraming
	if f == FrameAuto {
		f = Framing(s.detected.Load())
	}
	if s.cfg.SendQueue > 0 {
		return s.queueFrame(pkt, f)
	}
	if s.ws != nil {
		s.ws.wmu.Lock()
		defer s.ws.wmu.Unlock()
		return s.wsWrite(pkt)
	}
	if s.cfg.WriteTimeout > 0 {
		return s.w.writeFrame(pkt, f, s.c, s.cfg.WriteTimeout)
	}
	return s.w.writeFrame(pkt, f, nil, 0)
}

// Framing returns the framing of the received stream (FrameAuto until
// detected).
func (s *StreamConn) Framing() Framing { return Framing(s.detected.Load()) }

// Buffered returns the number of bytes read from the stream but not yet
// returned in frames: more frames may be waiting.
func (s *StreamConn) Buffered() int { return s.r.Buffered() }

// LocalAddr returns the local address.
func (s *StreamConn) LocalAddr() net.Addr { return s.c.LocalAddr() }

// RemoteAddr returns the peer's address.
func (s *StreamConn) RemoteAddr() net.Addr { return s.c.RemoteAddr() }

// NetConn returns the underlying conn (for deadlines or socket options).
func (s *StreamConn) NetConn() net.Conn { return s.c }

// SendErr returns the error that stopped the conn's queued sending
// (ErrSlowPeer, or the socket's write error), or nil.
func (s *StreamConn) SendErr() error {
	if s.cfg.SendQueue <= 0 {
		return nil
	}
	s.q.mu.Lock()
	defer s.q.mu.Unlock()
	return s.q.err
}

// queueFrame appends pkt, framed with f, to the send queue and wakes the
// writer, starting it at the first frame.
func (s *StreamConn) queueFrame(pkt []byte, f Framing) error {
	q := &s.q
	q.mu.Lock()
	if q.err != nil {
		err := q.err
		q.mu.Unlock()
		return err
	}
	if len(q.pending) > 0 && len(q.pending)+frameLen(pkt, f) > s.cfg.SendQueue {
		q.mu.Unlock()
		return ErrSendQueueFull
	}
	q.pending = AppendFrame(q.pending, pkt, f)
	start := !q.started
	q.started = true
	q.mu.Unlock()
	if start {
		go s.writeLoop()
	}
	select {
	case q.kick <- struct{}{}:
	default:
	}
	return nil
}

// keepSendBuf is the largest send buffer a conn keeps between writes;
// larger ones, grown by a burst, are released once written.
const keepSendBuf = 16 << 10

// writeLoop is the writer goroutine of a conn with a SendQueue: it writes
// everything queued in one write, bounded by WriteTimeout, until the conn
// closes or a write fails.
func (s *StreamConn) writeLoop() {
	q := &s.q
	defer close(q.done)
	for {
		select {
		case <-q.kick:
		case <-s.closed:
			return
		}
		for {
			q.mu.Lock()
			if len(q.pending) == 0 || q.err != nil {
				q.mu.Unlock()
				break
			}
			q.pending, q.spare = q.spare[:0], q.pending
			batch := q.spare
			q.writing = true
			q.mu.Unlock()
			if err := s.writeBatch(batch); err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					err = ErrSlowPeer
				}
				q.mu.Lock()
				if q.err == nil {
					q.err = err
				}
				q.mu.Unlock()
				s.c.Close()
				return
			}
			q.mu.Lock()
			q.writing = false
			if cap(batch) > keepSendBuf {
				q.spare = nil // a burst: do not keep its memory
			}
			if len(q.pending) == 0 && q.idle != nil {
				close(q.idle)
				q.idle = nil
			}
			q.mu.Unlock()
		}
	}
}

// writeBatch writes a batch of queued frames, bounded by WriteTimeout.
func (s *StreamConn) writeBatch(batch []byte) error {
	if s.ws != nil {
		return s.wsWriteBatch(batch)
	}
	_ = s.c.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	_, err := s.c.Write(batch)
	return err
}

// Flush waits until every frame queued so far has been written to the
// socket, or until deadline. It returns nil, the send error, or
// os.ErrDeadlineExceeded. Without a SendQueue it returns nil at once.
func (s *StreamConn) Flush(deadline time.Time) error {
	if s.cfg.SendQueue <= 0 {
		return nil
	}
	q := &s.q
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		q.mu.Lock()
		err, empty := q.err, len(q.pending) == 0 && !q.writing
		if err == nil && !empty && q.idle == nil {
			q.idle = make(chan struct{})
		}
		idle := q.idle
		q.mu.Unlock()
		switch {
		case err != nil:
			return err
		case empty:
			return nil
		}
		select {
		case <-idle:
		case <-q.done: // the writer returned: its error is set
		case <-s.closed:
		case <-t.C:
			return os.ErrDeadlineExceeded
		}
	}
}

// CloseRead stops reading: a pending or later ReadFrame ends (io.EOF on
// TCP) while frames can still be written, for a graceful close.
//
// On a WebSocket, the frames queued are written first (within the write
// timeout), then the close handshake (status 1001, going away) ends the
// pending ReadFrame with io.EOF; frames queued after that are dropped.
func (s *StreamConn) CloseRead() error {
	if s.ws != nil {
		return s.wsCloseRead()
	}
	if cr, ok := s.c.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return s.c.Close()
}

// Close closes the conn; a pending ReadFrame returns an error. Frames still
// queued are dropped. Close waits for the writer goroutine to return.
func (s *StreamConn) Close() error {
	err := net.ErrClosed
	s.closeOnce.Do(func() {
		close(s.closed)
		err = s.c.Close()
		s.q.mu.Lock()
		started := s.q.started
		if s.q.err == nil {
			s.q.err = net.ErrClosed
		}
		s.q.pending, s.q.spare = nil, nil
		s.q.mu.Unlock()
		if started {
			<-s.q.done
		}
		if s.ws != nil {
			s.wsClose()
		}
	})
	return err
}
