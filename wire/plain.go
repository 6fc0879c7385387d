package wire

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"time"
)

// A TypeError reports a Go value that has no OSC type, given to InferAll
// or to a sending call that takes plain values.
type TypeError struct {
	Arg   int // index of the argument in the call (-1 when unknown)
	Value any // the value, or the array element, that has no OSC type
}

func (e *TypeError) Error() string {
	if e.Arg < 0 {
		return fmt.Sprintf("wire: a value of Go type %T has no OSC type", e.Value)
	}
	return fmt.Sprintf("wire: argument %d: a value of Go type %T has no OSC type", e.Arg, e.Value)
}

// InferAll returns the OSC values for plain Go values, choosing each type
// as python-osc does for its Python counterpart:
//
//	int32, int16, int8, uint16, uint8        'i'
//	int, uint, uint32, uint64                'i' if the value fits 32 bits, else 'h'
//	int64                                    'h'
//	float32, float64                         'f' (python-osc sends floats as 'f'; use Float64 for 'd')
//	string                                   's'
//	[]byte                                   'b'
//	bool                                     'T' or 'F'
//	nil                                      'N'
//	time.Time, Timetag                       't'
//	RGBA, MIDI                               'r', 'm'
//	Value                                    itself
//	[]any and other slices and arrays        an array of the elements, inferred in turn
//
// Any other value (a map, a struct, a pointer, a uint64 above 2^63-1, an
// array nested deeper than 32) is a *TypeError that names the first
// argument without an OSC type. InferAll allocates; the typed constructors
// (Int32, Float32, ...) are the allocation-free path.
func InferAll(args []any) ([]Value, error) {
	vs := make([]Value, len(args))
	for i, a := range args {
		v, err := infer(a, 0)
		if err != nil {
			err.Arg = i
			return nil, err
		}
		vs[i] = v
	}
	return vs, nil
}

func infer(x any, depth int) (Value, *TypeError) {
	switch x := x.(type) {
	case nil:
		return Nil(), nil
	case Value:
		return x, nil
	case int32:
		return Int32(x), nil
	case int16:
		return Int32(int32(x)), nil
	case int8:
		return Int32(int32(x)), nil
	case uint16:
		return Int32(int32(x)), nil
	case uint8:
		return Int32(int32(x)), nil
	case int:
		return intValue(int64(x)), nil
	case int64:
		return Int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return Value{}, &TypeError{Value: x}
		}
		return intValue(int64(x)), nil
	case uint32:
		return intValue(int64(x)), nil
	case uint64:
		if x > math.MaxInt64 {
			return Value{}, &TypeError{Value: x}
		}
		return intValue(int64(x)), nil
	case float32:
		return Float32(x), nil
	case float64:
		return Float32(float32(x)), nil
	case string:
		return String(x), nil
	case []byte:
		return Blob(x), nil
	case bool:
		return Bool(x), nil
	case time.Time:
		return TimetagValue(TimetagOf(x)), nil
	case Timetag:
		return TimetagValue(x), nil
	case RGBA:
		return RGBAValue(x), nil
	case MIDI:
		return MIDIValue(x), nil
	case []any:
		if depth >= defaultMaxArrayDepth {
			return Value{}, &TypeError{Value: x}
		}
		vs := make([]Value, len(x))
		for i, e := range x {
			v, err := infer(e, depth+1)
			if err != nil {
				return Value{}, err
			}
			vs[i] = v
		}
		return Array(vs...), nil
	}
	rv := reflect.ValueOf(x)
	if k := rv.Kind(); k != reflect.Slice && k != reflect.Array || depth >= defaultMaxArrayDepth {
		return Value{}, &TypeError{Value: x}
	}
	vs := make([]Value, rv.Len())
	for i := range vs {
		v, err := infer(rv.Index(i).Interface(), depth+1)
		if err != nil {
			return Value{}, err
		}
		vs[i] = v
	}
	return Array(vs...), nil
}

func intValue(n int64) Value {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return Int32(int32(n))
	}
	return Int64(n)
}

// AnyArgs returns the message's arguments as plain Go values: int32 ('i'),
// int64 ('h'), float32 ('f'), float64 ('d'), string ('s', 'S'), []byte
// ('b', a copy), bool ('T', 'F'), nil ('N'), Timetag ('t'), RGBA ('r'),
// MIDI ('m'), []any (an array), and a Value for the types without a plain
// Go counterpart ('c', 'I'). It allocates; Args is the allocation-free
// cursor. Given to InferAll, each value gives back its argument, except that
// float64 becomes 'f', 'S' becomes 's' and a small int64 stays 'h'.
func (m Message) AnyArgs() []any {
	out := make([]any, 0, m.NumArgs())
	r := m.Args()
	for r.Next() {
		out = append(out, plainOf(r.Arg()))
	}
	return out
}

func plainOf(a Arg) any {
	switch a.Type() {
	case TypeInt32:
		v, _ := a.Int32()
		return v
	case TypeInt64:
		v, _ := a.Int64()
		return v
	case TypeFloat32:
		v, _ := a.Float32()
		return v
	case TypeFloat64:
		v, _ := a.Float64()
		return v
	case TypeString, TypeSymbol:
		v, _ := a.StringBytes()
		return string(v)
	case TypeBlob:
		v, _ := a.Blob()
		return bytes.Clone(v)
	case TypeTrue:
		return true
	case TypeFalse:
		return false
	case TypeNil:
		return nil
	case TypeTimetag:
		v, _ := a.Timetag()
		return v
	case TypeRGBA:
		v, _ := a.RGBA()
		return v
	case TypeMIDI:
		v, _ := a.MIDI()
		return v
	case TypeArrayBegin:
		r, _ := a.Array()
		out := []any{}
		for r.Next() {
			out = append(out, plainOf(r.Arg()))
		}
		return out
	}
	return valueOf(a)
}
