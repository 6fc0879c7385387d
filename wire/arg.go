package wire

import (
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"
)

// Arg is a view of one argument of a message. Its typed accessors return
// ok=false when the argument has another type; they never panic, whatever
// the packet contained.
//
// # Lifetime
//
// An Arg aliases the message's bytes and is valid as long as the Message it
// came from. Accessors that return []byte return views; Str and Clone
// copy.
type Arg struct {
	// b is the data: the fixed-size bytes, the string without its NUL or
	// the blob content. For an array it runs from the 4-byte word holding
	// the first element tag to the end of the element data.
	b []byte
	// x is the type in its low byte; for an array also the offset of the
	// first element tag in b (2 bits), the number of element tags (22
	// bits) and the offset of the element data in b (32 bits). Keeping
	// Arg to four words lets the compiler hold it in registers.
	x uint64
}

func (a Arg) typ() Type { return Type(a.x) }

// arrayTags and arrayData split an array argument.
func (a Arg) arrayTags() []byte {
	s := uint32(a.x>>8) & 3
	n := uint32(a.x>>10) & maxTags
	return a.b[s : s+n : s+n]
}

func (a Arg) arrayData() []byte { return a.b[a.x>>32:] }

// RGBA is the value of an 'r' argument: four 8-bit channels.
type RGBA struct{ R, G, B, A uint8 }

// MIDI is the value of an 'm' argument, in wire order.
type MIDI struct{ Port, Status, Data1, Data2 uint8 }

// Type returns the argument's type tag; TypeArrayBegin for an array.
func (a Arg) Type() Type { return a.typ() }

// Value returns the argument as a Value that owns its data (strings,
// blobs and arrays are copied), so that it outlives the packet the view
// reads: the typed counterpart of Message.AnyArgs, one argument at a time.
func (a Arg) Value() Value { return valueOf(a) }

// Int32 returns the value of an 'i' argument.
func (a Arg) Int32() (int32, bool) {
	if a.typ() != TypeInt32 {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(a.b)), true
}

// Int64 returns the value of an 'h' argument.
func (a Arg) Int64() (int64, bool) {
	if a.typ() != TypeInt64 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(a.b)), true
}

// Float32 returns the value of an 'f' argument, bit-exact (NaN payloads and
// -0 are kept).
func (a Arg) Float32() (float32, bool) {
	if a.typ() != TypeFloat32 {
		return 0, false
	}
	return math.Float32frombits(binary.BigEndian.Uint32(a.b)), true
}

// Float64 returns the value of a 'd' argument, bit-exact.
func (a Arg) Float64() (float64, bool) {
	if a.typ() != TypeFloat64 {
		return 0, false
	}
	return math.Float64frombits(binary.BigEndian.Uint64(a.b)), true
}

// Bool returns the value of a 'T' or 'F' argument.
func (a Arg) Bool() (v, ok bool) {
	switch a.typ() {
	case TypeTrue:
		return true, true
	case TypeFalse:
		return false, true
	}
	return false, false
}

// Timetag returns the value of a 't' argument.
func (a Arg) Timetag() (Timetag, bool) {
	if a.typ() != TypeTimetag {
		return 0, false
	}
	return Timetag(binary.BigEndian.Uint64(a.b)), true
}

// StringBytes returns the bytes of an 's' or 'S' argument, without the NUL
// terminator, as a view. The bytes need not be valid UTF-8.
func (a Arg) StringBytes() ([]byte, bool) {
	if a.typ() != TypeString && a.typ() != TypeSymbol {
		return nil, false
	}
	return a.b, true
}

// Str returns a copy of an 's' or 'S' argument as a string.
func (a Arg) Str() (string, bool) {
	if a.typ() != TypeString && a.typ() != TypeSymbol {
		return "", false
	}
	return string(a.b), true
}

// Blob returns the content of a 'b' argument as a view.
func (a Arg) Blob() ([]byte, bool) {
	if a.typ() != TypeBlob {
		return nil, false
	}
	return a.b, true
}

// Char returns the value of a 'c' argument: the low byte of its 32-bit word
// read as a character code.
func (a Arg) Char() (rune, bool) {
	if a.typ() != TypeChar {
		return 0, false
	}
	return rune(binary.BigEndian.Uint32(a.b)), true
}

// RGBA returns the value of an 'r' argument.
func (a Arg) RGBA() (RGBA, bool) {
	if a.typ() != TypeRGBA {
		return RGBA{}, false
	}
	return RGBA{a.b[0], a.b[1], a.b[2], a.b[3]}, true
}

// MIDI returns the value of an 'm' argument.
func (a Arg) MIDI() (MIDI, bool) {
	if a.typ() != TypeMIDI {
		return MIDI{}, false
	}
	return MIDI{a.b[0], a.b[1], a.b[2], a.b[3]}, true
}

