package wire_test

import (
	"fmt"
	"testing"

	"github.com/osckit/osc/wire"
)

// TestMessageFormat checks that fmt prints a Message in its text form
// whether it holds the value or a pointer to it.
func TestMessageFormat(t *testing.T) {
	m := mustMessage(t, "/light/1", wire.Int32(1), wire.Float32(0.5), wire.String("on"))
	const want = `/light/1 ifs 1 0.5 "on"`
	if got := string(m.AppendText(nil)); got != want {
		t.Fatalf("AppendText = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		name, got string
	}{
		{"Sprint value", fmt.Sprint(m)},
		{"Sprint pointer", fmt.Sprint(&m)},
		{"Sprintf %v value", fmt.Sprintf("%v", m)},
		{"Sprintf %v pointer", fmt.Sprintf("%v", &m)},
		{"Sprintln value", fmt.Sprintln(m)[:len(want)]},
		{"in a slice", fmt.Sprint([]wire.Message{m})},
	} {
		w := want
		if tc.name == "in a slice" {
			w = "[" + want + "]"
		}
		if tc.got != w {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, w)
		}
	}
	var zero wire.Message
	if got := fmt.Sprint(zero); got != "" {
		t.Errorf("Sprint(zero Message) = %q, want empty", got)
	}
}
