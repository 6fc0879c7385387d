package wire

// Type is an OSC type tag character, as it appears in a message's type tag
// string.
type Type byte

// The type tags of OSC 1.0 and 1.1.
const (
	TypeInt32      Type = 'i' // 32-bit two's complement integer (1.0 core)
	TypeFloat32    Type = 'f' // IEEE 754 binary32 (1.0 core)
	TypeString     Type = 's' // OSC-string (1.0 core)
	TypeBlob       Type = 'b' // OSC-blob (1.0 core)
	TypeTrue       Type = 'T' // true, no data (1.1 required)
	TypeFalse      Type = 'F' // false, no data (1.1 required)
	TypeNil        Type = 'N' // nil, no data (1.1 required)
	TypeImpulse    Type = 'I' // impulse (1.0 "Infinitum"), no data (1.1 required)
	TypeTimetag    Type = 't' // NTP timetag (1.1 required)
	TypeInt64      Type = 'h' // 64-bit two's complement integer
	TypeFloat64    Type = 'd' // IEEE 754 binary64
	TypeSymbol     Type = 'S' // alternate string type, encoded like 's'
	TypeChar       Type = 'c' // one character in a 32-bit word
	TypeRGBA       Type = 'r' // 32-bit colour: bytes r, g, b, a
	TypeMIDI       Type = 'm' // 4-byte MIDI message: port, status, data1, data2
	TypeArrayBegin Type = '[' // start of an array
	TypeArrayEnd   Type = ']' // end of an array
)

// dataSize gives the number of data bytes of each fixed-size type, -1 for
// variable-size types (s, S, b) and -2 for bytes that are not type tags.
var dataSize = func() (t [256]int8) {
	for i := range t {
		t[i] = -2
	}
	for _, c := range "ifcrm" {
		t[c] = 4
	}
	for _, c := range "hdt" {
		t[c] = 8
	}
	for _, c := range "TFNI[]" {
		t[c] = 0
	}
	for _, c := range "sSb" {
		t[c] = -1
	}
	return t
}()

// Argument classes of tagClass: values below classString are the data size
// of a fixed-size type.
const (
	classString   = 0x10 + iota // s, S
	classBlob                   // b
	classArrOpen                // [
	classArrClose               // ]
	classBad      = 0xff        // not a type tag
)

// tagClass maps a tag byte to its data size or class, so that the decoding
// loops branch once for the common fixed-size types.
var tagClass = func() (t [256]uint8) {
	for i, n := range dataSize {
		switch {
		case n >= 0:
			t[i] = uint8(n)
		default:
			t[i] = classBad
		}
	}
	t['s'], t['S'] = classString, classString
	t['b'] = classBlob
	t['['], t[']'] = classArrOpen, classArrClose
	return t
}()

// Valid reports whether t is a type tag this package understands.
func (t Type) Valid() bool { return dataSize[t] != -2 }

// String returns the tag as a one-character string.
func (t Type) String() string {
	if t.Valid() {
		return typeNames[t : t+1]
	}
	return "?"
}

// typeNames lets String return a substring without allocating.
var typeNames = func() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}()
