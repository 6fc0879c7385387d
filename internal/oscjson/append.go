package oscjson

import (
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/osckit/osc/wire"
)

// The NaNs that encoders write by default; only other NaNs carry "bits".
const (
	defaultNaN32 = 0x7fc00000
	defaultNaN64 = 0x7ff8000000000000
)

var strict wire.Options

// AppendPacket validates pkt, a message or a bundle, under o (nil means the
// strict defaults) and appends its JSON form to dst, without a newline. On
// error, which is a *wire.ParseError with the byte offset, dst is returned
// unchanged. It does not allocate beyond growing dst.
func AppendPacket(dst, pkt []byte, o *wire.Options) ([]byte, error) {
	if o == nil {
		o = &strict
	}
	if len(pkt) > 0 && pkt[0] == '#' {
		b, err := o.ParseBundle(pkt)
		if err != nil {
			return dst, err
		}
		return AppendBundle(dst, &b), nil
	}
	m, err := o.ParseMessage(pkt)
	if err != nil {
		return dst, err
	}
	return AppendMessage(dst, &m), nil
}

// AppendMessage appends the JSON form of m to dst.
func AppendMessage(dst []byte, m *wire.Message) []byte {
	addr := m.Address()
	if utf8.Valid(addr) {
		dst = append(dst, `{"address":`...)
		dst = appendString(dst, addr)
	} else {
		dst = append(dst, `{"addressHex":"`...)
		dst = appendHex(dst, addr)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"args":[`...)
	r := m.Args()
	for i := 0; r.Next(); i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendArg(dst, r.Arg())
	}
	return append(dst, "]}"...)
}

// AppendBundle appends the JSON form of b, nested bundles included, to dst.
func AppendBundle(dst []byte, b *wire.Bundle) []byte {
	dst = append(dst, `{"timetag":`...)
	dst = AppendTimetag(dst, b.Timetag())
	dst = append(dst, `,"elements":[`...)
	r := b.Elements()
	for i := 0; r.Next(); i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if m, ok := r.Message(); ok {
			dst = AppendMessage(dst, &m)
		} else {
			nb, _ := r.Bundle()
			dst = AppendBundle(dst, &nb)
		}
	}
	return append(dst, "]}"...)
}

// AppendTimetag appends {"sec":S,"frac":F} to dst.
func AppendTimetag(dst []byte, t wire.Timetag) []byte {
	dst = append(dst, `{"sec":`...)
	dst = strconv.AppendUint(dst, uint64(t.Seconds()), 10)
	dst = append(dst, `,"frac":`...)
	dst = strconv.AppendUint(dst, uint64(t.Fraction()), 10)
	return append(dst, '}')
}

// AppendArg appends the JSON form of one argument, {"type":...,"value":...},
// to dst.
func AppendArg(dst []byte, a wire.Arg) []byte {
	t := a.Type()
	if t == wire.TypeArrayBegin {
		dst = append(dst, `{"type":"array","value":[`...)
		r, _ := a.Array()
		for i := 0; r.Next(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendArg(dst, r.Arg())
		}
		return append(dst, "]}"...)
	}
	dst = append(dst, `{"type":"`...)
	dst = append(dst, byte(t))
	var word [8]byte
	raw := argBytes(a, word[:0])
	switch t {
	case wire.TypeInt32:
		v, _ := a.Int32()
		dst = append(dst, `","value":`...)
		dst = strconv.AppendInt(dst, int64(v), 10)
	case wire.TypeInt64:
		v, _ := a.Int64()
		dst = append(dst, `","value":`...)
		dst = strconv.AppendInt(dst, v, 10)
	case wire.TypeFloat32:
		bits := binary.BigEndian.Uint32(raw)
		v := math.Float32frombits(bits)
		dst = appendFloat(dst, float64(v), 32, bits != defaultNaN32, raw)
	case wire.TypeFloat64:
		bits := binary.BigEndian.Uint64(raw)
		dst = appendFloat(dst, math.Float64frombits(bits), 64, bits != defaultNaN64, raw)
	case wire.TypeString, wire.TypeSymbol:
		if utf8.Valid(raw) {
			dst = append(dst, `","value":`...)
			dst = appendString(dst, raw)
		} else {
			dst = append(dst, `","hex":"`...)
			dst = appendHex(dst, raw)
			dst = append(dst, '"')
		}
	case wire.TypeChar:
		c, _ := a.Char()
		if utf8.ValidRune(c) {
			dst = append(dst, `","value":`...)
			var buf [utf8.UTFMax]byte
			n := utf8.EncodeRune(buf[:], c)
			dst = appendString(dst, buf[:n])
		} else {
			dst = append(dst, `","code":`...)
			dst = strconv.AppendUint(dst, uint64(binary.BigEndian.Uint32(raw)), 10)
		}
	case wire.TypeBlob, wire.TypeRGBA, wire.TypeMIDI:
		dst = append(dst, `","value":"`...)
		dst = appendHex(dst, raw)
		dst = append(dst, '"')
	case wire.TypeTimetag:
		tt, _ := a.Timetag()
		dst = append(dst, `","value":`...)
		dst = AppendTimetag(dst, tt)
	case wire.TypeTrue:
		dst = append(dst, `","value":true`...)
	case wire.TypeFalse:
		dst = append(dst, `","value":false`...)
	case wire.TypeNil:
		dst = append(dst, `","value":null`...)
	default: // wire.TypeImpulse
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// argBytes returns the data bytes of a non-array argument as they are on
// the wire (a string without its NUL, a blob's content), using word for the
// fixed-size types.
func argBytes(a wire.Arg, word []byte) []byte {
	switch a.Type() {
	case wire.TypeInt32, wire.TypeChar:
		v, _ := a.Int32()
		if c, ok := a.Char(); ok {
			v = int32(c)
		}
		return binary.BigEndian.AppendUint32(word, uint32(v))
	case wire.TypeFloat32:
		v, _ := a.Float32()
		return binary.BigEndian.AppendUint32(word, math.Float32bits(v))
	case wire.TypeFloat64:
		v, _ := a.Float64()
		return binary.BigEndian.AppendUint64(word, math.Float64bits(v))
	case wire.TypeString, wire.TypeSymbol:
		s, _ := a.StringBytes()
		return s
	case wire.TypeBlob:
		b, _ := a.Blob()
		return b
	case wire.TypeRGBA:
		c, _ := a.RGBA()
		return append(word, c.R, c.G, c.B, c.A)
	case wire.TypeMIDI:
		m, _ := a.MIDI()
		return append(word, m.Port, m.Status, m.Data1, m.Data2)
	}
	return nil
}

// appendFloat writes the value member of an f or d argument: the shortest
// number that reads back to v at the given size, or a string for NaN and
// the infinities. A NaN other than the default one also gets its bits.
func appendFloat(dst []byte, v float64, size int, oddNaN bool, raw []byte) []byte {
	dst = append(dst, `","value":`...)
	switch {
	case math.IsNaN(v):
		dst = append(dst, `"NaN"`...)
		if oddNaN {
			dst = append(dst, `,"bits":"`...)
			dst = appendHex(dst, raw)
			dst = append(dst, '"')
		}
		return dst
	case math.IsInf(v, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(v, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, size)
}

const hexDigits = "0123456789abcdef"

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// appendString writes the valid UTF-8 text s as a JSON string.
func appendString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		start = i + 1
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
