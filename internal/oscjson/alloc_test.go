//go:build !race

package oscjson_test

import (
	"encoding/hex"
	"testing"

	"github.com/osckit/osc/internal/oscjson"
)

// A dump line is written into a reused buffer without allocating.
func TestAppendPacketNoAllocs(t *testing.T) {
	pkts := []string{
		"2f610000 2c696866 64735363 6d54464e 49000000 00000001 ffffffff fffffffe 40600000 40110000 00000000 68656c6c 6f000000 73796d00 00000078 00904064",
		"2362756e 646c6500 00000064 00000000 00000010 2f610000 2c5b695d 00000000 00000001",
		"2f730000 2c736200 fffe0000 00000002 01020000",
	}
	buf := make([]byte, 0, 4096)
	for _, h := range pkts {
		pkt, err := hex.DecodeString(stripSpaces(h))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oscjson.AppendPacket(buf, pkt, nil); err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		n := testing.AllocsPerRun(100, func() {
			buf, _ = oscjson.AppendPacket(buf[:0], pkt, nil)
		})
		if n != 0 {
			t.Errorf("%s: %v allocs", h, n)
		}
	}
}
