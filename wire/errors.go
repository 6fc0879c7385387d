package wire

import (
	"errors"
	"strconv"
)

// The causes of errors. Decoding errors are reported as a *ParseError that
// wraps one of these and locates it (errors.As finds it); its message names
// the cause. They are unexported: a caller acts on where the packet broke,
// not on a dozen kinds of breakage.
var (
	errShort        = errors.New("osc: packet too short")
	errAlign        = errors.New("osc: length not a multiple of 4")
	errAddress      = errors.New("osc: invalid address")
	errUnterminated = errors.New("osc: string not terminated")
	errPadding      = errors.New("osc: non-zero padding")
	errTypeTags     = errors.New("osc: invalid type tag string")
	errUnknownType  = errors.New("osc: unknown type tag")
	errArray        = errors.New("osc: unbalanced array brackets")
	errBlobSize     = errors.New("osc: invalid blob size")
	errTrailing     = errors.New("osc: trailing bytes after arguments")
	errBundle       = errors.New("osc: invalid bundle")
	errElementSize  = errors.New("osc: invalid bundle element size")
	errNesting      = errors.New("osc: nesting too deep")
	errTimeOrder    = errors.New("osc: nested bundle earlier than its parent")

	// Encoding errors.
	errBufferTooSmall = errors.New("osc: buffer too small")
	errEncoderState   = errors.New("osc: encoder call out of order")
	errTooLarge       = errors.New("osc: value too large")
	errInvalidString  = errors.New("osc: string contains NUL")

	// errTimetagText reports a timetag text that is not "SSSSSSSS.FFFFFFFF".
	errTimetagText = errors.New("osc: invalid timetag text")
)

// ParseError locates a decoding failure.
type ParseError struct {
	Off int   // byte offset in the packet where decoding failed
	Arg int   // index of the argument being decoded, or -1
	Err error // the cause
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

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

func perr(off, arg int, err error) error { return &ParseError{Off: off, Arg: arg, Err: err} }
