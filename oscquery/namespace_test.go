package oscquery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

// decodeJSON decodes b keeping numbers exact.
func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return v
}

// jsonEqual compares two decoded documents; numbers compare as exact
// rationals, so that 0 equals 0.0.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		r1, ok1 := new(big.Rat).SetString(string(x))
		r2, ok2 := new(big.Rat).SetString(string(y))
		return ok1 && ok2 && r1.Cmp(r2) == 0
	default:
		return a == b
	}
}

func assertJSONEqual(t testing.TB, got, want []byte) {
	t.Helper()
	if !jsonEqual(decodeJSON(t, got), decodeJSON(t, want)) {
		t.Fatalf("JSON differs\ngot:  %s\nwant: %s", got, want)
	}
}

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenRoundTrip(t *testing.T) {
	for _, name := range []string{"root.json", "types.json"} {
		t.Run(name, func(t *testing.T) {
			want := readGolden(t, name)
			var n Node
			if err := json.Unmarshal(want, &n); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(&n)
			if err != nil {
				t.Fatal(err)
			}
			assertJSONEqual(t, got, want)

			var ns Namespace
			if err := json.Unmarshal(want, &ns); err != nil {
				t.Fatal(err)
			}
			got, err = json.Marshal(&ns)
			if err != nil {
				t.Fatal(err)
			}
			assertJSONEqual(t, got, want)
		})
	}
}

func TestTypeMapping(t *testing.T) {
	var n Node
	if err := json.Unmarshal(readGolden(t, "types.json"), &n); err != nil {
		t.Fatal(err)
	}
	every := n.Contents["every"]
	want := []wire.Value{
		wire.Int32(-3), wire.Float32(1.5), wire.Int64(9007199254740993), wire.Float64(0.1),
		wire.TimetagValue(16275672002237300736), wire.String("text \"quoted\" é"), wire.Symbol("sym"), wire.Char('x'),
		wire.RGBAValue(wire.RGBA{R: 0xFA, G: 0x64, B: 0x32, A: 0xFF}), wire.Bool(true), wire.Bool(false),
		wire.Nil(), wire.Impulse(), {}, {}, wire.Array(wire.Int32(2), wire.Float32(0.5)),
	}
	if len(every.Value) != len(want) {
		t.Fatalf("VALUE has %d entries, want %d: %v", len(every.Value), len(want), every.Value)
	}
	for i := range want {
		if !every.Value[i].Equal(want[i]) {
			t.Errorf("VALUE[%d] = %v (%c), want %v (%c)", i, every.Value[i], every.Value[i].Type(), want[i], want[i].Type())
		}
	}
	if len(every.Unit) != 17 || every.Unit[1] != "time.second" || every.Unit[16] != "gain.linear" {
		t.Errorf("UNIT flattened wrongly: %q", every.Unit)
	}
	tr := n.Contents["triple"]
	if len(tr.Range) != 4 || !tr.Range[2].IsZero() || !tr.Range[1].Max.Equal(wire.Float32(1)) || !tr.Range[3].Max.Equal(wire.Int32(100)) {
		t.Errorf("RANGE flattened wrongly: %+v", tr.Range)
	}
	if tr.Access != AccessWrite || !tr.Access.Writable() || tr.Access.Readable() {
		t.Errorf("ACCESS = %d", tr.Access)
	}
	c := n.Contents["colour"]
	if len(c.Overloads) != 2 || c.Overloads[0].Type != "ffff" || !c.Overloads[0].Value[2].Equal(wire.Float32(1)) {
		t.Errorf("OVERLOADS: %+v", c.Overloads)
	}
	// A blob and a MIDI value are written as null; NaN too.
	b, _ := json.Marshal(&Node{FullPath: "/x", Access: AccessRead, Type: "bmf", Value: []wire.Value{
		wire.Blob([]byte{1}), wire.MIDIValue(wire.MIDI{Port: 1}), wire.Float32(float32(math.NaN())),
	}})
	assertJSONEqual(t, b, []byte(`{"FULL_PATH":"/x","ACCESS":1,"TYPE":"bmf","VALUE":[null,null,null]}`))
}

