package oscjson

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/wire"
)

// Error reports JSON that is not a packet in the JSON form.
type Error struct {
	Path string // where, e.g. "elements[0].args[2].value"; empty for the whole value
	Err  error
}

// Error returns "oscjson: PATH: reason".
func (e *Error) Error() string {
	if e.Path == "" {
		return "oscjson: " + e.Err.Error()
	}
	return "oscjson: " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns the underlying error: a *json.SyntaxError, a
// *wire.ParseError, a strconv error or a plain reason.
func (e *Error) Unwrap() error { return e.Err }

func errf(path, format string, args ...any) error {
	return &Error{Path: path, Err: fmt.Errorf(format, args...)}
}

// encoders keeps Encode's encoders warm; each call copies the packet out
// before it returns its encoder.
var encoders = sync.Pool{New: func() any { return new(wire.Encoder) }}

// Encode reads one JSON value from js, a message or a bundle in the JSON
// form, and appends the encoded packet to dst. The packet is validated under
// o (nil means the strict defaults), which also sets the nesting limits. On
// error, an *Error, dst is returned unchanged.
func Encode(dst, js []byte, o *wire.Options) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return dst, &Error{Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return dst, errf("", "data after the JSON value")
	}
	e := encoders.Get().(*wire.Encoder)
	defer encoders.Put(e)
	pkt, err := EncodeValue(e, v, o)
	if err != nil {
		return dst, err
	}
	return append(dst, pkt...), nil
}

// EncodeValue encodes v, a JSON value as decoded by encoding/json with
// UseNumber, with e, which it resets first. It returns the packet, which
// aliases e's buffer, after validating it under o (nil means strict).
func EncodeValue(e *wire.Encoder, v any, o *wire.Options) ([]byte, error) {
	if o == nil {
		o = &strict
	}
	e.Reset()
	b := builder{e: e, o: o}
	if err := b.packet(v, "", 0); err != nil {
		return nil, err
	}
	pkt, err := e.Bytes()
	if err != nil {
		return nil, &Error{Err: err}
	}
	if err := o.Validate(pkt); err != nil {
		return nil, &Error{Err: err}
	}
	return pkt, nil
}

// Reader reads a stream of JSON values (one a line, or any whitespace
// between them) and encodes each as a packet.
type Reader struct {
	dec  *json.Decoder
	opts *wire.Options
	enc  wire.Encoder
	n    int
	err  error
}

// NewReader returns a Reader of r whose packets are validated under o (nil
// means strict).
func NewReader(r io.Reader, o *wire.Options) *Reader {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return &Reader{dec: dec, opts: o}
}

// ErrStream marks an error of Reader.Next that came from reading the
// stream or from the JSON syntax; the Reader cannot go on after one.
var ErrStream = errors.New("oscjson: cannot read JSON")

// Next returns the next packet, valid until the next call, or io.EOF after
// the last one. After a value that is valid JSON but not a valid packet
// (an *Error), the Reader goes on with the next value; an error that wraps
// ErrStream is final and is returned again by every later call.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	var v any
	if err := r.dec.Decode(&v); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		r.err = fmt.Errorf("packet %d: %w: %w", r.n+1, ErrStream, err)
		return nil, r.err
	}
	r.n++
	pkt, err := EncodeValue(&r.enc, v, r.opts)
	if err != nil {
		return nil, fmt.Errorf("packet %d: %w", r.n, err)
	}
	return pkt, nil
}

type builder struct {
	e *wire.Encoder
	o *wire.Options
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// checkMembers reports the first member of obj, in sorted order, that is not
// in allowed.
func checkMembers(obj map[string]any, path string, allowed ...string) error {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(allowed, k) {
			return errf(join(path, k), "unknown member (allowed: %s)", strings.Join(allowed, ", "))
		}
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func (b *builder) packet(v any, path string, depth int) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return errf(path, "a packet must be an object, not %s", jsonKind(v))
	}
	isBundle := false
	if t, ok := obj["type"]; ok {
		switch t {
		case "message":
		case "bundle":
			isBundle = true
		default:
			return errf(join(path, "type"), `want "message" or "bundle"`)
		}
	} else {
		_, a1 := obj["address"]
		_, a2 := obj["addressHex"]
		if !a1 && !a2 {
			for _, k := range []string{"timetag", "timeTag", "elements", "packets"} {
				if _, ok := obj[k]; ok {
					isBundle = true
				}
			}
			if !isBundle {
				return errf(path, `not a packet: a message needs "address", a bundle "timetag"`)
			}
		}
	}
	if isBundle {
		limit := b.o.MaxBundleDepth
		if limit <= 0 {
			limit = limits.BundleDepth
		}
		if depth > limit {
			return errf(path, "bundles nested deeper than %d", limit)
		}
		return b.bundle(obj, path, depth)
	}
	return b.message(obj, path)
}

