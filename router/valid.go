package router

import (
	"errors"

	"github.com/osckit/osc/wire"
)

// Causes reported, wrapped in a *wire.ParseError that carries the byte
// offset, by ValidAddress and registration (Handle); the error's
// message names them.
var (
	errAddress       = errors.New("osc: address or pattern does not begin with '/'")
	errTooLong       = errors.New("osc: address or pattern longer than 1024 bytes")
	errEmptySet      = errors.New("osc: empty character set")
	errUnclosedSet   = errors.New("osc: unterminated '['")
	errUnclosedBrace = errors.New("osc: unterminated '{'")
	errNestedBrace   = errors.New("osc: nested '{'")
	errSlashInBrace  = errors.New("osc: '/' inside braces")
	errUnmatched     = errors.New("osc: unmatched ']' or '}'")
	errPatternChar   = errors.New("osc: pattern character in a literal address")
	errReserved      = errors.New("osc: reserved character in address")
	errEmptyPart     = errors.New("osc: empty address part")
	errTypes         = errors.New("osc: invalid type tag filter")
)

func parseErr(off int, err error) error { return &wire.ParseError{Off: off, Arg: -1, Err: err} }

// validPattern reports why pattern is malformed, or nil. A malformed
// pattern matches nothing. The error is a *wire.ParseError whose Off is the
// offset of the offending byte.
func validPattern(pattern string) error {
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
		return MaxLen, errTooLong
	}
	if len(p) == 0 || p[0] != '/' {
		return 0, errAddress
	}
	for i := 1; i < len(p); i++ {
		switch p[i] {
		case '[':
			j := i + 1
			if j < len(p) && p[j] == '!' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				return i, errEmptySet
			}
			for j < len(p) && p[j] != ']' && p[j] != '/' {
				j++
			}
			if j == len(p) || p[j] == '/' {
				return i, errUnclosedSet
			}
			i = j
		case '{':
			j := i + 1
			for ; j < len(p) && p[j] != '}'; j++ {
				switch p[j] {
				case '{':
					return j, errNestedBrace
				case '/':
					return j, errSlashInBrace
				}
			}
			if j == len(p) {
				return i, errUnclosedBrace
			}
			i = j
		case ']', '}':
			return i, errUnmatched
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
		return MaxLen, errTooLong
	}
	if len(a) == 0 || a[0] != '/' {
		return 0, errAddress
	}
	for i := 1; i < len(a); i++ {
		c := a[i]
		switch addrClass[c] {
		case 1:
			return i, errPatternChar
		case 2:
			return i, errReserved
		}
		if c == '/' && a[i-1] == '/' {
			return i, errEmptyPart
		}
	}
	if a[len(a)-1] == '/' {
		return len(a), errEmptyPart
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
			return "", i, errTypes
		}
		switch c {
		case '[':
			depth++
		case ']':
			if depth--; depth < 0 {
				return "", i, errTypes
			}
		}
	}
	if depth != 0 {
		return "", len(spec), errTypes
	}
	return spec[off:], 0, nil
}
