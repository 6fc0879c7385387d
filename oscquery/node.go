package oscquery

import (
	"errors"
	"fmt"

	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/wire"
)

// Access says whether a node's value can be read, written, both or neither
// (the ACCESS attribute, a bit mask).
type Access uint8

// The values of ACCESS.
const (
	AccessNone      Access = 0 // no value
	AccessRead      Access = 1 // the value may be read (queried, streamed)
	AccessWrite     Access = 2 // the value may be set by sending a message
	AccessReadWrite Access = 3 // both
)

// Readable reports whether the value may be read.
func (a Access) Readable() bool { return a&AccessRead != 0 }

// Writable reports whether the value may be set.
func (a Access) Writable() bool { return a&AccessWrite != 0 }

// ClipMode says how a method treats values outside its range (one CLIPMODE
// entry).
type ClipMode string

// The values of a CLIPMODE entry.
const (
	ClipNone ClipMode = "none" // no clipping
	ClipLow  ClipMode = "low"  // values below MIN are clipped
	ClipHigh ClipMode = "high" // values above MAX are clipped
	ClipBoth ClipMode = "both" // both
)

// Range is the RANGE of one value: a minimum, a maximum and/or the list of
// the only values accepted. A zero Min or Max (the invalid zero wire.Value)
// means no bound. The zero Range is written as JSON null, the proposal's
// placeholder for a value without a range.
type Range struct {
	Min  wire.Value   // MIN, or the zero Value for none
	Max  wire.Value   // MAX, or the zero Value for none
	Vals []wire.Value // VALS, or nil for none
}

// IsZero reports whether r says nothing.
func (r Range) IsZero() bool {
	return r.Min.Type() == 0 && r.Max.Type() == 0 && r.Vals == nil
}

// Node describes one node of an OSC address space: a method (a leaf) or a
// container, with the attributes of the OSCQuery proposal.
//
// Value holds one wire.Value per top-level entry of Type, an array for a
// "[...]" group, exactly as the arguments of a message of that type. Range,
// Unit, ExtendedType and ClipMode are flat: one entry per type tag of Type
// other than '[' and ']', in order, whatever the nesting (the JSON form
// nests them again to follow Type). A zero Range, an empty string or an
// empty ClipMode is a placeholder written as JSON null.
type Node struct {
	FullPath     string           // FULL_PATH: the node's OSC address ("/" for the root)
	Contents     map[string]*Node // CONTENTS: the children by name; empty for a method
	Type         string           // TYPE: the OSC type tag string, without ','; "" for a pure container
	Access       Access           // ACCESS
	Value        []wire.Value     // VALUE: nil when the node has no value (yet)
	Range        []Range          // RANGE, one per type tag
	Description  string           // DESCRIPTION
	Tags         []string         // TAGS
	ExtendedType []string         // EXTENDED_TYPE, one per type tag
	Unit         []string         // UNIT, one per type tag
	ClipMode     []ClipMode       // CLIPMODE, one per type tag
	Critical     bool             // CRITICAL: deliver over a reliable transport
	Overloads    []Node           // OVERLOADS: other type tag strings accepted; their FullPath and Contents are ignored
}

// Errors returned when a namespace or a node is built.
var (
	ErrPath = errors.New("oscquery: invalid node path")
	ErrType = errors.New("oscquery: invalid TYPE")
)

// MaxDepth bounds the nesting of the nodes of a namespace (and of the JSON
// read by UnmarshalJSON): deeper nodes are refused.
const MaxDepth = 64

// typeItem is one top-level entry of a type tag string: a tag, or an array
// with its entries.
type typeItem struct {
	t   wire.Type
	sub []typeItem
}

// parseType parses a type tag string (an optional leading ',' is dropped)
// into its top-level items.
func parseType(s string) ([]typeItem, error) {
	if len(s) > 0 && s[0] == ',' {
		s = s[1:]
	}
	items, rest, err := parseTypeItems(s, 0)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("%w %q: unbalanced ']'", ErrType, s)
	}
	return items, nil
}

func parseTypeItems(s string, depth int) ([]typeItem, string, error) {
	var items []typeItem
	for len(s) > 0 {
		c := wire.Type(s[0])
		switch {
		case c == wire.TypeArrayEnd:
			if depth == 0 {
				return nil, s, nil
			}
			return items, s, nil
		case c == wire.TypeArrayBegin:
			if depth >= limits.ArrayDepth {
				return nil, "", fmt.Errorf("%w: arrays nested too deep", ErrType)
			}
			sub, rest, err := parseTypeItems(s[1:], depth+1)
			if err != nil {
				return nil, "", err
			}
			if rest == "" || rest[0] != ']' {
				return nil, "", fmt.Errorf("%w: unbalanced '['", ErrType)
			}
			items = append(items, typeItem{t: c, sub: sub})
			s = rest[1:]
		case c.Valid():
			items = append(items, typeItem{t: c})
			s = s[1:]
		default:
			return nil, "", fmt.Errorf("%w: unknown type tag %q", ErrType, s[0])
		}
	}
	return items, "", nil
}

// countLeaves returns the number of type tags of items other than brackets.
func countLeaves(items []typeItem) int {
	n := 0
	for _, it := range items {
		if it.t == wire.TypeArrayBegin {
			n += countLeaves(it.sub)
		} else {
			n++
		}
	}
	return n
}

// leafTypes returns the type tags of items other than brackets, in order.
func leafTypes(dst []wire.Type, items []typeItem) []wire.Type {
	for _, it := range items {
		if it.t == wire.TypeArrayBegin {
			dst = leafTypes(dst, it.sub)
		} else {
			dst = append(dst, it.t)
		}
	}
	return dst
}

// matchTypes reports whether a message's type tags fit a node's TYPE: the
// same string, except that T and F stand for each other.
func matchTypes(typ string, tags []byte) bool {
	if len(typ) > 0 && typ[0] == ',' {
		typ = typ[1:]
	}
	if len(typ) != len(tags) {
		return false
	}
	for i := range len(typ) {
		a, b := typ[i], tags[i]
		if a == b || (a == 'T' || a == 'F') && (b == 'T' || b == 'F') {
			continue
		}
		return false
	}
	return true
}

// clone returns a deep copy of n (values are shared: they are immutable
// once in a Node).
func (n *Node) clone() *Node {
	c := *n
	c.Value = cloneSlice(n.Value)
	c.Range = cloneSlice(n.Range)
	c.Tags = cloneSlice(n.Tags)
	c.ExtendedType = cloneSlice(n.ExtendedType)
	c.Unit = cloneSlice(n.Unit)
	c.ClipMode = cloneSlice(n.ClipMode)
	if n.Overloads != nil {
		c.Overloads = make([]Node, len(n.Overloads))
		for i := range n.Overloads {
			o := n.Overloads[i].clone()
			o.Contents = nil
			c.Overloads[i] = *o
		}
	}
	if n.Contents != nil {
		c.Contents = make(map[string]*Node, len(n.Contents))
		for k, v := range n.Contents {
			if v != nil {
				c.Contents[k] = v.clone()
			}
		}
	}
	return &c
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
