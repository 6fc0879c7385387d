package netio

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"sync"
	"time"
)

var errUnexpectedEOF = io.ErrUnexpectedEOF

var netipZero netip.AddrPort

// defaultStreamBuf is the largest read buffer of a StreamReader;
// initialStreamBuf the one it starts with, at its first read.
const (
	defaultStreamBuf = 64 << 10
	initialStreamBuf = 512
)

// maxEmptyReads bounds consecutive (0, nil) reads before io.ErrNoProgress.
const maxEmptyReads = 100

// StreamReader splits a byte stream into OSC packets (frames). It reads
// through a buffer: a frame that lies wholly inside the buffer is returned
// as a view of it with no copy (SLIP escapes are decoded in place); a frame
// split across reads is assembled with one copy into a second buffer that
// grows up to the frame cap as its bytes arrive. Memory stays bounded by the
// read buffer plus the cap, whatever the peer sends; a size prefix is
// checked before anything is allocated for it.
//
// The read buffer is allocated at the first read, small (512 bytes), and
// doubles up to its size limit while reads keep filling it, so an idle
// stream costs next to nothing and a busy one reads in large chunks. An
// assembly buffer grown past the read buffer's limit for one large frame is
// released when the next frame is asked for.
//
// A StreamReader is not safe for concurrent use.
//
// # Lifetime
//
// The slice returned by ReadFrame aliases the reader's buffers and is valid
// only until the next call to ReadFrame or Reset. Copy it (bytes.Clone) to
// retain it.
type StreamReader struct {
	r       io.Reader
	conf    Framing // framing asked for
	framing Framing // framing in use (FrameAuto until detected)
	max     int

	buf        []byte
	bufMax     int   // limit of buf's growth
	grow       bool  // the last read filled buf: double it before the next
	start, end int   // unread bytes are buf[start:end]
	base       int64 // stream offset of buf[0]
	rerr       error // read error held back because data came with it

	frame    []byte // assembly buffer for split frames
	frameOff int64  // stream offset of the frame being assembled

	// SLIP state.
	inFrame bool // a frame started in an earlier read
	pendEsc bool // the last byte seen was ESC
	skip    bool // dropping bytes up to the next END

	// Size-prefix state.
	want int // size of the frame being assembled; 0 while reading a prefix

	err error // sticky fatal error
}

// NewStreamReader returns a reader of frames from r. f is the framing to
// expect, or FrameAuto to detect it from the first byte (0xC0 means SLIP,
// anything else a size prefix). maxFrame caps one frame; <= 0 means
// DefaultMaxFrame.
func NewStreamReader(r io.Reader, f Framing, maxFrame int) *StreamReader {
	return newStreamReaderSize(r, f, maxFrame, 0)
}

// newStreamReaderSize is NewStreamReader with a read buffer that grows up
// to bufSize bytes (default 64 KiB; at least 512). Frames larger than the
// buffer are still read, with one copy.
func newStreamReaderSize(r io.Reader, f Framing, maxFrame, bufSize int) *StreamReader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	if bufSize <= 0 {
		bufSize = defaultStreamBuf
	}
	bufSize = max(min(bufSize, maxFrame+4), initialStreamBuf)
	return &StreamReader{r: r, conf: f, framing: f, max: maxFrame, bufMax: bufSize}
}

// Reset discards all state and makes s read a new stream from r with the
// same configuration, keeping the buffers.
func (s *StreamReader) Reset(r io.Reader) {
	*s = StreamReader{r: r, conf: s.conf, framing: s.conf, max: s.max, buf: s.buf, bufMax: s.bufMax, frame: s.frame[:0]}
}

// Framing returns the framing in use: the one configured, or the one
// detected, or FrameAuto before the first byte arrived.
func (s *StreamReader) Framing() Framing { return s.framing }

// Offset returns the number of stream bytes consumed so far.
func (s *StreamReader) Offset() int64 { return s.base + int64(s.start) }

// Buffered returns the number of bytes read from the stream but not yet
// consumed.
func (s *StreamReader) Buffered() int { return s.end - s.start }

// midFrame reports whether part of a frame has been read: a timeout now
// means the peer stalled mid-frame.
func (s *StreamReader) midFrame() bool {
	// SLIP reads more only once the buffer is consumed, moving a partial
	// frame to the assembly buffer (inFrame); a size prefix may wait with a
	// partial prefix buffered.
	return s.inFrame || s.want > 0 || (s.framing == FrameSizePrefix && s.end > s.start)
}