func (b *builder) message(obj map[string]any, path string) error {
	if err := checkMembers(obj, path, "address", "addressHex", "args", "type", "src"); err != nil {
		return err
	}
	a, hasAddr := obj["address"]
	ah, hasHex := obj["addressHex"]
	switch {
	case hasAddr && hasHex:
		return errf(path, `give "address" or "addressHex", not both`)
	case hasAddr:
		s, ok := a.(string)
		if !ok {
			return errf(join(path, "address"), "want a string, not %s", jsonKind(a))
		}
		if err := checkAddress([]byte(s)); err != nil {
			return errf(join(path, "address"), "%v", err)
		}
		b.e.Message(s)
	case hasHex:
		addr, err := hexString(ah)
		if err != nil {
			return errf(join(path, "addressHex"), "%v", err)
		}
		if err := checkAddress(addr); err != nil {
			return errf(join(path, "addressHex"), "%v", err)
		}
		b.e.Message(string(addr))
	default:
		return errf(path, `a message needs "address"`)
	}
	switch args := obj["args"].(type) {
	case nil:
	case []any:
		p := join(path, "args")
		for i, x := range args {
			if err := b.arg(x, index(p, i), 0); err != nil {
				return err
			}
		}
	default:
		return errf(join(path, "args"), "want an array, not %s", jsonKind(args))
	}
	b.e.End()
	return b.encErr(path)
}

func checkAddress(a []byte) error {
	if len(a) == 0 || a[0] != '/' {
		return errors.New("an address must start with '/'")
	}
	if bytes.IndexByte(a, 0) >= 0 {
		return errors.New("an address may not contain NUL")
	}
	return nil
}

func (b *builder) encErr(path string) error {
	if err := b.e.Err(); err != nil {
		return &Error{Path: path, Err: err}
	}
	return nil
}

func (b *builder) bundle(obj map[string]any, path string, depth int) error {
	if err := checkMembers(obj, path, "timetag", "timeTag", "elements", "packets", "type", "src"); err != nil {
		return err
	}
	key := "timetag"
	ttv, ok := obj[key]
	if !ok {
		key = "timeTag"
		if ttv, ok = obj[key]; !ok {
			return errf(path, `a bundle needs "timetag"`)
		}
	}
	tt, err := timetag(ttv, join(path, key))
	if err != nil {
		return err
	}
	key = "elements"
	elems, ok := obj[key]
	if !ok {
		key = "packets"
		elems = obj[key]
	}
	var list []any
	switch x := elems.(type) {
	case nil:
	case []any:
		list = x
	default:
		return errf(join(path, key), "want an array, not %s", jsonKind(elems))
	}
	b.e.BeginBundle(tt)
	for i, el := range list {
		if err := b.packet(el, index(join(path, key), i), depth+1); err != nil {
			return err
		}
	}
	b.e.EndBundle()
	return b.encErr(path)
}

