package oscquery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/wire"
)

// MarshalJSON writes n and its subtree as the proposal's JSON object.
// Children are written in name order; VALUE only when ACCESS is readable.
func (n *Node) MarshalJSON() ([]byte, error) {
	e := encoder{}
	e.object(newNodeView(n), attrAll, true)
	return e.b, nil
}

// jsonNode is the shape of a node object for encoding/json; the
// attributes whose meaning depends on TYPE are kept raw.
type jsonNode struct {
	FullPath     *string              `json:"FULL_PATH"`
	Contents     map[string]*jsonNode `json:"CONTENTS"`
	Type         *string              `json:"TYPE"`
	Access       *json.Number         `json:"ACCESS"`
	Value        json.RawMessage      `json:"VALUE"`
	Range        json.RawMessage      `json:"RANGE"`
	Description  *string              `json:"DESCRIPTION"`
	Tags         []*string            `json:"TAGS"`
	ExtendedType json.RawMessage      `json:"EXTENDED_TYPE"`
	Unit         json.RawMessage      `json:"UNIT"`
	ClipMode     json.RawMessage      `json:"CLIPMODE"`
	Critical     *bool                `json:"CRITICAL"`
	Overloads    []*jsonNode          `json:"OVERLOADS"`
}

// UnmarshalJSON reads a node object and its subtree. It follows the
// proposal's rules for what clients must accept: a single entry in place
// of an array for VALUE, RANGE, UNIT, EXTENDED_TYPE and CLIPMODE means the
// same entry for every type tag; an absent ACCESS means writable, and
// readable too when VALUE is given (nothing, for a node without TYPE or
// VALUE). An entry whose JSON does not fit its type tag is read by its
// JSON kind instead (a number as i, h or d, a string as s, a boolean as T
// or F), never refused. Unknown attributes are ignored. Nodes nested
// deeper than MaxDepth, CONTENTS keys that are empty or hold '/', and a
// TYPE that is not a type tag string are errors.
func (n *Node) UnmarshalJSON(b []byte) error {
	var j jsonNode
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&j); err != nil {
		return fmt.Errorf("oscquery: %w", err)
	}
	if d.More() {
		return fmt.Errorf("oscquery: data after the JSON object")
	}
	out, err := j.node("", 0, true)
	if err != nil {
		return err
	}
	*n = *out
	return nil
}

func (j *jsonNode) node(path string, depth int, top bool) (*Node, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: nodes nested deeper than %d", ErrPath, MaxDepth)
	}
	n := &Node{}
	switch {
	case j.FullPath != nil:
		n.FullPath = *j.FullPath
	case top && path != "":
		n.FullPath = path
	}
	if path == "" {
		path = n.FullPath
	}
	for _, raw := range [...]json.RawMessage{j.Value, j.Range, j.ExtendedType, j.Unit, j.ClipMode} {
		if jsonDepth(raw) > maxValueDepth {
			return nil, fmt.Errorf("oscquery: %s: arrays nested deeper than %d", path, maxValueDepth)
		}
	}
	var items []typeItem
	if j.Type != nil {
		var err error
		if items, err = parseType(*j.Type); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		n.Type = strings.TrimPrefix(*j.Type, ",")
	}
	if j.Description != nil {
		n.Description = *j.Description
	}
	for _, t := range j.Tags {
		if t != nil {
			n.Tags = append(n.Tags, *t)
		}
	}
	if j.Critical != nil {
		n.Critical = *j.Critical
	}
	if isPresent(j.Value) {
		n.Value = decodeValues(j.Value, items)
	}
	leaves := leafTypes(nil, items)
	if isPresent(j.Range) {
		for _, l := range flatten(j.Range, items, leaves) {
			n.Range = append(n.Range, decodeRange(l.raw, l.t))
		}
	}
	n.ExtendedType = decodeStrings(j.ExtendedType, items, leaves)
	n.Unit = decodeStrings(j.Unit, items, leaves)
	for _, s := range decodeStrings(j.ClipMode, items, leaves) {
		n.ClipMode = append(n.ClipMode, ClipMode(s))
	}
	switch {
	case j.Access != nil:
		a, err := strconv.ParseFloat(string(*j.Access), 64)
		if err != nil || a != math.Trunc(a) || a < 0 || a > 3 {
			return nil, fmt.Errorf("%s: oscquery: invalid ACCESS %s", path, *j.Access)
		}
		n.Access = Access(a)
	case !top:
		// An overload has the node's ACCESS.
	case n.Value != nil:
		n.Access = AccessReadWrite
	case n.Type != "":
		n.Access = AccessWrite
	}
	for _, o := range j.Overloads {
		if o == nil {
			continue
		}
		on, err := o.node(path, depth+1, false)
		if err != nil {
			return nil, err
		}
		on.FullPath, on.Contents = "", nil
		n.Overloads = append(n.Overloads, *on)
	}
	if top && j.Contents != nil {
		n.Contents = make(map[string]*Node, len(j.Contents))
		for name, c := range j.Contents {
			if name == "" || strings.IndexByte(name, '/') >= 0 {
				return nil, fmt.Errorf("%w: CONTENTS key %q in %s", ErrPath, name, path)
			}
			if c == nil {
				continue
			}
			child := joinPath(path, name)
			cn, err := c.node(child, depth+1, true)
			if err != nil {
				return nil, err
			}
			n.Contents[name] = cn
		}
	}
	return n, nil
}