// Array returns a cursor over the elements of an array argument.
func (a Arg) Array() (ArgReader, bool) {
	if a.typ() != TypeArrayBegin {
		return ArgReader{}, false
	}
	s := uint32(a.x>>8) & 3
	return ArgReader{b: a.b, tp: s, tend: s + uint32(a.x>>10)&maxTags, off: uint32(a.x >> 32)}, true
}

// Number converts any numeric argument (i, h, f, d, and T/F as 1/0) to a
// float64; a convenience for parameters that senders type loosely.
func (a Arg) Number() (float64, bool) {
	switch a.typ() {
	case TypeInt32:
		v, _ := a.Int32()
		return float64(v), true
	case TypeInt64:
		v, _ := a.Int64()
		return float64(v), true
	case TypeFloat32:
		v, _ := a.Float32()
		return float64(v), true
	case TypeFloat64:
		v, _ := a.Float64()
		return v, true
	case TypeTrue:
		return 1, true
	case TypeFalse:
		return 0, true
	}
	return 0, false
}

// raw returns the argument's data bytes as a view: the fixed-size data, the
// string without its NUL, the blob content, or an array's element data.
func (a Arg) raw() []byte {
	if a.typ() == TypeArrayBegin {
		return a.arrayData()
	}
	return a.b
}

// AppendText appends a human-readable form of the argument, in the style of
// liblo's oscdump, except that floats are written in the shortest form that
// reads back to the same value: 1 -2.5 "text" 'sym 'c' [2b 0x01 0x02]
// MIDI [0x00 0x90 0x40 0x7f] #T #F Nil Impulse, timetags as
// SSSSSSSS.FFFFFFFF, colours as #rrggbbaa and arrays as [ ... ].
func (a Arg) AppendText(dst []byte) []byte {
	switch a.typ() {
	case TypeInt32:
		v, _ := a.Int32()
		return strconv.AppendInt(dst, int64(v), 10)
	case TypeInt64:
		v, _ := a.Int64()
		return strconv.AppendInt(dst, v, 10)
	case TypeFloat32:
		v, _ := a.Float32()
		return appendFloat(dst, float64(v), 32)
	case TypeFloat64:
		v, _ := a.Float64()
		return appendFloat(dst, v, 64)
	case TypeString:
		return appendQuoted(dst, a.b)
	case TypeSymbol:
		dst = append(dst, '\'')
		return appendEscaped(dst, a.b, 0)
	case TypeChar:
		c, _ := a.Char()
		dst = append(dst, '\'')
		if c >= 0x20 && c < 0x7f && c != '\\' && c != '\'' {
			dst = append(dst, byte(c))
		} else {
			dst = append(dst, `\x`...)
			dst = appendHexByte(dst, byte(c))
		}
		return append(dst, '\'')
	case TypeBlob:
		dst = append(dst, '[')
		dst = strconv.AppendInt(dst, int64(len(a.b)), 10)
		dst = append(dst, 'b')
		for _, c := range a.b {
			dst = append(dst, " 0x"...)
			dst = appendHexByte(dst, c)
		}
		return append(dst, ']')
	case TypeTimetag:
		t, _ := a.Timetag()
		return t.AppendText(dst)
	case TypeRGBA:
		dst = append(dst, '#')
		for _, c := range a.b {
			dst = appendHexByte(dst, c)
		}
		return dst
	case TypeMIDI:
		dst = append(dst, "MIDI ["...)
		for i, c := range a.b {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = append(dst, "0x"...)
			dst = appendHexByte(dst, c)
		}
		return append(dst, ']')
	case TypeTrue:
		return append(dst, "#T"...)
	case TypeFalse:
		return append(dst, "#F"...)
	case TypeNil:
		return append(dst, "Nil"...)
	case TypeImpulse:
		return append(dst, "Impulse"...)
	case TypeArrayBegin:
		dst = append(dst, '[')
		r, _ := a.Array()
		for i := 0; r.Next(); i++ {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = r.Arg().AppendText(dst)
		}
		return append(dst, ']')
	}
	return append(dst, '?')
}

// appendFloat writes the shortest decimal that reads back to v at the given
// precision; NaN and infinities as nan, inf and -inf.
func appendFloat(dst []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, "nan"...)
	case math.IsInf(v, 1):
		return append(dst, "inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, bits)
}

// appendQuoted writes b in double quotes, escaping quotes, backslashes,
// control characters and bytes that are not UTF-8.
func appendQuoted(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, b, '"')
	return append(dst, '"')
}

func appendEscaped(dst, b []byte, quote byte) []byte {
	for len(b) > 0 {
		c := b[0]
		if c < utf8.RuneSelf {
			switch {
			case c == quote || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, `\n`...)
			case c == '\t':
				dst = append(dst, `\t`...)
			case c < 0x20 || c == 0x7f || (quote == 0 && c == ' '):
				dst = append(dst, `\x`...)
				dst = appendHexByte(dst, c)
			default:
				dst = append(dst, c)
			}
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\x`...)
			dst = appendHexByte(dst, c)
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

func appendHexByte(dst []byte, c byte) []byte {
	return append(dst, hexDigits[c>>4], hexDigits[c&0xf])
}