func TestUnmarshalLenient(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		// A single entry stands for every type tag.
		{`{"FULL_PATH":"/a","TYPE":"ff","ACCESS":3,"VALUE":0.5,"RANGE":{"MIN":0,"MAX":1},"UNIT":"gain.linear"}`,
			`{"FULL_PATH":"/a","TYPE":"ff","ACCESS":3,"VALUE":[0.5,0.5],"RANGE":[{"MIN":0,"MAX":1},{"MIN":0,"MAX":1}],"UNIT":["gain.linear","gain.linear"]}`},
		// No ACCESS: writable, and readable when a VALUE is given.
		{`{"FULL_PATH":"/a","TYPE":"i","VALUE":[1]}`, `{"FULL_PATH":"/a","TYPE":"i","ACCESS":3,"VALUE":[1]}`},
		{`{"FULL_PATH":"/a","TYPE":"i"}`, `{"FULL_PATH":"/a","TYPE":"i","ACCESS":2}`},
		{`{"FULL_PATH":"/a"}`, `{"FULL_PATH":"/a","ACCESS":0}`},
		// JSON that does not fit the type is read by its kind.
		{`{"FULL_PATH":"/a","TYPE":"ic","ACCESS":1,"VALUE":["x","yz"]}`, `{"FULL_PATH":"/a","TYPE":"ic","ACCESS":1,"VALUE":["x","yz"]}`},
		{`{"FULL_PATH":"/a","TYPE":"i","ACCESS":1,"VALUE":[2.0]}`, `{"FULL_PATH":"/a","TYPE":"i","ACCESS":1,"VALUE":[2]}`},
		{`{"FULL_PATH":"/a","TYPE":"i","ACCESS":1,"VALUE":[2.5]}`, `{"FULL_PATH":"/a","TYPE":"i","ACCESS":1,"VALUE":[2.5]}`},
		// A colour without alpha is opaque; unknown attributes are ignored.
		{`{"FULL_PATH":"/a","TYPE":"r","ACCESS":1,"VALUE":["#ff0000"],"HTML":"x","X_CUSTOM":1}`,
			`{"FULL_PATH":"/a","TYPE":"r","ACCESS":1,"VALUE":["#FF0000FF"]}`},
	} {
		var n Node
		if err := json.Unmarshal([]byte(tc.in), &n); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		b, _ := json.Marshal(&n)
		assertJSONEqual(t, b, []byte(tc.out))
	}
	for _, in := range []string{
		`{"FULL_PATH":"/a","TYPE":"[i"}`,
		`{"FULL_PATH":"/a","TYPE":"i]"}`,
		`{"FULL_PATH":"/a","TYPE":"x"}`,
		`{"FULL_PATH":"/a","ACCESS":4}`,
		`{"FULL_PATH":"/a","ACCESS":1.5}`,
		`{"FULL_PATH":"/","CONTENTS":{"a/b":{}}}`,
		`{"FULL_PATH":"/","CONTENTS":{"":{}}}`,
		`{"FULL_PATH":"/"} {}`,
		`[1]`,
	} {
		var n Node
		if err := json.Unmarshal([]byte(in), &n); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
	// Hostile nesting in VALUE is refused in one pass, not decoded level
	// by level.
	bomb := `{"TYPE":"i","VALUE":` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + `}`
	start := time.Now()
	for range 20 {
		var n Node
		if err := json.Unmarshal([]byte(bomb), &n); err == nil {
			t.Fatal("VALUE nested 9000 deep accepted")
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("20 nested VALUEs took %v", d)
	}
	deep := []byte(`{"FULL_PATH":"/"`)
	for range MaxDepth + 1 {
		deep = append(deep, `,"CONTENTS":{"a":{"ACCESS":0`...)
	}
	for range MaxDepth + 1 {
		deep = append(deep, "}}"...)
	}
	deep = append(deep, '}')
	var n Node
	if err := json.Unmarshal(deep, &n); !errors.Is(err, ErrPath) {
		t.Errorf("deep namespace: %v", err)
	}
}

func TestNamespaceAdd(t *testing.T) {
	ns := NewNamespace()
	if err := ns.Add("/synth/1/freq", Node{Type: "f", Access: AccessReadWrite, Range: []Range{{Min: wire.Float32(20), Max: wire.Float32(20000)}}}); err != nil {
		t.Fatal(err)
	}
	if err := ns.Add("/synth", Node{Description: "synths", Contents: map[string]*Node{
		"2": {Contents: map[string]*Node{"gate": {Type: "T", Access: AccessWrite}}},
	}}); err != nil {
		t.Fatal(err)
	}
	n, ok := ns.Node("/synth")
	if !ok || n.Description != "synths" || n.Contents["1"].Contents["freq"].Type != "f" ||
		n.Contents["2"].Contents["gate"].FullPath != "/synth/2/gate" || n.Contents["1"].FullPath != "/synth/1" {
		t.Fatalf("Node(/synth) = %+v", n)
	}
	for _, bad := range []struct {
		path string
		n    Node
	}{
		{"synth", Node{}}, {"/a b", Node{}}, {"/a/", Node{}}, {"/a//b", Node{}}, {"/a*", Node{}},
		{"/a", Node{Type: "q"}}, {"/a", Node{Access: 4}}, {"/a", Node{Overloads: []Node{{Type: "["}}}},
		{"/a", Node{Contents: map[string]*Node{"x y": {}}}},
	} {
		if err := ns.Add(bad.path, bad.n); err == nil {
			t.Errorf("Add(%q, %+v) accepted", bad.path, bad.n)
		}
	}
	if ns.Remove("/") || ns.Remove("/nope") || !ns.Remove("/synth/2") {
		t.Fatal("Remove")
	}
	if _, ok := ns.Node("/synth/2/gate"); ok {
		t.Fatal("removed node still there")
	}
	if err := ns.SetValue("/nope", wire.Int32(1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetValue of a missing node: %v", err)
	}
	var zero Namespace
	b, _ := json.Marshal(&zero)
	assertJSONEqual(t, b, []byte(`{"FULL_PATH":"/","ACCESS":0}`))
}

func msg(t testing.TB, addr string, args ...wire.Value) wire.Message {
	t.Helper()
	b, err := wire.AppendMessage(nil, addr, args...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := wire.ParseMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestObserve(t *testing.T) {
	ns := NewNamespace()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ns.Add("/ch/1/level", Node{Type: "f", Access: AccessReadWrite}))
	must(ns.Add("/ch/2/level", Node{Type: "f", Access: AccessReadWrite}))
	must(ns.Add("/ch/3/level", Node{Type: "f", Access: AccessWrite}))
	must(ns.Add("/mute", Node{Type: "T", Access: AccessRead}))
	must(ns.Add("/any", Node{Access: AccessRead}))

	buf := msg(t, "/ch/1/level", wire.Float32(0.5))
	if n := ns.Observe(buf); n != 1 {
		t.Fatalf("Observe = %d", n)
	}
	// The value is a copy: the message's bytes may be reused.
	for i := range buf.Bytes() {
		buf.Bytes()[i] = 0
	}
	if v, ok := ns.Value("/ch/1/level"); !ok || !v[0].Equal(wire.Float32(0.5)) {
		t.Fatalf("Value = %v %v", v, ok)
	}
	for _, tc := range []struct {
		m    wire.Message
		want int
	}{
		{msg(t, "/ch/1/level", wire.Int32(1)), 0},              // wrong type
		{msg(t, "/ch/3/level", wire.Float32(1)), 0},            // not readable
		{msg(t, "/ch/9/level", wire.Float32(1)), 0},            // no such node
		{msg(t, "/ch/1/level/", wire.Float32(1)), 0},           // not an address of the tree
		{msg(t, "/ch/*/level", wire.Float32(0.75)), 2},         // pattern: 1 and 2, not 3
		{msg(t, "/mute", wire.Bool(false)), 1},                 // F for T
		{msg(t, "/any", wire.String("x"), wire.Int32(1)), 1},   // no TYPE: anything
		{msg(t, "//level", wire.Float32(0.125)), 2},            // OSC 1.1 '//'
		{msg(t, "/ch/{1,3}/level", wire.Float32(0.0625)), 1},   // braces
		{msg(t, "/ch/[!1]/level", wire.Float32(0.03125)), 1},   // negated set
		{msg(t, "/", wire.Float32(1)), 0},                      // the root has no value
		{msg(t, "/ch/1/level/x", wire.Float32(1)), 0},          // below a method
		{msg(t, "/ch/1", wire.Float32(1)), 0},                  // a container
		{msg(t, "/ch/?/level/*", wire.Float32(1)), 0},          // pattern deeper than the tree
		{msg(t, "/ch/2/level", wire.Float32(0.015625)), 1},     // literal again
		{msg(t, "/mute", wire.Bool(true), wire.Bool(true)), 0}, // too many arguments
	} {
		if n := ns.Observe(tc.m); n != tc.want {
			t.Errorf("Observe(%s %s) = %d, want %d", tc.m.Address(), tc.m.TypeTags(), n, tc.want)
		}
	}
	for path, want := range map[string]wire.Value{
		"/ch/1/level": wire.Float32(0.0625), "/ch/2/level": wire.Float32(0.015625), "/mute": wire.Bool(false),
	} {
		if v, ok := ns.Value(path); !ok || !v[0].Equal(want) {
			t.Errorf("%s = %v, want %v", path, v, want)
		}
	}
	if _, ok := ns.Value("/ch/3/level"); ok {
		t.Error("a write-only node got a value")
	}
}

// TestObserveEveryType: the value read back from an observed message holds
// every argument with its type, nested arrays too, and none of the
// message's bytes.
func TestObserveEveryType(t *testing.T) {
	ns := NewNamespace()
	if err := ns.Add("/any", Node{Access: AccessRead}); err != nil {
		t.Fatal(err)
	}
	want := []wire.Value{
		wire.Int32(-1), wire.Int64(1 << 40), wire.Float32(0.5), wire.Float64(0.25),
		wire.String("s"), wire.Symbol("S"), wire.Blob([]byte{1, 2, 3}),
		wire.Bool(true), wire.Bool(false), wire.Nil(), wire.Impulse(),
		wire.TimetagValue(wire.NewTimetag(1, 2)), wire.Char('c'),
		wire.RGBAValue(wire.RGBA{R: 1, G: 2, B: 3, A: 4}), wire.MIDIValue(wire.MIDI{Port: 1, Status: 0x90, Data1: 60, Data2: 100}),
		wire.Array(wire.Int32(1), wire.Array(wire.String("x")), wire.Array()),
	}
	m := msg(t, "/any", want...)
	if n := ns.Observe(m); n != 1 {
		t.Fatalf("Observe = %d", n)
	}
	clear(m.Bytes())
	got, ok := ns.Value("/any")
	if !ok || len(got) != len(want) {
		t.Fatalf("Value = %v %v, want %v", got, ok, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("value %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestConcurrent(t *testing.T) {
	ns := NewNamespace()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				p := fmt.Sprintf("/g%d/n%d", g, i%20)
				switch i % 5 {
				case 0:
					_ = ns.Add(p, Node{Type: "i", Access: AccessReadWrite})
				case 1:
					ns.Observe(msg(t, p, wire.Int32(int32(i))))
				case 2:
					_, _ = json.Marshal(ns)
				case 3:
					ns.Node("/")
				case 4:
					if i%25 == 4 {
						ns.Remove(p)
					}
					ns.Value(p)
				}
			}
		}()
	}
	wg.Wait()
}

// TestObserveLenient: a message a lenient server accepted (here an
// address alone, with no type tag string) still gives the node its VALUE.
func TestObserveLenient(t *testing.T) {
	ns := NewNamespace()
	if err := ns.Add("/go", Node{Access: AccessRead}); err != nil {
		t.Fatal(err)
	}
	m, err := (&wire.Options{Lenient: true}).ParseMessage([]byte("/go\x00"))
	if err != nil {
		t.Fatal(err)
	}
	if n := ns.Observe(m); n != 1 {
		t.Fatalf("Observe: %d nodes", n)
	}
	if vs, ok := ns.Value("/go"); !ok || len(vs) != 0 {
		t.Fatalf("VALUE %v, %v: want an empty value", vs, ok)
	}
}
