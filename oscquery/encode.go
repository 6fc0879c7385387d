package oscquery

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/osckit/osc/wire"
)

// ErrTooLarge reports a JSON document that would exceed a size limit.
var ErrTooLarge = errors.New("oscquery: JSON document too large")

// attr is a bit set of attributes, to write a whole node or one attribute.
type attr uint16

const (
	attrFullPath attr = 1 << iota
	attrContents
	attrType
	attrAccess
	attrValue
	attrRange
	attrDescription
	attrTags
	attrExtendedType
	attrUnit
	attrClipMode
	attrCritical
	attrOverloads

	attrAll = 1<<iota - 1
)

// Extensions returns the EXTENSIONS this package implements, as its
// Handler announces them in HOST_INFO: the optional attributes it serves,
// and the WebSocket's LISTEN and PATH_* notices. HTML is not implemented
// and not listed.
func Extensions() map[string]bool {
	return map[string]bool{
		"ACCESS":        true,
		"VALUE":         true,
		"RANGE":         true,
		"DESCRIPTION":   true,
		"TAGS":          true,
		"EXTENDED_TYPE": true,
		"UNIT":          true,
		"CRITICAL":      true,
		"CLIPMODE":      true,
		"OVERLOADS":     true,
		"TYPE":          true,
		"LISTEN":        true,
		"PATH_CHANGED":  true,
		"PATH_ADDED":    true,
		"PATH_REMOVED":  true,
		"PATH_RENAMED":  true,
	}
}

// encoder appends JSON to b and stops growing past max (0: no limit).
type encoder struct {
	b   []byte
	max int
}

func (e *encoder) full() bool { return e.max > 0 && len(e.b) > e.max }

func (e *encoder) key(first *bool, k string) {
	if !*first {
		e.b = append(e.b, ',')
	}
	*first = false
	e.b = appendString(e.b, k)
	e.b = append(e.b, ':')
}

// view is what the encoder needs of a node: its attributes, its current
// value and its children in order.
type view interface {
	attrs() *Node
	value() ([]wire.Value, bool)
	children() []view
	childName(i int) string
}

// nodeView adapts a Node (whose Contents is a map) to view.
type nodeView struct {
	n     *Node
	names []string
}

func newNodeView(n *Node) *nodeView {
	v := &nodeView{n: n}
	for k, c := range n.Contents {
		if c != nil {
			v.names = append(v.names, k)
		}
	}
	slices.Sort(v.names)
	return v
}

func (v *nodeView) attrs() *Node                { return v.n }
func (v *nodeView) value() ([]wire.Value, bool) { return v.n.Value, v.n.Value != nil }
func (v *nodeView) childName(i int) string      { return v.names[i] }
func (v *nodeView) children() []view {
	out := make([]view, len(v.names))
	for i, k := range v.names {
		out[i] = newNodeView(v.n.Contents[k])
	}
	return out
}

// object writes the attributes in mask of the node as a JSON object.
// CONTENTS recurses with every attribute. top is false for an overload.
func (e *encoder) object(v view, mask attr, top bool) {
	n := v.attrs()
	e.b = append(e.b, '{')
	first := true
	if mask&attrFullPath != 0 && (top || n.FullPath != "") {
		e.key(&first, "FULL_PATH")
		e.b = appendString(e.b, n.FullPath)
	}
	if mask&attrDescription != 0 && n.Description != "" {
		e.key(&first, "DESCRIPTION")
		e.b = appendString(e.b, n.Description)
	}
	if mask&attrAccess != 0 && (top || n.Access != 0) {
		e.key(&first, "ACCESS")
		e.b = strconv.AppendUint(e.b, uint64(n.Access), 10)
	}
	var items []typeItem
	if n.Type != "" {
		if strings.IndexByte(n.Type, '[') >= 0 {
			// Arrays nest RANGE, UNIT...; without any, they are flat
			// (appendNested with no items), and parsing would allocate
			// for every node served.
			items, _ = parseType(n.Type)
		}
		if mask&attrType != 0 {
			e.key(&first, "TYPE")
			e.b = appendString(e.b, n.Type)
		}
	}
	if mask&attrValue != 0 && (n.Access.Readable() || !top) {
		if vs, ok := v.value(); ok {
			e.key(&first, "VALUE")
			e.b = append(e.b, '[')
			for i, x := range vs {
				if i > 0 {
					e.b = append(e.b, ',')
				}
				e.b = appendValue(e.b, x)
			}
			e.b = append(e.b, ']')
		}
	}
	if mask&attrRange != 0 && len(n.Range) > 0 {
		e.key(&first, "RANGE")
		e.b = appendNested(e.b, items, len(n.Range), func(b []byte, i int) []byte { return appendRange(b, n.Range[i]) })
	}
	if mask&attrTags != 0 && len(n.Tags) > 0 {
		e.key(&first, "TAGS")
		e.b = append(e.b, '[')
		for i, s := range n.Tags {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = appendString(e.b, s)
		}
		e.b = append(e.b, ']')
	}
	strs := func(name string, bit attr, ss []string) {
		if mask&bit == 0 || len(ss) == 0 {
			return
		}
		e.key(&first, name)
		e.b = appendNested(e.b, items, len(ss), func(b []byte, i int) []byte { return appendStringOrNull(b, ss[i]) })
	}
	strs("EXTENDED_TYPE", attrExtendedType, n.ExtendedType)
	strs("UNIT", attrUnit, n.Unit)
	if mask&attrClipMode != 0 && len(n.ClipMode) > 0 {
		e.key(&first, "CLIPMODE")
		e.b = appendNested(e.b, items, len(n.ClipMode), func(b []byte, i int) []byte {
			return appendStringOrNull(b, string(n.ClipMode[i]))
		})
	}
	if mask&attrCritical != 0 && n.Critical {
		e.key(&first, "CRITICAL")
		e.b = append(e.b, "true"...)
	}
	if mask&attrOverloads != 0 && len(n.Overloads) > 0 {
		e.key(&first, "OVERLOADS")
		e.b = append(e.b, '[')
		for i := range n.Overloads {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			o := n.Overloads[i]
			o.FullPath, o.Contents = "", nil
			e.object(&nodeView{n: &o}, attrAll, false)
		}
		e.b = append(e.b, ']')
	}
	if mask&attrContents != 0 && top {
		if cs := v.children(); len(cs) > 0 {
			e.key(&first, "CONTENTS")
			e.b = append(e.b, '{')
			for i, c := range cs {
				if e.full() {
					break
				}
				if i > 0 {
					e.b = append(e.b, ',')
				}
				e.b = appendString(e.b, v.childName(i))
				e.b = append(e.b, ':')
				e.object(c, attrAll, true)
			}
			e.b = append(e.b, '}')
		}
	}
	e.b = append(e.b, '}')
}

