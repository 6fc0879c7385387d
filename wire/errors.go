package wire

import (
	"errors"
	"strconv"
)

// Sentinel errors. Decoding errors are reported as a *ParseError that wraps
// one of these, so callers test them with errors.Is.
var (
	ErrShort        = errors.New("osc: packet too short")
	ErrAlign        = errors.New("osc: length not a multiple of 4")
	ErrAddress      = errors.New("osc: invalid address")
	ErrUnterminated = errors.New("osc: string not terminated")
	ErrPadding      = errors.New("osc: non-zero padding")
	ErrTypeTags     = errors.New("osc: invalid type tag string")
	ErrUnknownType  = errors.New("osc: unknown type tag")
	ErrArray        = errors.New("osc: unbalanced array brackets")
	ErrBlobSize     = errors.New("osc: invalid blob size")
	ErrTrailing     = errors.New("osc: trailing bytes after arguments")
	ErrBundle       = errors.New("osc: invalid bundle")
	ErrElementSize  = errors.New("osc: invalid bundle element size")
	ErrNesting      = errors.New("osc: nesting too deep")
	ErrTimeOrder    = errors.New("osc: nested bundle earlier than its parent")

	// Encoding errors.
	ErrBufferTooSmall = errors.New("osc: buffer too small")
	ErrEncoderState   = errors.New("osc: encoder call out of order")
	ErrTooLarge       = errors.New("osc: value too large")
	ErrInvalidString  = errors.New("osc: string contains NUL")

	// ErrTimetagText reports a timetag text that is not "SSSSSSSS.FFFFFFFF".
	ErrTimetagText = errors.New("osc: invalid timetag text")
)

// ParseError locates a decoding failure.
type ParseError struct {
	Off int   // byte offset in the packet where decoding failed
	Arg int   // index of the argument being decoded, or -1
	Err error // one of the sentinel errors
}

// Error returns a message such as "osc: unknown type tag at offset 12 (arg 2)".
func (e *ParseError) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, e.Err.Error()...)
	b = append(b, " at offset "...)
	b = strconv.AppendInt(b, int64(e.Off), 10)
	if e.Arg >= 0 {
		b = append(b, " (arg "...)
		b = strconv.AppendInt(b, int64(e.Arg), 10)
		b = append(b, ')')
	}
	return string(b)
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }

func perr(off, arg int, err error) error { return &ParseError{Off: off, Arg: arg, Err: err} }