// timetag reads {"sec":S,"frac":F}, "immediate", an RFC 3339 time, the
// "SSSSSSSS.FFFFFFFF" hex form, or osc.js's {"raw":[S,F]} or
// {"native":milliseconds}.
func timetag(v any, path string) (wire.Timetag, error) {
	switch x := v.(type) {
	case string:
		switch x {
		case "immediate", "immediately":
			return wire.Immediately, nil
		}
		if tt, err := wire.ParseTimetagText(x); err == nil {
			return tt, nil
		}
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return 0, errf(path, `want {"sec":S,"frac":F}, "immediate", an RFC 3339 time or SSSSSSSS.FFFFFFFF, not %q`, x)
		}
		return wire.TimetagOf(t), nil
	case map[string]any:
		if err := checkMembers(x, path, "sec", "frac", "raw", "native"); err != nil {
			return 0, err
		}
		if raw, ok := x["raw"]; ok {
			a, ok := raw.([]any)
			if !ok || len(a) != 2 {
				return 0, errf(join(path, "raw"), "want [seconds, fraction]")
			}
			sec, err := uint32Of(a[0], index(join(path, "raw"), 0))
			if err != nil {
				return 0, err
			}
			frac, err := uint32Of(a[1], index(join(path, "raw"), 1))
			if err != nil {
				return 0, err
			}
			return wire.NewTimetag(sec, frac), nil
		}
		if sv, ok := x["sec"]; ok {
			sec, err := uint32Of(sv, join(path, "sec"))
			if err != nil {
				return 0, err
			}
			var frac uint32
			if fv, ok := x["frac"]; ok {
				if frac, err = uint32Of(fv, join(path, "frac")); err != nil {
					return 0, err
				}
			}
			return wire.NewTimetag(sec, frac), nil
		}
		if nv, ok := x["native"]; ok {
			n, ok := nv.(json.Number)
			if !ok {
				return 0, errf(join(path, "native"), "want milliseconds since 1970")
			}
			ms, err := strconv.ParseFloat(string(n), 64)
			if err != nil || math.Abs(ms) > 1e15 {
				return 0, errf(join(path, "native"), "want milliseconds since 1970")
			}
			return wire.TimetagOf(time.Unix(0, int64(ms*1e6))), nil
		}
		return 0, errf(path, `want "sec" and "frac"`)
	}
	return 0, errf(path, `want {"sec":S,"frac":F} or a string, not %s`, jsonKind(v))
}

func uint32Of(v any, path string) (uint32, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errf(path, "want an integer, not %s", jsonKind(v))
	}
	u, err := strconv.ParseUint(string(n), 10, 32)
	if err != nil {
		return 0, errf(path, "want an integer from 0 to 4294967295, not %s", n)
	}
	return uint32(u), nil
}

func hexString(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("want a hex string, not %s", jsonKind(v))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("want hex digits, two a byte: %v", err)
	}
	return b, nil
}

// arg encodes one argument at array depth depth.
func (b *builder) arg(v any, path string, depth int) error {
	switch x := v.(type) {
	case map[string]any:
		return b.typed(x, path, depth)
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 32); err == nil {
				b.e.Int32(int32(n))
				return nil
			}
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				b.e.Int64(n)
				return nil
			}
		}
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return errf(path, "%s is out of range for f (give a typed d)", s)
		}
		b.e.Float32(float32(f))
	case string:
		if strings.IndexByte(x, 0) >= 0 {
			return errf(path, "a string may not contain NUL")
		}
		b.e.String(x)
	case bool:
		b.e.Bool(x)
	case nil:
		b.e.Value(wire.Nil())
	case []any:
		return b.array(x, path, depth)
	default:
		return errf(path, "unexpected %s", jsonKind(v))
	}
	return nil
}

func (b *builder) array(elems []any, path string, depth int) error {
	limit := b.o.MaxArrayDepth
	if limit <= 0 {
		limit = limits.ArrayDepth
	}
	if depth+1 > limit {
		return errf(path, "arrays nested deeper than %d", limit)
	}
	b.e.BeginArray()
	for i, el := range elems {
		if err := b.arg(el, index(path, i), depth+1); err != nil {
			return err
		}
	}
	b.e.EndArray()
	return nil
}

