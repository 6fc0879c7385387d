package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/wire"
)

// typeChars are the tags accepted in a TYPES argument.
const typeChars = "ihfdsScmTFNIbtr[]"

// noValue are the tags that take no value argument.
const noValue = "TFNI[]"

// parseMessage reads oscsend's arguments, "/address [TYPES] [VALUES...]",
// and returns the address and the typed values.
func parseMessage(args []string) (string, []wire.Value, error) {
	if len(args) == 0 {
		return "", nil, errors.New("missing /address")
	}
	addr := args[0]
	if addr == "" || addr[0] != '/' {
		return "", nil, fmt.Errorf("address %q must start with '/'", addr)
	}
	if strings.IndexByte(addr, 0) >= 0 {
		return "", nil, errors.New("an address may not contain NUL")
	}
	rest := args[1:]
	if len(rest) == 0 {
		return addr, nil, nil
	}
	types, explicit := rest[0], false
	if strings.HasPrefix(types, ",") {
		types, explicit = types[1:], true
	} else if !isTypeString(types) {
		vals := make([]wire.Value, len(rest))
		for i, s := range rest {
			vals[i] = inferValue(s)
		}
		return addr, vals, nil
	}
	need, err := checkTypes(types)
	if err != nil {
		return "", nil, err
	}
	values := rest[1:]
	if need != len(values) {
		if explicit {
			return "", nil, fmt.Errorf("types %q need %d values, but %d follow", rest[0], need, len(values))
		}
		return "", nil, fmt.Errorf("%q reads as types that need %d values, but %d follow "+
			"(to send it as a string, give its type: s %s)", types, need, len(values), types)
	}
	vals, err := typedValues(types, values)
	if err != nil {
		return "", nil, err
	}
	return addr, vals, nil
}

func isTypeString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(typeChars, s[i]) < 0 {
			return false
		}
	}
	return true
}

// checkTypes validates a type tag string (without comma) and returns the
// number of values it needs.
func checkTypes(types string) (int, error) {
	need, depth := 0, 0
	for i := 0; i < len(types); i++ {
		c := types[i]
		switch {
		case strings.IndexByte(typeChars, c) < 0:
			return 0, fmt.Errorf("unknown type %q in %q (want %s)", c, types, typeChars)
		case c == '[':
			if depth++; depth > limits.ArrayDepth {
				return 0, fmt.Errorf("arrays in %q nested deeper than %d", types, limits.ArrayDepth)
			}
		case c == ']':
			if depth--; depth < 0 {
				return 0, fmt.Errorf("unbalanced ']' in %q", types)
			}
		case strings.IndexByte(noValue, c) < 0:
			need++
		}
	}
	if depth != 0 {
		return 0, fmt.Errorf("unbalanced '[' in %q", types)
	}
	return need, nil
}

// typedValues builds the values of a checked type tag string; arrays
// collect the values between their brackets.
func typedValues(types string, values []string) ([]wire.Value, error) {
	stack := [][]wire.Value{nil}
	vi := 0
	for i := 0; i < len(types); i++ {
		c := types[i]
		top := len(stack) - 1
		switch c {
		case '[':
			stack = append(stack, []wire.Value{})
		case ']':
			arr := wire.Array(stack[top]...)
			stack = stack[:top]
			stack[top-1] = append(stack[top-1], arr)
		default:
			s := ""
			if strings.IndexByte(noValue, c) < 0 {
				s = values[vi]
				vi++
			}
			v, err := parseValue(c, s)
			if err != nil {
				return nil, fmt.Errorf("value %d (%q) for type %c: %v", vi, s, c, err)
			}
			stack[top] = append(stack[top], v)
		}
	}
	return stack[0], nil
}

