package main

import (
	"testing"

	"github.com/osckit/osc/wire"
)

// FuzzTextLine: a line of oscdump text gives a valid message or an error,
// never a panic.
func FuzzTextLine(f *testing.F) {
	for _, s := range []string{
		`eeb9284e.3302602c /a/b ifsdh 1 2.500000 "hello world" 0.250000 -7`,
		`eeb9284e.3fc914b1 /t TFNI #T #F Nil Infinitum`,
		`/blob b [4b 0xc0 0xdb 00 0x1]`,
		`/c cS 'x' 'sym`,
		`/s s "unterminated`,
		`00000001 /x m 01020304`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		pkt, _, err := parseTextLine(line)
		if err == nil {
			if verr := new(wire.Options).Validate(pkt); verr != nil {
				t.Fatalf("%q: invalid packet: %v", line, verr)
			}
		}
	})
}
