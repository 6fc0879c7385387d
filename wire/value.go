package wire

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
)

// Value is one OSC argument as a self-contained value: a small tagged union
// for the convenience API (AppendMessage, Encoder.Value, a client's Send)
// and for values that must outlive a packet. Build one with the
// constructors (Int32, Float32, String, Blob, Array, ...); the zero Value is
// invalid.
//
// A Value made by a constructor refers to the string, slice or array it was
// given.
type Value struct {
	t   Type
	num uint64
	s   string
	b   []byte
	arr []Value
}

// Int32 returns an 'i' value.
func Int32(v int32) Value { return Value{t: TypeInt32, num: uint64(uint32(v))} }

// Int64 returns an 'h' value.
func Int64(v int64) Value { return Value{t: TypeInt64, num: uint64(v)} }

// Float32 returns an 'f' value.
func Float32(v float32) Value { return Value{t: TypeFloat32, num: uint64(math.Float32bits(v))} }

// Float64 returns a 'd' value.
func Float64(v float64) Value { return Value{t: TypeFloat64, num: math.Float64bits(v)} }

// String returns an 's' value.
func String(s string) Value { return Value{t: TypeString, s: s} }

// Symbol returns an 'S' value.
func Symbol(s string) Value { return Value{t: TypeSymbol, s: s} }

// Blob returns a 'b' value that refers to b.
func Blob(b []byte) Value { return Value{t: TypeBlob, b: b} }

// Bool returns a 'T' or 'F' value.
func Bool(v bool) Value {
	if v {
		return Value{t: TypeTrue}
	}
	return Value{t: TypeFalse}
}

// Nil returns an 'N' value.
func Nil() Value { return Value{t: TypeNil} }

// Impulse returns an 'I' value.
func Impulse() Value { return Value{t: TypeImpulse} }

// TimetagValue returns a 't' value.
func TimetagValue(t Timetag) Value { return Value{t: TypeTimetag, num: uint64(t)} }

// Char returns a 'c' value.
func Char(r rune) Value { return Value{t: TypeChar, num: uint64(uint32(r))} }

// RGBAValue returns an 'r' value.
func RGBAValue(c RGBA) Value {
	return Value{t: TypeRGBA, num: uint64(c.R)<<24 | uint64(c.G)<<16 | uint64(c.B)<<8 | uint64(c.A)}
}

// MIDIValue returns an 'm' value.
func MIDIValue(m MIDI) Value {
	return Value{t: TypeMIDI, num: uint64(m.Port)<<24 | uint64(m.Status)<<16 | uint64(m.Data1)<<8 | uint64(m.Data2)}
}

// Array returns an array value holding vs.
func Array(vs ...Value) Value { return Value{t: TypeArrayBegin, arr: vs} }

// Type returns the value's type tag; TypeArrayBegin for an array, 0 for the
// zero Value.
func (v Value) Type() Type { return v.t }

// Int32 returns the value of an 'i' value.
func (v Value) Int32() (int32, bool) { return int32(v.num), v.t == TypeInt32 }

// Int64 returns the value of an 'h' value.
func (v Value) Int64() (int64, bool) { return int64(v.num), v.t == TypeInt64 }

// Float32 returns the value of an 'f' value.
func (v Value) Float32() (float32, bool) {
	return math.Float32frombits(uint32(v.num)), v.t == TypeFloat32
}

// Float64 returns the value of a 'd' value.
func (v Value) Float64() (float64, bool) { return math.Float64frombits(v.num), v.t == TypeFloat64 }

// Str returns the text of an 's' or 'S' value.
func (v Value) Str() (string, bool) { return v.s, v.t == TypeString || v.t == TypeSymbol }

// Blob returns the bytes of a 'b' value.
func (v Value) Blob() ([]byte, bool) { return v.b, v.t == TypeBlob }

// Bool returns the value of a 'T' or 'F' value.
func (v Value) Bool() (b, ok bool) { return v.t == TypeTrue, v.t == TypeTrue || v.t == TypeFalse }

// Timetag returns the value of a 't' value.
func (v Value) Timetag() (Timetag, bool) { return Timetag(v.num), v.t == TypeTimetag }

// Char returns the value of a 'c' value.
func (v Value) Char() (rune, bool) { return rune(uint32(v.num)), v.t == TypeChar }

// RGBA returns the value of an 'r' value.
func (v Value) RGBA() (RGBA, bool) {
	n := uint32(v.num)
	return RGBA{uint8(n >> 24), uint8(n >> 16), uint8(n >> 8), uint8(n)}, v.t == TypeRGBA
}

// MIDI returns the value of an 'm' value.
func (v Value) MIDI() (MIDI, bool) {
	n := uint32(v.num)
	return MIDI{uint8(n >> 24), uint8(n >> 16), uint8(n >> 8), uint8(n)}, v.t == TypeMIDI
}

// Array returns the elements of an array value.
func (v Value) Array() ([]Value, bool) { return v.arr, v.t == TypeArrayBegin }