// typed encodes {"type":T,"value":V} and its variants.
func (b *builder) typed(x map[string]any, path string, depth int) error {
	tv, ok := x["type"]
	if !ok {
		return errf(path, `a typed argument needs "type"`)
	}
	t, ok := tv.(string)
	if !ok {
		return errf(join(path, "type"), "want a string, not %s", jsonKind(tv))
	}
	extra := ""
	switch t {
	case "f", "d":
		extra = "bits"
	case "s", "S":
		extra = "hex"
	case "c":
		extra = "code"
	}
	if err := checkMembers(x, path, append([]string{"type", "value"}, extra)...); err != nil {
		return err
	}
	val, hasVal := x["value"]
	vpath := join(path, "value")
	need := func() error {
		if !hasVal {
			return errf(path, `type %q needs "value"`, t)
		}
		return nil
	}
	switch t {
	case "i", "h":
		if err := need(); err != nil {
			return err
		}
		n, err := integer(val, vpath, t)
		if err != nil {
			return err
		}
		if t == "i" {
			b.e.Int32(int32(n))
		} else {
			b.e.Int64(n)
		}
	case "f", "d":
		size := 32
		if t == "d" {
			size = 64
		}
		bits, err := floatBits(x, size, path)
		if err != nil {
			return err
		}
		if size == 32 {
			b.e.Float32(math.Float32frombits(uint32(bits)))
		} else {
			b.e.Float64(math.Float64frombits(bits))
		}
	case "s", "S":
		hv, hasHex := x["hex"]
		var s []byte
		switch {
		case hasVal && hasHex:
			return errf(path, `give "value" or "hex", not both`)
		case hasHex:
			var err error
			if s, err = hexString(hv); err != nil {
				return errf(join(path, "hex"), "%v", err)
			}
		case hasVal:
			str, ok := val.(string)
			if !ok {
				return errf(vpath, "want a string, not %s", jsonKind(val))
			}
			s = []byte(str)
		default:
			return errf(path, `type %q needs "value"`, t)
		}
		if bytes.IndexByte(s, 0) >= 0 {
			return errf(path, "a string may not contain NUL")
		}
		if t == "s" {
			b.e.StringBytes(s)
		} else {
			b.e.Value(wire.Symbol(string(s)))
		}
	case "c":
		cv, hasCode := x["code"]
		switch {
		case hasVal && hasCode:
			return errf(path, `give "value" or "code", not both`)
		case hasCode:
			c, err := uint32Of(cv, join(path, "code"))
			if err != nil {
				return err
			}
			b.e.Value(wire.Char(rune(c)))
		case hasVal:
			s, ok := val.(string)
			if !ok || utf8.RuneCountInString(s) != 1 {
				return errf(vpath, "want a one-character string")
			}
			r, _ := utf8.DecodeRuneInString(s)
			b.e.Value(wire.Char(r))
		default:
			return errf(path, `type "c" needs "value"`)
		}
	case "b":
		if err := need(); err != nil {
			return err
		}
		blob, err := hexString(val)
		if err != nil {
			return errf(vpath, "%v", err)
		}
		b.e.Blob(blob)
	case "t":
		if err := need(); err != nil {
			return err
		}
		tt, err := timetag(val, vpath)
		if err != nil {
			return err
		}
		b.e.Value(wire.TimetagValue(tt))
	case "r", "m":
		if err := need(); err != nil {
			return err
		}
		var q [4]byte
		var err error
		if obj, ok := val.(map[string]any); ok && t == "r" {
			q, err = oscjsColor(obj, vpath)
		} else {
			q, err = fourBytes(val, vpath)
		}
		if err != nil {
			return err
		}
		if t == "r" {
			b.e.Value(wire.RGBAValue(wire.RGBA{R: q[0], G: q[1], B: q[2], A: q[3]}))
		} else {
			b.e.Value(wire.MIDIValue(wire.MIDI{Port: q[0], Status: q[1], Data1: q[2], Data2: q[3]}))
		}
	case "T", "F":
		if hasVal {
			if bv, ok := val.(bool); !ok || bv != (t == "T") {
				return errf(vpath, "type %q has the value %v", t, t == "T")
			}
		}
		b.e.Bool(t == "T")
	case "N":
		if val != nil {
			return errf(vpath, `type "N" has the value null`)
		}
		b.e.Value(wire.Nil())
	case "I":
		switch val {
		case nil, true, json.Number("1"), json.Number("1.0"):
		default:
			return errf(vpath, `type "I" has no value`)
		}
		b.e.Value(wire.Impulse())
	case "array":
		if err := need(); err != nil {
			return err
		}
		elems, ok := val.([]any)
		if !ok {
			return errf(vpath, "want an array, not %s", jsonKind(val))
		}
		return b.array(elems, vpath, depth)
	default:
		return errf(join(path, "type"), "unknown type %q (want one of i h f d s S c b t r m T F N I array)", t)
	}
	return nil
}

// integer reads an i or h value: a JSON integer, or osc.js's {"high","low"}
// form of an int64.
func integer(v any, path, t string) (int64, error) {
	size := 32
	if t == "h" {
		size = 64
	}
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, size)
		if err != nil {
			return 0, errf(path, "want an integer that fits in %d bits, not %s", size, x)
		}
		return n, nil
	case map[string]any:
		if t != "h" {
			break
		}
		if err := checkMembers(x, path, "high", "low", "unsigned"); err != nil {
			return 0, err
		}
		hi, err1 := int32Of(x["high"])
		lo, err2 := int32Of(x["low"])
		if err1 != nil || err2 != nil {
			return 0, errf(path, `want {"high":H,"low":L} with two int32 values`)
		}
		return int64(hi)<<32 | int64(uint32(lo)), nil
	}
	return 0, errf(path, "want an integer, not %s", jsonKind(v))
}

