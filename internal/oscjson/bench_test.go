package oscjson_test

import (
	"encoding/hex"
	"testing"

	"github.com/osckit/osc/internal/oscjson"
)

var benchPkt, _ = hex.DecodeString(stripSpaces("2f610000 2c696866 64735363 6d54464e 49000000 00000001 ffffffff fffffffe 40600000 40110000 00000000 68656c6c 6f000000 73796d00 00000078 00904064"))

func BenchmarkAppendPacket(b *testing.B) {
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPkt)))
	for b.Loop() {
		buf, _ = oscjson.AppendPacket(buf[:0], benchPkt, nil)
	}
}

func BenchmarkEncode(b *testing.B) {
	js, err := oscjson.AppendPacket(nil, benchPkt, nil)
	if err != nil {
		b.Fatal(err)
	}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		out, _ = oscjson.Encode(out[:0], js, nil)
	}
}
