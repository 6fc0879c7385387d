package wire_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/wire"
)

// TestValueReceivers: the read-only views and values have value receivers
// only, so that every method is callable on a Message returned by a
// function or held in a map, and none can mutate what it is called on.
// The builders (Encoder) and cursors (ArgReader, ElementReader) advance,
// and keep pointer receivers.
func TestValueReceivers(t *testing.T) {
	for _, v := range []any{wire.Message{}, wire.Bundle{}, wire.Arg{}, wire.Value{}, wire.Timetag(0), wire.Type(0)} {
		typ := reflect.TypeOf(v)
		ptr := reflect.PointerTo(typ)
		require.Positive(t, typ.NumMethod(), "%v has no value methods", typ)
		for i := range ptr.NumMethod() {
			name := ptr.Method(i).Name
			_, ok := typ.MethodByName(name)
			require.True(t, ok, "(*%v).%s has a pointer receiver", typ, name)
		}
	}

	// A Message held in a map is not addressable: its methods still run.
	pkt, err := wire.AppendMessage(nil, "/a", wire.Int32(1))
	require.NoError(t, err)
	m, err := wire.ParseMessage(pkt)
	require.NoError(t, err)
	byName := map[string]wire.Message{"a": m}
	require.Equal(t, "/a", byName["a"].AddressString())
	require.Equal(t, []any{int32(1)}, byName["a"].AnyArgs())
}