func int32Of(v any) (int32, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errors.New("not a number")
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i < math.MinInt32 || i > math.MaxUint32 {
		return 0, errors.New("out of range")
	}
	return int32(i), nil
}

// floatBits reads the value and bits members of an f or d argument and
// returns the bits to encode.
func floatBits(x map[string]any, size int, path string) (uint64, error) {
	val, hasVal := x["value"]
	bv, hasBits := x["bits"]
	if !hasVal && !hasBits {
		return 0, errf(path, `a float needs "value"`)
	}
	var fromVal uint64
	valNaN := false
	if hasVal {
		vpath := join(path, "value")
		var f float64
		switch v := val.(type) {
		case json.Number:
			var err error
			f, err = strconv.ParseFloat(string(v), size)
			if err != nil {
				return 0, errf(vpath, "%s is out of range for a %d-bit float", v, size)
			}
		case string:
			switch strings.ToLower(v) {
			case "nan":
				valNaN = true
			case "infinity", "+infinity", "inf", "+inf":
				f = math.Inf(1)
			case "-infinity", "-inf":
				f = math.Inf(-1)
			default:
				return 0, errf(vpath, `want a number, "NaN", "Infinity" or "-Infinity", not %q`, v)
			}
		default:
			return 0, errf(vpath, "want a number, not %s", jsonKind(val))
		}
		switch {
		case valNaN && size == 32:
			fromVal = defaultNaN32
		case valNaN:
			fromVal = defaultNaN64
		case size == 32:
			fromVal = uint64(math.Float32bits(float32(f)))
		default:
			fromVal = math.Float64bits(f)
		}
	}
	if !hasBits {
		return fromVal, nil
	}
	bpath := join(path, "bits")
	s, ok := bv.(string)
	if !ok || len(s) != size/4 {
		return 0, errf(bpath, "want %d hex digits", size/4)
	}
	bits, err := strconv.ParseUint(s, 16, size)
	if err != nil {
		return 0, errf(bpath, "want %d hex digits", size/4)
	}
	if hasVal {
		bitsNaN := (size == 32 && math.IsNaN(float64(math.Float32frombits(uint32(bits))))) ||
			(size == 64 && math.IsNaN(math.Float64frombits(bits)))
		if valNaN != bitsNaN || (!valNaN && fromVal != bits) {
			return 0, errf(bpath, "disagrees with value")
		}
	}
	return bits, nil
}

// fourBytes reads an r or m value: 8 hex digits or an array of 4 bytes.
// oscjsColor reads osc.js's colour object, {"r":R,"g":G,"b":B,"a":A} with
// R, G and B bytes and A from 0 to 1 (osc.js divides the byte by 255).
func oscjsColor(obj map[string]any, path string) ([4]byte, error) {
	var q [4]byte
	if err := checkMembers(obj, path, "r", "g", "b", "a"); err != nil {
		return q, err
	}
	for i, k := range []string{"r", "g", "b"} {
		n, ok := obj[k].(json.Number)
		u, err := strconv.ParseUint(string(n), 10, 8)
		if !ok || err != nil {
			return q, errf(join(path, k), "want a byte")
		}
		q[i] = byte(u)
	}
	n, ok := obj["a"].(json.Number)
	a, err := strconv.ParseFloat(string(n), 64)
	if !ok || err != nil || a < 0 || a > 1 {
		return q, errf(join(path, "a"), "want a number from 0 to 1")
	}
	q[3] = byte(math.Round(a * 255))
	return q, nil
}

func fourBytes(v any, path string) ([4]byte, error) {
	var q [4]byte
	switch x := v.(type) {
	case string:
		b, err := hex.DecodeString(x)
		if err == nil && len(b) == 4 {
			copy(q[:], b)
			return q, nil
		}
	case []any:
		if len(x) == 4 {
			for i, e := range x {
				n, ok := e.(json.Number)
				if !ok {
					return q, errf(path, "want 8 hex digits or 4 bytes")
				}
				u, err := strconv.ParseUint(string(n), 10, 8)
				if err != nil {
					return q, errf(index(path, i), "want a byte, not %s", n)
				}
				q[i] = byte(u)
			}
			return q, nil
		}
	}
	return q, errf(path, "want 8 hex digits or 4 bytes")
}