func joinPath(parent, name string) string {
	if parent == "" || parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// maxValueDepth bounds the nesting of VALUE, RANGE and the other per-type
// attributes: OSC arrays nest at most limits.ArrayDepth deep, and
// RANGE adds an object and VALS.
const maxValueDepth = limits.ArrayDepth + 4

// jsonDepth returns the deepest nesting of arrays and objects in raw
// (valid JSON), in one pass, so that hostile nesting is refused before the
// attribute is decoded level by level.
func jsonDepth(raw []byte) int {
	depth, deepest := 0, 0
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > deepest {
				deepest = depth
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// asArray returns the elements of a JSON array, or false for anything
// else (null included).
func asArray(raw json.RawMessage) ([]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil {
		return nil, false
	}
	return arr, true
}

func isPresent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// leaf is one entry of a flattened per-type attribute.
type leaf struct {
	t   wire.Type // 0 when there is no type tag for it
	raw json.RawMessage
}

// flatten reads a per-type attribute (RANGE, UNIT, ...) into one entry per
// type tag: nested arrays are followed as TYPE nests them, a single entry
// instead of an array stands for every type tag.
func flatten(raw json.RawMessage, items []typeItem, leaves []wire.Type) []leaf {
	arr, ok := asArray(raw)
	if !ok {
		if len(leaves) == 0 {
			return []leaf{{raw: raw}}
		}
		out := make([]leaf, len(leaves))
		for i, t := range leaves {
			out[i] = leaf{t, raw}
		}
		return out
	}
	var out []leaf
	var walk func(arr []json.RawMessage, items []typeItem)
	walk = func(arr []json.RawMessage, items []typeItem) {
		for i, el := range arr {
			var it typeItem
			if i < len(items) {
				it = items[i]
			}
			sub, isArr := asArray(el)
			switch {
			case isArr:
				walk(sub, it.sub)
			case it.t == wire.TypeArrayBegin:
				out = append(out, leaf{raw: el})
			default:
				out = append(out, leaf{it.t, el})
			}
		}
	}
	walk(arr, items)
	return out
}

func decodeStrings(raw json.RawMessage, items []typeItem, leaves []wire.Type) []string {
	if !isPresent(raw) {
		return nil
	}
	ls := flatten(raw, items, leaves)
	out := make([]string, len(ls))
	for i, l := range ls {
		var s string
		if json.Unmarshal(l.raw, &s) == nil {
			out[i] = s
		}
	}
	return out
}

func decodeRange(raw json.RawMessage, t wire.Type) Range {
	var o struct {
		Min  json.RawMessage   `json:"MIN"`
		Max  json.RawMessage   `json:"MAX"`
		Vals []json.RawMessage `json:"VALS"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return Range{}
	}
	var r Range
	if isPresent(o.Min) {
		r.Min = decodeValue(o.Min, typeItem{t: t})
	}
	if isPresent(o.Max) {
		r.Max = decodeValue(o.Max, typeItem{t: t})
	}
	if o.Vals != nil {
		r.Vals = make([]wire.Value, len(o.Vals))
		for i, v := range o.Vals {
			r.Vals[i] = decodeValue(v, typeItem{t: t})
		}
	}
	return r
}

// decodeValues reads VALUE: one entry per top-level item of TYPE.
func decodeValues(raw json.RawMessage, items []typeItem) []wire.Value {
	arr, ok := asArray(raw)
	if !ok {
		// A single entry for every item.
		if len(items) == 0 {
			return []wire.Value{decodeValue(raw, typeItem{})}
		}
		out := make([]wire.Value, len(items))
		for i, it := range items {
			out[i] = decodeValue(raw, it)
		}
		return out
	}
	out := make([]wire.Value, len(arr))
	for i, el := range arr {
		var it typeItem
		if i < len(items) {
			it = items[i]
		}
		out[i] = decodeValue(el, it)
	}
	return out
}

// decodeValue reads one JSON value as the type it. JSON null is the zero
// Value, except for N and I, whose value is their type.
func decodeValue(raw json.RawMessage, it typeItem) wire.Value {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return wire.Value{}
	}
	switch raw[0] {
	case 'n':
		switch it.t {
		case wire.TypeNil:
			return wire.Nil()
		case wire.TypeImpulse:
			return wire.Impulse()
		}
		return wire.Value{}
	case 't', 'f':
		b := raw[0] == 't'
		return wire.Bool(b)
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return wire.Value{}
		}
		switch it.t {
		case wire.TypeSymbol:
			return wire.Symbol(s)
		case wire.TypeChar:
			if r, size := utf8.DecodeRuneInString(s); size == len(s) && size > 0 && r != utf8.RuneError {
				return wire.Char(r)
			}
		case wire.TypeRGBA:
			if c, ok := parseColor(s); ok {
				return wire.RGBAValue(c)
			}
		}
		return wire.String(s)
	case '[':
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) != nil {
			return wire.Value{}
		}
		vs := make([]wire.Value, len(arr))
		for i, el := range arr {
			var sub typeItem
			if i < len(it.sub) {
				sub = it.sub[i]
			}
			vs[i] = decodeValue(el, sub)
		}
		return wire.Array(vs...)
	case '{':
		return wire.Value{}
	}
	return decodeNumber(string(raw), it.t)
}

func decodeNumber(s string, t wire.Type) wire.Value {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return wire.Value{}
	}
	switch t {
	case wire.TypeFloat32:
		return wire.Float32(float32(f))
	case wire.TypeFloat64:
		return wire.Float64(f)
	case wire.TypeInt32:
		if i, err := strconv.ParseInt(s, 10, 32); err == nil {
			return wire.Int32(int32(i))
		}
		if f == math.Trunc(f) && f >= math.MinInt32 && f <= math.MaxInt32 {
			return wire.Int32(int32(f))
		}
	case wire.TypeInt64:
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return wire.Int64(i)
		}
		if f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
			return wire.Int64(int64(f))
		}
	case wire.TypeTimetag:
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return wire.TimetagValue(wire.Timetag(u))
		}
		if f == math.Trunc(f) && f >= 0 && f < math.MaxUint64 {
			return wire.TimetagValue(wire.Timetag(f))
		}
	}
	// No type, or a number that does not fit it: by its form.
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		if i >= math.MinInt32 && i <= math.MaxInt32 {
			return wire.Int32(int32(i))
		}
		return wire.Int64(i)
	}
	return wire.Float64(f)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseColor reads "#RRGGBBAA" (or "#RRGGBB", opaque), in either case.
func parseColor(s string) (wire.RGBA, bool) {
	if len(s) != 9 && len(s) != 7 || s[0] != '#' {
		return wire.RGBA{}, false
	}
	var x [4]uint8
	x[3] = 0xff
	for i := 0; i < (len(s)-1)/2; i++ {
		v, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return wire.RGBA{}, false
		}
		x[i] = uint8(v)
	}
	return wire.RGBA{R: x[0], G: x[1], B: x[2], A: x[3]}, true
}
