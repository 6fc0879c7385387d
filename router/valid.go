package router

import (
	"errors"

	"github.com/osckit/osc/wire"
)

// Errors reported, wrapped in a *wire.ParseError that carries the byte
// offset, by ValidPattern, ValidAddress and registration. Test them with
// errors.Is. An address or pattern that does not begin with '/' is reported
// as wire.ErrAddress.
var (
	ErrTooLong       = errors.New("osc: address or pattern longer than 1024 bytes")
	ErrEmptySet      = errors.New("osc: empty character set")
	ErrUnclosedSet   = errors.New("osc: unterminated '['")
	ErrUnclosedBrace = errors.New("osc: unterminated '{'")
	ErrNestedBrace   = errors.New("osc: nested '{'")
	ErrSlashInBrace  = errors.New("osc: '/' inside braces")
	ErrUnmatched     = errors.New("osc: unmatched ']' or '}'")
	ErrPatternChar   = errors.New("osc: pattern character in a literal address")
	ErrReserved      = errors.New("osc: reserved character in address")
	ErrEmptyPart     = errors.New("osc: empty address part")
	ErrTypes         = errors.New("osc: invalid type tag filter")
)

func parseErr(off int, err error) error { return &wire.ParseError{Off: off, Arg: -1, Err: err} }

// ValidPattern reports why pattern is malformed, or nil. A malformed
// pattern matches nothing. The error is a *wire.ParseError whose Off is the
// offset of the offending byte.
func ValidPattern(pattern string) error {
	if off, err := checkPattern(pattern); err != nil {
		return parseErr(off, err)
	}
	return nil
}

// ValidAddress reports why address cannot be registered as a method
// address, or nil. A method address begins with '/', has no empty part
// (so no "//" and no trailing '/'), and none of the bytes OSC 1.0 reserves:
// space # * , ? [ ] { } and NUL. The error is a *wire.ParseError.
func ValidAddress(address string) error {
	if off, err := checkAddress(address); err != nil {
		return parseErr(off, err)
	}
	return nil
}

// checkPattern returns the offset and sentinel of the first problem in p.
// It does not allocate.
func checkPattern[P text](p P) (int, error) {
	if len(p) > MaxLen {
		return MaxLen, ErrTooLong
	}
	if len(p) == 0 || p[0] != '/' {
		return 0, wire.ErrAddress
	}
	for i := 1; i < len(p); i++ {
		switch p[i] {
		case '[':
			j := i + 1
			if j < len(p) && p[j] == '!' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				return i, ErrEmptySet
			}
			for j < len(p) && p[j] != ']' && p[j] != '/' {
				j++
			}
			if j == len(p) || p[j] == '/' {
				return i, ErrUnclosedSet
			}
			i = j
		case '{':
			j := i + 1
			for ; j < len(p) && p[j] != '}'; j++ {
				switch p[j] {
				case '{':
					return j, ErrNestedBrace
				case '/':
					return j, ErrSlashInBrace
				}
			}
			if j == len(p) {
				return i, ErrUnclosedBrace
			}
			i = j
		case ']', '}':
			return i, ErrUnmatched
		}
	}
	return 0, nil
}

// addrClass classifies bytes of a method address: 1 pattern operator,
// 2 reserved, 0 allowed.
var addrClass = func() (t [256]uint8) {
	for _, c := range "*?[]{}" {
		t[c] = 1
	}
	for _, c := range " #,\x00" {
		t[c] = 2
	}
	return t
}()

func checkAddress(a string) (int, error) {
	if len(a) > MaxLen {
		return MaxLen, ErrTooLong
	}
	if len(a) == 0 || a[0] != '/' {
		return 0, wire.ErrAddress
	}
	for i := 1; i < len(a); i++ {
		c := a[i]
		switch addrClass[c] {
		case 1:
			return i, ErrPatternChar
		case 2:
			return i, ErrReserved
		}
		if c == '/' && a[i-1] == '/' {
			return i, ErrEmptyPart
		}
	}
	if a[len(a)-1] == '/' {
		return len(a), ErrEmptyPart
	}
	return 0, nil
}

// checkTypes validates a type tag filter and returns it without its
// optional leading ','.
func checkTypes(spec string) (string, int, error) {
	off := 0
	if len(spec) > 0 && spec[0] == ',' {
		off = 1
	}
	depth := 0
	for i := off; i < len(spec); i++ {
		c := spec[i]
		if !wire.Type(c).Valid() {
			return "", i, ErrTypes
		}
		switch c {
		case '[':
			depth++
		case ']':
			if depth--; depth < 0 {
				return "", i, ErrTypes
			}
		}
	}
	if depth != 0 {
		return "", len(spec), ErrTypes
	}
	return spec[off:], 0, nil
}