// parseValue reads the value s of type tag c.
func parseValue(c byte, s string) (wire.Value, error) {
	switch c {
	case 'i':
		n, err := parseInt(s, 32)
		return wire.Int32(int32(n)), err
	case 'h':
		n, err := parseInt(s, 64)
		return wire.Int64(n), err
	case 'f':
		f, err := parseFloat(s, 32)
		return wire.Float32(float32(f)), err
	case 'd':
		f, err := parseFloat(s, 64)
		return wire.Float64(f), err
	case 's', 'S':
		if strings.IndexByte(s, 0) >= 0 {
			return wire.Value{}, errors.New("a string may not contain NUL")
		}
		if c == 'S' {
			return wire.Symbol(s), nil
		}
		return wire.String(s), nil
	case 'c':
		if utf8.RuneCountInString(s) != 1 {
			return wire.Value{}, errors.New("want one character")
		}
		r, _ := utf8.DecodeRuneInString(s)
		return wire.Char(r), nil
	case 'm', 'r':
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 4 {
			return wire.Value{}, errors.New("want 8 hex digits")
		}
		if c == 'm' {
			return wire.MIDIValue(wire.MIDI{Port: b[0], Status: b[1], Data1: b[2], Data2: b[3]}), nil
		}
		return wire.RGBAValue(wire.RGBA{R: b[0], G: b[1], B: b[2], A: b[3]}), nil
	case 'b':
		b, err := parseHex(s)
		if err != nil {
			return wire.Value{}, errors.New("want hex digits, two a byte")
		}
		return wire.Blob(b), nil
	case 't':
		tt, err := parseTime(s, time.Now)
		return wire.TimetagValue(tt), err
	case 'T':
		return wire.Bool(true), nil
	case 'F':
		return wire.Bool(false), nil
	case 'N':
		return wire.Nil(), nil
	case 'I':
		return wire.Impulse(), nil
	}
	return wire.Value{}, fmt.Errorf("unknown type %q", c)
}

// parseInt reads a decimal integer, or hex with a 0x prefix (whose bits
// may fill the word: 0xffffffff is -1 as an i).
func parseInt(s string, size int) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if strings.HasPrefix(digits, "0x") || strings.HasPrefix(digits, "0X") {
		u, err := strconv.ParseUint(digits[2:], 16, size)
		if err != nil || neg {
			return 0, fmt.Errorf("want an integer of %d bits", size)
		}
		if size == 32 {
			return int64(int32(uint32(u))), nil
		}
		return int64(u), nil
	}
	n, err := strconv.ParseInt(s, 10, size)
	if err != nil {
		return 0, fmt.Errorf("want an integer of %d bits", size)
	}
	return n, nil
}

// parseFloat reads a number, nan, inf or -inf; -0 stays -0, and nan is
// the quiet NaN that C's strtod and liblo write (7ff8000000000000, which
// narrows to 7fc00000), not Go's math.NaN.
func parseFloat(s string, size int) (float64, error) {
	f, err := strconv.ParseFloat(s, size)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, fmt.Errorf("out of range for a %d-bit float", size)
		}
		return 0, errors.New("want a number")
	}
	if math.IsNaN(f) {
		f = math.Float64frombits(0x7ff8000000000000)
	}
	return f, nil
}

// parseTime reads a timetag: "immediate", "now", liblo's SSSSSSSS.FFFFFFFF
// NTP hex, or an RFC 3339 time.
func parseTime(s string, now func() time.Time) (wire.Timetag, error) {
	switch s {
	case "immediate", "immediately":
		return wire.Immediately, nil
	case "now":
		return wire.TimetagOf(now()), nil
	}
	if tt, err := wire.ParseTimetagText(s); err == nil {
		return tt, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, errors.New(`want SSSSSSSS.FFFFFFFF (NTP, hex), an RFC 3339 time, "now" or "immediate"`)
	}
	return wire.TimetagOf(t), nil
}

// inferValue types a value given without TYPES: decimal integers are i (h
// if they need 64 bits), other decimal numbers f (d if they overflow a
// float32), true and false T and F, nil N, and the rest s.
func inferValue(s string) wire.Value {
	switch s {
	case "true":
		return wire.Bool(true)
	case "false":
		return wire.Bool(false)
	case "nil":
		return wire.Nil()
	}
	isInt, isNum := numberSyntax(s)
	if isInt {
		if n, err := strconv.ParseInt(s, 10, 32); err == nil {
			return wire.Int32(int32(n))
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return wire.Int64(n)
		}
	}
	if isNum {
		if f, err := strconv.ParseFloat(s, 32); err == nil {
			return wire.Float32(float32(f))
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return wire.Float64(f)
		}
	}
	return wire.String(s)
}

// numberSyntax reports whether s is a decimal integer ([+-]digits) and
// whether it is a decimal number ([+-]digits[.digits][e[+-]digits], with
// digits on at least one side of the point).
func numberSyntax(s string) (isInt, isNum bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	n := digits()
	if i == len(s) {
		return n > 0, n > 0
	}
	if s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false, false
		}
	}
	return false, i == len(s)
}
