package wire

import (
	"encoding/binary"
	"strconv"
	"time"
)

// Timetag is an OSC time tag in NTP format: seconds since 1900-01-01 00:00 UTC
// in the high 32 bits and a fraction of a second, in units of 2^-32 s, in the
// low 32 bits.
//
// The value 1 (Immediately) means "now". The value 0 is a time long past and
// is treated as immediate as well; see IsImmediate.
//
// The seconds field wraps on 2036-02-07 (NTP era 1). Conversions to and from
// time.Time place a timetag in the 136-year window that starts in 1968, so
// times up to 2104 survive the rollover; see Time.
type Timetag uint64

// Immediately is the special timetag that means "as soon as received".
const Immediately Timetag = 1

// ntpUnixOffset is the number of seconds from 1900-01-01 to 1970-01-01.
const ntpUnixOffset = 2208988800

// eraPivot: NTP seconds below this value are read as era 1 (after the 2036
// rollover). It is 1968-01-20, 2^31 seconds into era 0, which keeps every
// date from 1968 to 2104 unambiguous.
const eraPivot = 1 << 31

// NewTimetag builds a timetag from its seconds and fraction fields.
func NewTimetag(sec, frac uint32) Timetag { return Timetag(uint64(sec)<<32 | uint64(frac)) }

// TimetagOf converts t to a timetag. Times from 2036-02-07 on wrap into NTP
// era 1, as the wire format requires; Time reverses this. The zero time.Time
// converts to Immediately.
func TimetagOf(t time.Time) Timetag {
	if t.IsZero() {
		return Immediately
	}
	sec := t.Unix() + ntpUnixOffset
	frac := (uint64(t.Nanosecond())<<32 + 999_999_999) / 1_000_000_000
	if frac > 0xffffffff { // cannot happen for ns < 1e9, kept for clarity
		frac = 0xffffffff
	}
	return Timetag(uint64(uint32(sec))<<32 | frac)
}

// Seconds returns the NTP seconds field.
func (t Timetag) Seconds() uint32 { return uint32(t >> 32) }

// Fraction returns the NTP fraction field, in units of 2^-32 s.
func (t Timetag) Fraction() uint32 { return uint32(t) }

// IsImmediate reports whether t means "immediately": the value 1, or 0, which
// some senders (pyliblo) write instead.
func (t Timetag) IsImmediate() bool { return t <= 1 }

// Time converts t to a time.Time in UTC. Seconds values below 2^31 are read
// as NTP era 1 (2036 to 2104); all others as era 0 (1968 to 2036). An
// immediate timetag converts to the zero time.Time.
func (t Timetag) Time() time.Time {
	if t.IsImmediate() {
		return time.Time{}
	}
	sec := int64(t.Seconds())
	if sec < eraPivot {
		sec += 1 << 32
	}
	ns := (uint64(t.Fraction())*1_000_000_000 + 1<<31) >> 32
	return time.Unix(sec-ntpUnixOffset, int64(ns)).UTC()
}

// Add returns t moved by d. The arithmetic wraps like the wire format does.
func (t Timetag) Add(d time.Duration) Timetag {
	return t + Timetag(durationToNTP(d))
}

// Sub returns the duration t-u, assuming the two are less than 68 years
// apart (the NTP arithmetic is done modulo 2^64, as RFC 5905 does).
func (t Timetag) Sub(u Timetag) time.Duration {
	return ntpToDuration(int64(t - u))
}

// Before reports whether t is earlier than u, using the same wrapping
// arithmetic as Sub.
func (t Timetag) Before(u Timetag) bool { return int64(t-u) < 0 }

// durationToNTP converts a duration to signed NTP units (2^-32 s).
func durationToNTP(d time.Duration) int64 {
	sec := int64(d / time.Second)
	ns := int64(d % time.Second)
	return sec<<32 + (ns<<32)/1_000_000_000
}

// ntpToDuration converts signed NTP units (2^-32 s) to a duration,
// saturating at the limits of time.Duration.
func ntpToDuration(v int64) time.Duration {
	sec := v >> 32
	frac := v & 0xffffffff
	const maxSec = int64(1<<63-1) / int64(time.Second)
	if sec >= maxSec {
		return 1<<63 - 1
	}
	if sec <= -maxSec {
		return -1 << 63
	}
	return time.Duration(sec)*time.Second + time.Duration((frac*1_000_000_000)>>32)
}

// AppendTimetag appends the 8-byte wire form of t to dst.
func AppendTimetag(dst []byte, t Timetag) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t))
}

// AppendText appends the liblo oscdump form of t, "SSSSSSSS.FFFFFFFF" in
// lowercase hex, to dst.
func (t Timetag) AppendText(dst []byte) []byte {
	dst = appendHex32(dst, t.Seconds())
	dst = append(dst, '.')
	return appendHex32(dst, t.Fraction())
}

// String returns "immediately" for an immediate timetag, else the time in
// RFC 3339 form with nanoseconds followed by the raw NTP value in
// parentheses.
func (t Timetag) String() string {
	if t.IsImmediate() {
		if t == 0 {
			return "immediately(0)"
		}
		return "immediately"
	}
	b := t.Time().AppendFormat(nil, time.RFC3339Nano)
	b = append(b, " ("...)
	b = t.AppendText(b)
	return string(append(b, ')'))
}

const hexDigits = "0123456789abcdef"

func appendHex32(dst []byte, v uint32) []byte {
	for s := 28; s >= 0; s -= 4 {
		dst = append(dst, hexDigits[v>>uint(s)&0xf])
	}
	return dst
}

// ParseTimetagText parses the "SSSSSSSS.FFFFFFFF" hex form written by
// AppendText (and by liblo's oscdump).
func ParseTimetagText(s string) (Timetag, error) {
	if len(s) != 17 || s[8] != '.' {
		return 0, ErrTimetagText
	}
	sec, err1 := strconv.ParseUint(s[:8], 16, 32)
	frac, err2 := strconv.ParseUint(s[9:], 16, 32)
	if err1 != nil || err2 != nil {
		return 0, ErrTimetagText
	}
	return NewTimetag(uint32(sec), uint32(frac)), nil
}
