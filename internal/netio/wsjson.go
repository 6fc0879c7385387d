package netio

import (
	"io"
)

// wsReadText reads the rest of a text message (at most MaxFrame, within
// FrameTimeout) and returns the packet WSConfig.Text makes of it. Text
// that does not decode is a recoverable FrameError: the conn goes on.
func (s *StreamConn) wsReadText(r io.Reader) ([]byte, error) {
	ws := s.ws
	ws.rt.Stop()
	if s.cfg.FrameTimeout > 0 {
		ws.arm(s.cfg.FrameTimeout, wsFrameFired)
	}
	txt, err := io.ReadAll(r)
	ws.rt.Stop()
	if err != nil {
		return nil, s.wsReadErr(err, true)
	}
	ws.spoke.Store(true)
	pkt, err := ws.text(ws.buf[:0], txt)
	if err != nil {
		off := ws.read
		ws.read += int64(len(txt))
		return nil, &FrameError{Offset: off, Size: int64(len(txt)), Err: err, Recoverable: true}
	}
	ws.read += int64(len(txt)) - int64(len(pkt)) // the next read adds len(ws.buf)
	ws.buf = pkt
	return pkt, nil
}
