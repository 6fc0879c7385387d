package netio

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Framing selects how OSC packets are delimited on a byte stream (TCP, UNIX
// stream, serial). Datagram transports need no framing.
type Framing uint8

const (
	// FrameAuto detects the framing of an incoming stream from its first
	// byte: 0xC0 (SLIP END) means SLIP, anything else a size prefix. When
	// used for sending, FrameAuto means SLIP (or, on a StreamConn, the
	// framing detected from the peer).
	FrameAuto Framing = iota
	// FrameSLIP is OSC 1.1 framing: RFC 1055 SLIP with an END byte before
	// and after every packet.
	FrameSLIP
	// FrameSizePrefix is OSC 1.0 framing: a big-endian int32 length before
	// every packet.
	FrameSizePrefix
)

// String returns "auto", "slip" or "size".
func (f Framing) String() string {
	switch f {
	case FrameAuto:
		return "auto"
	case FrameSLIP:
		return "slip"
	case FrameSizePrefix:
		return "size"
	}
	return "Framing(" + strconv.Itoa(int(f)) + ")"
}

// parseFraming parses the names returned by [Framing.String]. It is meant
// for command-line flags such as --framing slip|size|auto.
func parseFraming(s string) (Framing, error) {
	switch s {
	case "auto", "":
		return FrameAuto, nil
	case "slip":
		return FrameSLIP, nil
	case "size", "size-prefix", "prefix":
		return FrameSizePrefix, nil
	}
	return FrameAuto, errors.New("netio: unknown framing " + strconv.Quote(s) + " (want auto, slip or size)")
}

// DefaultMaxFrame is the default cap on one stream frame (1 MiB).
const DefaultMaxFrame = 1 << 20

// SLIP bytes (RFC 1055).
const (
	slipEnd    = 0xC0
	slipEsc    = 0xDB
	slipEscEnd = 0xDC
	slipEscEsc = 0xDD
)

// Sentinel errors of the stream framers. A [StreamReader] wraps them in a
// *[FrameError]; test them with errors.Is.
var (
	// ErrFrameTooLarge: a size prefix or a SLIP frame exceeds the cap.
	ErrFrameTooLarge = errors.New("netio: frame exceeds size limit")
	// ErrFrameSize: a size prefix is <= 0 or not a multiple of 4.
	ErrFrameSize = errors.New("netio: invalid frame size prefix")
	// ErrSLIPEscape: a SLIP ESC byte is followed by a byte other than
	// 0xDC or 0xDD.
	ErrSLIPEscape = errors.New("netio: invalid SLIP escape")
	// ErrPartialFrame: the stream ended (EOF) in the middle of a frame. The
	// FrameError wraps io.ErrUnexpectedEOF as well.
	ErrPartialFrame = errors.New("netio: stream ended inside a frame")
)

// FrameError reports a framing failure at a byte offset of the stream.
//
// When Recoverable is true (an oversized or badly escaped SLIP frame), only
// that frame was dropped and the caller may keep calling ReadFrame. When it is
// false (a bad size prefix, a partial frame at EOF) the stream is out of sync:
// every later ReadFrame returns the same error and the caller should close the
// connection.
type FrameError struct {
	Offset      int64 // stream offset of the frame start (or of the bad byte for escapes)
	Size        int64 // the claimed size (size prefix) or bytes seen so far; 0 if unknown
	Recoverable bool  // the stream can still be read
	Err         error // one of the sentinel errors above
}

// Error returns a message such as "netio: invalid SLIP escape at offset 12".
func (e *FrameError) Error() string {
	b := make([]byte, 0, 80)
	b = append(b, e.Err.Error()...)
	if e.Size != 0 {
		b = append(b, " (size "...)
		b = strconv.AppendInt(b, e.Size, 10)
		b = append(b, ')')
	}
	b = append(b, " at offset "...)
	b = strconv.AppendInt(b, e.Offset, 10)
	return string(b)
}

// Unwrap returns the sentinel error (and io.ErrUnexpectedEOF for
// ErrPartialFrame).
func (e *FrameError) Unwrap() []error {
	if e.Err == ErrPartialFrame {
		return []error{e.Err, errUnexpectedEOF}
	}
	return []error{e.Err}
}

// AppendFrame appends pkt framed with f to dst and returns the extended
// buffer. FrameAuto frames with SLIP. For FrameSizePrefix, pkt must be
// shorter than 2 GiB (it is the caller's job to send only valid OSC packets,
// whose length is a multiple of 4).
func AppendFrame(dst, pkt []byte, f Framing) []byte {
	if f == FrameSizePrefix {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(pkt)))
		return append(dst, pkt...)
	}
	return appendSLIP(dst, pkt)
}

// frameLen returns the number of bytes AppendFrame adds for pkt.
func frameLen(pkt []byte, f Framing) int {
	if f == FrameSizePrefix {
		return 4 + len(pkt)
	}
	n := 2 + len(pkt)
	for _, c := range pkt {
		if c == slipEnd || c == slipEsc {
			n++
		}
	}
	return n
}

func appendSLIP(dst, pkt []byte) []byte {
	dst = append(dst, slipEnd)
	for len(pkt) > 0 {
		// Copy runs of plain bytes in one append.
		i := 0
		for i < len(pkt) && pkt[i] != slipEnd && pkt[i] != slipEsc {
			i++
		}
		dst = append(dst, pkt[:i]...)
		if i == len(pkt) {
			break
		}
		if pkt[i] == slipEnd {
			dst = append(dst, slipEsc, slipEscEnd)
		} else {
			dst = append(dst, slipEsc, slipEscEsc)
		}
		pkt = pkt[i+1:]
	}
	return append(dst, slipEnd)
}