// Equal reports whether v and u have the same type and the same encoding
// (floats compare bit for bit, so NaN equals the same NaN).
func (v Value) Equal(u Value) bool {
	if v.t != u.t || v.num != u.num || v.s != u.s || !bytes.Equal(v.b, u.b) || len(v.arr) != len(u.arr) {
		return false
	}
	for i := range v.arr {
		if !v.arr[i].Equal(u.arr[i]) {
			return false
		}
	}
	return true
}

// String returns the value in the text form of Arg.AppendText.
func (v Value) String() string {
	b, err := AppendMessage(nil, "/", v)
	if err != nil {
		return "?"
	}
	m, err := ParseMessage(b)
	if err != nil {
		return "?"
	}
	r := m.Args()
	r.Next()
	return string(r.Arg().AppendText(nil))
}

// valueOf returns the argument a as a Value that owns copies of its bytes.
func valueOf(a Arg) Value {
	t := a.typ()
	switch t {
	case TypeInt32, TypeFloat32, TypeChar, TypeRGBA, TypeMIDI:
		return Value{t: t, num: uint64(binary.BigEndian.Uint32(a.b))}
	case TypeInt64, TypeFloat64, TypeTimetag:
		return Value{t: t, num: binary.BigEndian.Uint64(a.b)}
	case TypeString, TypeSymbol:
		return Value{t: t, s: string(a.b)}
	case TypeBlob:
		return Value{t: t, b: bytes.Clone(a.b)}
	case TypeArrayBegin:
		r, _ := a.Array()
		vs := []Value{}
		for r.Next() {
			vs = append(vs, valueOf(r.Arg()))
		}
		return Value{t: t, arr: vs}
	}
	return Value{t: t}
}

// Value adds v as an argument.
func (e *Encoder) Value(v Value) *Encoder {
	if !e.inMsg {
		return e.fail(errEncoderState)
	}
	if err := checkValue(v, 0); err != nil {
		return e.fail(err)
	}
	e.valueTags(v)
	e.buf = appendValueData(e.buf, v)
	return e
}

// checkValue reports a value that cannot be encoded.
func checkValue(v Value, depth int) error {
	switch v.t {
	case TypeString, TypeSymbol:
		if strings.IndexByte(v.s, 0) >= 0 {
			return errInvalidString
		}
	case TypeBlob:
		if len(v.b) > math.MaxInt32-8 {
			return errTooLarge
		}
	case TypeArrayBegin:
		if depth >= defaultMaxArrayDepth {
			return errNesting
		}
		for _, u := range v.arr {
			if err := checkValue(u, depth+1); err != nil {
				return err
			}
		}
	case TypeArrayEnd:
		return errUnknownType
	default:
		if !v.t.Valid() {
			return errUnknownType
		}
	}
	return nil
}

// valueTags adds the type tags of v, arrays included, to the open message.
func (e *Encoder) valueTags(v Value) {
	e.addTags(byte(v.t))
	if v.t == TypeArrayBegin {
		for _, u := range v.arr {
			e.valueTags(u)
		}
		e.addTags(']')
	}
}

func appendValueTags(dst []byte, v Value) []byte {
	dst = append(dst, byte(v.t))
	if v.t == TypeArrayBegin {
		for _, u := range v.arr {
			dst = appendValueTags(dst, u)
		}
		dst = append(dst, ']')
	}
	return dst
}

func appendValueData(dst []byte, v Value) []byte {
	switch v.t {
	case TypeInt32, TypeFloat32, TypeChar, TypeRGBA, TypeMIDI:
		return binary.BigEndian.AppendUint32(dst, uint32(v.num))
	case TypeInt64, TypeFloat64, TypeTimetag:
		return binary.BigEndian.AppendUint64(dst, v.num)
	case TypeString, TypeSymbol:
		return appendString(dst, v.s)
	case TypeBlob:
		return appendBlob(dst, v.b)
	case TypeArrayBegin:
		for _, u := range v.arr {
			dst = appendValueData(dst, u)
		}
	}
	return dst
}

// AppendMessage appends a message with the given address and arguments to
// dst. NUL bytes that end the address are trimmed, as Encoder.Message
// does. It does not allocate beyond growing dst. On error dst is returned
// unchanged.
func AppendMessage(dst []byte, address string, args ...Value) ([]byte, error) {
	address = trimNUL(address)
	if len(address) == 0 || address[0] != '/' || strings.IndexByte(address, 0) >= 0 {
		return dst, errAddress
	}
	for _, v := range args {
		if err := checkValue(v, 0); err != nil {
			return dst, err
		}
	}
	out := appendString(dst, address)
	start := len(out)
	out = append(out, ',')
	for _, v := range args {
		out = appendValueTags(out, v)
	}
	out = append(out, zero4[:4-(len(out)-start)&3]...)
	for _, v := range args {
		out = appendValueData(out, v)
	}
	return out, nil
}
