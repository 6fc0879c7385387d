package oscjson_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/wire"
)

// FuzzPacket: a packet that parses, strictly or leniently, goes to JSON
// and back; a strictly valid packet comes back byte for byte, a lenient one
// comes back in a form that is stable from then on.
func FuzzPacket(f *testing.F) {
	for _, h := range []string{
		"2f6100002c000000",
		"2f6100002c69686664735363 6d54464e 49000000",
		"2f6100002c5b695b665d5d00000000013f800000",
		"2362756e646c650000000000000000010000000c2f6100002c69000000000001",
		"2f6100002c660000ffc00001",
		"2f7300002c730000fffe0000",
		"2f666f6f00000000",
	} {
		b, _ := hex.DecodeString(stripSpaces(h))
		f.Add(b)
	}
	lenient := &wire.Options{Lenient: true}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		js, err := oscjson.AppendPacket(nil, pkt, nil)
		if err == nil {
			if !json.Valid(js) {
				t.Fatalf("invalid JSON %s", js)
			}
			back, err := oscjson.Encode(nil, js, nil)
			if err != nil {
				t.Fatalf("%x -> %s: %v", pkt, js, err)
			}
			if !bytes.Equal(back, pkt) {
				t.Fatalf("%x -> %s -> %x", pkt, js, back)
			}
			return
		}
		js, err = oscjson.AppendPacket(nil, pkt, lenient)
		if err != nil {
			return
		}
		p1, err := oscjson.Encode(nil, js, lenient)
		if err != nil {
			t.Fatalf("%x -> %s: %v", pkt, js, err)
		}
		js2, err := oscjson.AppendPacket(nil, p1, lenient)
		if err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("%s -> %x -> %s (%v)", js, p1, js2, err)
		}
	})
}

// FuzzJSON: JSON that encodes gives a valid packet whose JSON form encodes
// to the same packet again.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{"address":"/a","args":[{"type":"i","value":1},{"type":"f","value":-0},{"type":"s","value":"x"}]}`,
		`{"address":"/a","args":[1,2.5,"s",true,false,null,[1,[2]]]}`,
		`{"address":"/a","args":[{"type":"f","value":"NaN","bits":"7fa00001"},{"type":"d","value":"-Infinity"}]}`,
		`{"address":"/a","args":[{"type":"t","value":"2024-01-02T03:04:05.123Z"},{"type":"c","code":55296}]}`,
		`{"timetag":{"sec":100,"frac":0},"elements":[{"timetag":"immediate","elements":[{"address":"/b"}]}]}`,
		`{"timeTag":{"raw":[0,1]},"packets":[{"address":"/c","args":[{"type":"h","value":{"high":1,"low":2}}]}]}`,
		`{"addressHex":"2fff","args":[{"type":"S","hex":"c3"},{"type":"r","value":[1,2,3,4]},{"type":"m","value":"00904064"}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p1, err := oscjson.Encode(nil, []byte(s), nil)
		if err != nil {
			return
		}
		if err := new(wire.Options).Validate(p1); err != nil {
			t.Fatalf("%s -> %x invalid: %v", s, p1, err)
		}
		js, err := oscjson.AppendPacket(nil, p1, nil)
		if err != nil {
			t.Fatalf("%x: %v", p1, err)
		}
		p2, err := oscjson.Encode(nil, js, nil)
		if err != nil || !bytes.Equal(p1, p2) {
			t.Fatalf("%s -> %x -> %s -> %x (%v)", s, p1, js, p2, err)
		}
	})
}

func stripSpaces(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil))
}