// appendNested writes n flat entries as a JSON array nested like items
// (the type tag string); when the counts disagree, as a flat array.
func appendNested(b []byte, items []typeItem, n int, entry func([]byte, int) []byte) []byte {
	if countLeaves(items) != n {
		items = nil
	}
	i := 0
	var walk func(items []typeItem)
	walk = func(items []typeItem) {
		b = append(b, '[')
		for k, it := range items {
			if k > 0 {
				b = append(b, ',')
			}
			if it.t == wire.TypeArrayBegin {
				walk(it.sub)
				continue
			}
			b = entry(b, i)
			i++
		}
		b = append(b, ']')
	}
	if items != nil {
		walk(items)
		return b
	}
	b = append(b, '[')
	for k := range n {
		if k > 0 {
			b = append(b, ',')
		}
		b = entry(b, k)
	}
	return append(b, ']')
}

func appendRange(b []byte, r Range) []byte {
	if r.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '{')
	first := true
	sep := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, k...)
	}
	if r.Min.Type() != 0 {
		sep(`"MIN":`)
		b = appendValue(b, r.Min)
	}
	if r.Max.Type() != 0 {
		sep(`"MAX":`)
		b = appendValue(b, r.Max)
	}
	if r.Vals != nil {
		sep(`"VALS":[`)
		for i, v := range r.Vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

const hexDigits = "0123456789ABCDEF"

// appendValue writes v as the proposal's JSON for its type: numbers for
// i f h d t (a timetag as its 64-bit NTP integer), strings for s S c,
// "#RRGGBBAA" for r, booleans for T F, arrays for arrays, and null for
// b m N I, for the zero Value and for a float that is not finite.
func appendValue(b []byte, v wire.Value) []byte {
	switch v.Type() {
	case wire.TypeInt32:
		x, _ := v.Int32()
		return strconv.AppendInt(b, int64(x), 10)
	case wire.TypeInt64:
		x, _ := v.Int64()
		return strconv.AppendInt(b, x, 10)
	case wire.TypeTimetag:
		x, _ := v.Timetag()
		return strconv.AppendUint(b, uint64(x), 10)
	case wire.TypeFloat32:
		x, _ := v.Float32()
		return appendFloat(b, float64(x), 32)
	case wire.TypeFloat64:
		x, _ := v.Float64()
		return appendFloat(b, x, 64)
	case wire.TypeString, wire.TypeSymbol:
		s, _ := v.Str()
		return appendString(b, s)
	case wire.TypeChar:
		r, _ := v.Char()
		return appendString(b, string(r))
	case wire.TypeRGBA:
		c, _ := v.RGBA()
		b = append(b, '"', '#')
		for _, x := range [4]uint8{c.R, c.G, c.B, c.A} {
			b = append(b, hexDigits[x>>4], hexDigits[x&15])
		}
		return append(b, '"')
	case wire.TypeTrue:
		return append(b, "true"...)
	case wire.TypeFalse:
		return append(b, "false"...)
	case wire.TypeArrayBegin:
		vs, _ := v.Array()
		b = append(b, '[')
		for i, u := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, u)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&15])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