// ReadFrame returns the next frame. See the type's # Lifetime section.
//
// At a clean end of stream (between frames) it returns io.EOF. Framing
// failures are *FrameError values: if Recoverable, only that frame was dropped
// and reading may continue; otherwise the error is sticky and the connection
// should be closed. Errors of the underlying reader (timeouts, resets) are
// returned as they are, and reading may be retried after a timeout.
func (s *StreamReader) ReadFrame() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if cap(s.frame) > s.bufMax && s.want == 0 && !s.inFrame {
		s.frame = nil // the last frame was a large one: do not keep its memory
	}
	if s.framing == FrameAuto {
		if s.start == s.end {
			if err := s.fill(); err != nil {
				return nil, err
			}
		}
		if s.buf[s.start] == slipEnd {
			s.framing = FrameSLIP
		} else {
			s.framing = FrameSizePrefix
		}
	}
	if s.framing == FrameSizePrefix {
		return s.readSize()
	}
	return s.readSLIP()
}

// fill reads more bytes into the buffer, compacting it when full.
func (s *StreamReader) fill() error {
	if s.rerr != nil {
		err := s.rerr
		s.rerr = nil
		return err
	}
	if s.start == s.end {
		s.base += int64(s.end)
		s.start, s.end = 0, 0
	} else if s.end == len(s.buf) {
		n := copy(s.buf, s.buf[s.start:s.end])
		s.base += int64(s.start)
		s.start, s.end = 0, n
	}
	if s.buf == nil || (s.grow && len(s.buf) < s.bufMax) {
		s.growBuf()
	}
	for range maxEmptyReads {
		room := len(s.buf) - s.end
		n, err := s.r.Read(s.buf[s.end:])
		if n < 0 || n > room {
			return io.ErrShortBuffer // misbehaving reader
		}
		s.end += n
		s.grow = n == room
		if n > 0 {
			s.rerr = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// release drops the buffers of a reader whose stream is over; err stays
// its answer to every later ReadFrame.
func (s *StreamReader) release(err error) {
	if s.err == nil {
		s.err = err
	}
	s.buf, s.frame = nil, nil
	s.start, s.end = 0, 0
}

// growBuf allocates the first read buffer, or doubles it up to bufMax,
// keeping the unread bytes.
func (s *StreamReader) growBuf() {
	n := min(max(2*len(s.buf), initialStreamBuf), s.bufMax)
	b := make([]byte, n)
	s.end = copy(b, s.buf[s.start:s.end])
	s.base += int64(s.start)
	s.start = 0
	s.buf = b
	s.grow = false
}

func (s *StreamReader) fatal(e *FrameError) error {
	s.err = e
	return e
}

func (s *StreamReader) readSize() ([]byte, error) {
	if s.want == 0 {
		for s.end-s.start < 4 {
			if err := s.fill(); err != nil {
				if err == io.EOF && s.end > s.start {
					return nil, s.fatal(&FrameError{Offset: s.Offset(), Err: ErrPartialFrame})
				}
				return nil, err
			}
		}
		off := s.Offset()
		n := int64(int32(binary.BigEndian.Uint32(s.buf[s.start:])))
		if n <= 0 || n%4 != 0 {
			return nil, s.fatal(&FrameError{Offset: off, Size: n, Err: ErrFrameSize})
		}
		if n > int64(s.max) {
			return nil, s.fatal(&FrameError{Offset: off, Size: n, Err: ErrFrameTooLarge})
		}
		s.start += 4
		if int(n) <= s.end-s.start {
			p := s.buf[s.start : s.start+int(n) : s.start+int(n)]
			s.start += int(n)
			return p, nil
		}
		// Split frame: assemble a copy, growing only as bytes arrive.
		s.want = int(n)
		s.frameOff = off
		s.frame = append(s.frame[:0], s.buf[s.start:s.end]...)
		s.start = s.end
	}
	for len(s.frame) < s.want {
		if err := s.fill(); err != nil {
			if err == io.EOF {
				return nil, s.fatal(&FrameError{Offset: s.frameOff, Size: int64(s.want), Err: ErrPartialFrame})
			}
			return nil, err
		}
		k := min(s.want-len(s.frame), s.end-s.start)
		s.frame = append(s.frame, s.buf[s.start:s.start+k]...)
		s.start += k
	}
	s.want = 0
	return s.frame, nil
}

func (s *StreamReader) readSLIP() ([]byte, error) {
	for {
		if s.start == s.end {
			if err := s.fill(); err != nil {
				if err == io.EOF && s.inFrame && !s.skip {
					s.inFrame = false
					return nil, s.fatal(&FrameError{Offset: s.frameOff, Size: int64(len(s.frame)), Err: ErrPartialFrame})
				}
				return nil, err
			}
		}
		seg := s.buf[s.start:s.end]
		i := bytes.IndexByte(seg, slipEnd)
		if i < 0 {
			// The frame continues in the next read.
			if !s.inFrame {
				s.inFrame = true
				s.pendEsc = false
				s.frameOff = s.Offset()
				s.frame = s.frame[:0]
			}
			segOff := s.Offset()
			s.start = s.end
			if !s.skip {
				if err := s.appendSLIP(seg, segOff); err != nil {
					s.skip = true
					return nil, err
				}
			}
			continue
		}
		body := seg[:i]
		bodyOff := s.Offset()
		s.start += i + 1
		if s.inFrame {
			s.inFrame = false
			if s.skip {
				s.skip = false
				continue
			}
			if err := s.appendSLIP(body, bodyOff); err != nil {
				return nil, err
			}
			if s.pendEsc { // ESC END
				s.pendEsc = false
				return nil, &FrameError{Offset: bodyOff + int64(i) - 1, Recoverable: true, Err: ErrSLIPEscape}
			}
			if len(s.frame) == 0 {
				continue
			}
			return s.frame, nil
		}
		if len(body) == 0 {
			continue // empty frame (END END)
		}
		n, bad := unslipInPlace(body)
		if bad >= 0 {
			return nil, &FrameError{Offset: bodyOff + int64(bad), Recoverable: true, Err: ErrSLIPEscape}
		}
		if n > s.max {
			return nil, &FrameError{Offset: bodyOff, Size: int64(n), Recoverable: true, Err: ErrFrameTooLarge}
		}
		return body[:n:n], nil
	}
}

// appendSLIP decodes seg (which holds no END) onto s.frame, carrying a
// trailing ESC over in s.pendEsc. off is the stream offset of seg[0].
func (s *StreamReader) appendSLIP(seg []byte, off int64) error {
	for len(seg) > 0 {
		if s.pendEsc {
			s.pendEsc = false
			switch seg[0] {
			case slipEscEnd:
				s.frame = append(s.frame, slipEnd)
			case slipEscEsc:
				s.frame = append(s.frame, slipEsc)
			default:
				return &FrameError{Offset: off - 1, Recoverable: true, Err: ErrSLIPEscape}
			}
			seg = seg[1:]
			off++
			continue
		}
		i := bytes.IndexByte(seg, slipEsc)
		if i < 0 {
			i = len(seg)
		} else {
			s.pendEsc = true
		}
		s.frame = append(s.frame, seg[:i]...)
		if len(s.frame) > s.max {
			n := len(s.frame)
			s.frame = s.frame[:0]
			s.pendEsc = false
			return &FrameError{Offset: s.frameOff, Size: int64(n), Recoverable: true, Err: ErrFrameTooLarge}
		}
		if i < len(seg) {
			i++
		}
		seg = seg[i:]
		off += int64(i)
	}
	return nil
}

// unslipInPlace decodes SLIP escapes in b (which holds no END) in place and
// returns the decoded length, and the index of a bad escape or -1.
func unslipInPlace(b []byte) (n, bad int) {
	i := bytes.IndexByte(b, slipEsc)
	if i < 0 {
		return len(b), -1
	}
	w := i
	for r := i; r < len(b); r++ {
		c := b[r]
		if c == slipEsc {
			if r+1 == len(b) {
				return w, r
			}
			switch b[r+1] {
			case slipEscEnd:
				c = slipEnd
			case slipEscEsc:
				c = slipEsc
			default:
				return w, r
			}
			r++
		}
		b[w] = c
		w++
	}
	return w, -1
}

// streamWriter writes whole frames to an io.Writer. Each WriteFrame issues
// one Write of the complete frame under a mutex, so concurrent callers never
// interleave their frames. It reuses one buffer and does not allocate once
// warm (frames larger than 1 MiB use a buffer that is not kept).
type streamWriter struct {
	mu      sync.Mutex
	w       io.Writer
	framing Framing
	buf     []byte
}

// newStreamWriter returns a writer framing packets with f (FrameAuto means
// SLIP).
func newStreamWriter(w io.Writer, f Framing) *streamWriter {
	return &streamWriter{w: w, framing: f}
}

// Framing returns the framing frames are written with.
func (w *streamWriter) Framing() Framing {
	w.mu.Lock()
	f := w.framing
	w.mu.Unlock()
	return f
}

// SetFraming changes the framing of later frames.
func (w *streamWriter) SetFraming(f Framing) {
	w.mu.Lock()
	w.framing = f
	w.mu.Unlock()
}

// WriteFrame frames pkt and writes it with a single Write call.
func (w *streamWriter) WriteFrame(pkt []byte) error {
	return w.writeFrame(pkt, FrameAuto, nil, 0)
}

// writeFrame writes pkt framed with f (or w's framing if FrameAuto), after
// setting a write deadline timeout ahead on dl if given.
func (w *streamWriter) writeFrame(pkt []byte, f Framing, dl interface{ SetWriteDeadline(time.Time) error }, timeout time.Duration) error {
	w.mu.Lock()
	if f == FrameAuto {
		f = w.framing
	}
	if dl != nil {
		_ = dl.SetWriteDeadline(time.Now().Add(timeout))
	}
	w.buf = AppendFrame(w.buf[:0], pkt, f)
	_, err := w.w.Write(w.buf)
	if cap(w.buf) > DefaultMaxFrame+64 {
		w.buf = nil
	}
	w.mu.Unlock()
	return err
}
