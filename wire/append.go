package wire

import (
	"encoding/binary"
	"math"
)

// Append functions write one atomic OSC item to dst and return the extended
// slice, like strconv.AppendInt; a nil dst is fine. They do no validation
// beyond what their documentation says: use an Encoder or AppendMessage to
// build whole messages.

// appendInt32 appends a big-endian int32.
func appendInt32(dst []byte, v int32) []byte { return binary.BigEndian.AppendUint32(dst, uint32(v)) }

// appendInt64 appends a big-endian int64.
func appendInt64(dst []byte, v int64) []byte { return binary.BigEndian.AppendUint64(dst, uint64(v)) }

// appendFloat32 appends a big-endian IEEE 754 float32, bit-exact.
func appendFloat32(dst []byte, v float32) []byte {
	return binary.BigEndian.AppendUint32(dst, math.Float32bits(v))
}

// appendFloat64 appends a big-endian IEEE 754 float64, bit-exact.
func appendFloat64(dst []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
}

// appendString appends s as an OSC-string: its bytes, then 1 to 4 NULs up to
// a multiple of 4. s must not contain NUL (the receiver would cut it there).
func appendString(dst []byte, s string) []byte {
	n, p := len(dst), len(s)&^3+4
	dst = grow(dst, p)
	// Zero the last word first: it holds the padding (and perhaps the end
	// of s, which the copy then writes over).
	binary.LittleEndian.PutUint32(dst[n+p-4:], 0)
	copy(dst[n:], s)
	return dst
}

// grow extends dst by n bytes, which the caller overwrites.
func grow(dst []byte, n int) []byte {
	l := len(dst)
	if cap(dst)-l < n {
		dst = append(dst[:cap(dst)], make([]byte, l+n-cap(dst))...)
	}
	return dst[:l+n]
}

// appendStringBytes is appendString for a byte slice.
func appendStringBytes(dst, s []byte) []byte {
	n, p := len(dst), len(s)&^3+4
	dst = grow(dst, p)
	binary.LittleEndian.PutUint32(dst[n+p-4:], 0)
	copy(dst[n:], s)
	return dst
}

// appendBlob appends b as an OSC-blob: its int32 size, its bytes, then 0 to
// 3 NULs up to a multiple of 4. len(b) must fit in an int32.
func appendBlob(dst, b []byte) []byte {
	n, p := len(dst), 4+(len(b)+3)&^3
	dst = grow(dst, p)
	binary.BigEndian.PutUint32(dst[n:], uint32(len(b)))
	if len(b)&3 != 0 {
		binary.LittleEndian.PutUint32(dst[n+p-4:], 0)
	}
	copy(dst[n+4:], b)
	return dst
}

var zero4 [4]byte

// paddedStringLen returns the encoded size of an OSC-string of n bytes.
func paddedStringLen(n int) int { return n&^3 + 4 }
