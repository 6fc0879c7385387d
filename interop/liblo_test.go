package interop

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// oscsendCases are messages with every type liblo's oscsend can write
// (i h f d s S c m T F N I), in its grammar and in the JSON form that
// oscli decode prints for them.
var oscsendCases = []struct {
	name string
	args []string // oscsend's: /address [TYPES VALUES...]
	json string
	text string // oscli decode -text
}{
	{"every type", []string{"/a/b", "ihfdsScmTFNI", "1", "-2", "3.5", "4.25", "hello", "sym", "x", "00904064"},
		`{"address":"/a/b","args":[{"type":"i","value":1},{"type":"h","value":-2},{"type":"f","value":3.5},{"type":"d","value":4.25},{"type":"s","value":"hello"},{"type":"S","value":"sym"},{"type":"c","value":"x"},{"type":"m","value":"00904064"},{"type":"T","value":true},{"type":"F","value":false},{"type":"N","value":null},{"type":"I"}]}`,
		`00000000.00000001 /a/b ihfdsScmTFNI 1 -2 3.5 4.25 "hello" 'sym 'x' MIDI [0x00 0x90 0x40 0x64] #T #F Nil Impulse`},
	{"no arguments", []string{"/empty"}, `{"address":"/empty","args":[]}`, `00000000.00000001 /empty`},
	{"integer limits", []string{"/int", "iihh", "2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808"},
		`{"address":"/int","args":[{"type":"i","value":2147483647},{"type":"i","value":-2147483648},{"type":"h","value":9223372036854775807},{"type":"h","value":-9223372036854775808}]}`,
		`00000000.00000001 /int iihh 2147483647 -2147483648 9223372036854775807 -9223372036854775808`},
	{"floats", []string{"/float", "fffdddf", "0.1", "-0", "3.4028235e38", "0.1", "-0", "5e-324", "1e-45"},
		`{"address":"/float","args":[{"type":"f","value":0.1},{"type":"f","value":-0},{"type":"f","value":3.4028235e+38},{"type":"d","value":0.1},{"type":"d","value":-0},{"type":"d","value":5e-324},{"type":"f","value":1e-45}]}`,
		`00000000.00000001 /float fffdddf 0.1 -0 3.4028235e+38 0.1 -0 5e-324 1e-45`},
	{"nan and infinities", []string{"/inf", "ffdd", "nan", "-inf", "inf", "nan"},
		`{"address":"/inf","args":[{"type":"f","value":"NaN"},{"type":"f","value":"-Infinity"},{"type":"d","value":"Infinity"},{"type":"d","value":"NaN"}]}`,
		`00000000.00000001 /inf ffdd nan -inf inf nan`},
	{"strings", []string{"/str", "sssSc", "", "abcd", "café", "with space", "A"},
		`{"address":"/str","args":[{"type":"s","value":""},{"type":"s","value":"abcd"},{"type":"s","value":"café"},{"type":"S","value":"with space"},{"type":"c","value":"A"}]}`,
		`00000000.00000001 /str sssSc "" "abcd" "café" 'with\x20space 'A'`},
	{"midi", []string{"/midi", "mm", "ff7f0001", "00000000"},
		`{"address":"/midi","args":[{"type":"m","value":"ff7f0001"},{"type":"m","value":"00000000"}]}`,
		`00000000.00000001 /midi mm MIDI [0xff 0x7f 0x00 0x01] MIDI [0x00 0x00 0x00 0x00]`},
}

// TestOscsendBytes: for every message, oscsend's packet bytes equal those
// of oscli encode (from the JSON form) and of oscli send - (from the same
// command line), and oscli decode reads them back to the JSON form.
func TestOscsendBytes(t *testing.T) {
	oscsend := needOscsend(t)
	for _, c := range oscsendCases {
		t.Run(c.name, func(t *testing.T) {
			want := mustRun(t, nil, oscsend, append([]string{"-"}, c.args...)...)
			require.NotEmpty(t, want)

			enc := oscli(t, nil, "encode", c.json)
			require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(enc), "oscli encode")

			sent := oscli(t, nil, append([]string{"send", "-"}, c.args...)...)
			require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(sent), "oscli send -")

			dec := oscli(t, want, "decode")
			require.Equal(t, c.json+"\n", string(dec), "oscli decode")

			text := oscli(t, want, "decode", "-text")
			require.Equal(t, c.text+"\n", string(text), "oscli decode -text")
		})
	}
}

// TestOscsendHexLines decodes several oscsend packets given as hex lines.
func TestOscsendHexLines(t *testing.T) {
	oscsend := needOscsend(t)
	var hexes, jsons []string
	for _, c := range oscsendCases {
		pkt := mustRun(t, nil, oscsend, append([]string{"-"}, c.args...)...)
		hexes = append(hexes, hex.EncodeToString(pkt))
		jsons = append(jsons, c.json)
	}
	out := oscli(t, lines(hexes), "decode", "-hex")
	require.Equal(t, strings.Join(jsons, "\n")+"\n", string(out))
	back := oscli(t, out, "encode", "-hex")
	require.Equal(t, strings.Join(hexes, "\n")+"\n", string(back))
}
