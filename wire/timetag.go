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
// is treated as immediate as well (tt <= Immediately).
//
// # Eras
//
// The seconds field wraps on 2036-02-07 06:28:16 UTC, the start of NTP era
// 1, so a timetag names a time only up to a multiple of 2^32 seconds (about
// 136 years). It is read against the receiver's clock: in the era of the
// current time (era 0 while the clock's own seconds field has its top bit
// set, 1968 to 2036; era 1 after the rollover), unless that places it more
// than 2^30 seconds (about 34 years) ahead of now, in which case it is read
// in the era before. RelativeTo applies the rule to a given now, and Time to
// the system clock; a scheduler reads every bundle's timetag with it.
//
// Until the rollover every timetag is therefore taken literally, 1900-based:
// a past one is late however old it is (00000064.80000000 is 1900), never
// "far in the future". After the rollover a timetag from before it still
// reads as past, up to about 102 years back, and timetags up to 34 years
// ahead read as future. The one surprise is at the rollover itself: a
// sender whose clock is ahead of the receiver's, across 2036-02-07
// 06:28:16, sends timetags of era 1 that the receiver, still in era 0,
// reads as about 136 years late; a scheduler delivers them at once (or
// drops them, by its late policy) instead of at their time, for as long as
// the two clocks straddle the rollover.
//
// Sub, Before and Add compare and move timetags in modular arithmetic (RFC
// 5905), which holds for two timetags less than 68 years apart, such as the
// timetags of one packet or of queued bundles.
type Timetag uint64

// Immediately is the special timetag that means "as soon as received".
// Some senders (pyliblo) write 0 instead, which this package reads the
// same way: test a received timetag with tt <= Immediately.
const Immediately Timetag = 1

// ntpUnixOffset is the number of seconds from 1900-01-01 to 1970-01-01.
const ntpUnixOffset = 2208988800

// aheadLimit is the furthest ahead of now, in seconds, that a timetag is
// read in now's era; beyond it, it is read in the era before (see Eras,
// under Timetag).
const aheadLimit = 1 << 30

// NewTimetag builds a timetag from its seconds and fraction fields.
func NewTimetag(sec, frac uint32) Timetag { return Timetag(uint64(sec)<<32 | uint64(frac)) }

// TimetagOf converts t to a timetag. Times from 2036-02-07 on wrap into NTP
// era 1, as the wire format requires; Time reverses this for the times that
// the era rule places right (see Eras, under Timetag). The zero time.Time
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

// isImmediate reports whether t means "immediately": the value 1, or 0,
// which some senders (pyliblo) write instead; callers outside the package
// write t <= Immediately.
func (t Timetag) isImmediate() bool { return t <= 1 }

// Time converts t to a time.Time in UTC, reading it against the system
// clock by the era rule (see Eras, under Timetag). Before the 2036 rollover
// it reads every timetag literally, from 1900; after it, in the 2^32
// seconds (136 years) that end 2^30 seconds (34 years) after now.
// TimetagOf(x).Time() gives x back, to the nanosecond, for every x in that
// window. An immediate timetag converts to the zero time.Time.
func (t Timetag) Time() time.Time {
	if t.isImmediate() {
		return time.Time{}
	}
	return t.timeAt(TimetagOf(time.Now()))
}

// timeAt is Time with now as the current time.
func (t Timetag) timeAt(now Timetag) time.Time {
	ns := (uint64(t.Fraction())*1_000_000_000 + 1<<31) >> 32
	return time.Unix(t.eraSeconds(now)-ntpUnixOffset, int64(ns)).UTC()
}

// eraBase returns the seconds from 1900 to the start of now's NTP era: 0
// while now's seconds field has its top bit set (1968 to 2036), 2^32 after
// the 2036 rollover.
func eraBase(now Timetag) int64 {
	if now.Seconds()>>31 == 0 {
		return 1 << 32
	}
	return 0
}

// eraSeconds returns the seconds from 1900 to t read against now by the
// era rule (see Eras, under Timetag): in now's era, or the era before when
// that is more than 2^30 seconds ahead of now. It may be negative. Every
// reading of a timetag against a clock goes through here.
func (t Timetag) eraSeconds(now Timetag) int64 {
	sec := eraBase(now) + int64(t.Seconds())
	ahead := int64(t.Seconds()) - int64(now.Seconds())
	if ahead > aheadLimit || ahead == aheadLimit && t.Fraction() > now.Fraction() {
		sec -= 1 << 32
	}
	return sec
}

// RelativeTo returns how far t lies from now, reading t against now by the
// era rule (see Eras, under Timetag): positive when t is ahead of now, by
// at most 2^30 seconds (about 34 years); negative when it is past, by at
// most 2^32 seconds (about 136 years). It is rounded away from zero to the
// nanosecond, so that its sign is exact: it is 0 only when t equals now.
// An immediate t is read as a time like any other (0 as 1900, or as 2036
// after the rollover); callers test for an immediate timetag first.
func (t Timetag) RelativeTo(now Timetag) time.Duration {
	sec := t.eraSeconds(now) - (eraBase(now) + int64(now.Seconds()))
	frac := uint64(t.Fraction()) - uint64(now.Fraction()) // mod 2^64
	if t.Fraction() < now.Fraction() {
		sec--
		frac += 1 << 32 // back into [0, 2^32)
	}
	// sec is in [-2^32, 2^30] and frac in [0, 2^32): the nanoseconds, at
	// most 4.3e18 either way, fit in a time.Duration (which holds 292
	// years), and frac*1e9 fits in a uint64. NTP 32.32 units would not fit
	// in an int64 at this range.
	ns := frac * 1_000_000_000
	if sec >= 0 {
		ns += 1<<32 - 1 // round up: a future time stays future
	}
	return time.Duration(sec)*time.Second + time.Duration(ns>>32)
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

// appendTimetag appends the 8-byte wire form of t to dst.
func appendTimetag(dst []byte, t Timetag) []byte {
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
	if t.isImmediate() {
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
		return 0, errTimetagText
	}
	sec, err1 := strconv.ParseUint(s[:8], 16, 32)
	frac, err2 := strconv.ParseUint(s[9:], 16, 32)
	if err1 != nil || err2 != nil {
		return 0, errTimetagText
	}
	return NewTimetag(uint32(sec), uint32(frac)), nil
}
