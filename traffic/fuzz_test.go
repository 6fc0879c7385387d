package traffic_test

import (
	"testing"
	"time"

	"github.com/osckit/osc/traffic"
)

// FuzzPacket feeds arbitrary bytes (as a hostile peer would send) to a
// Table: it must count them, never panic, and keep its rows capped.
func FuzzPacket(f *testing.F) {
	f.Add([]byte("/a\x00\x00,if\x00\x00\x00\x00\x01?\x80\x00\x00"))
	f.Add([]byte("#bundle\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x08/b\x00\x00,\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb := traffic.Table{MaxRows: 2, Groups: []string{"/g*"}}
		tb.Packet(data, src1, t0)
		tb.Packet(data, src2, t0.Add(time.Second))
		var s traffic.Snapshot
		tb.Snapshot(&s, t0.Add(2*time.Second))
		if s.Packets != 2 || len(s.Rows) > 3 {
			t.Fatalf("packets %d rows %d", s.Packets, len(s.Rows))
		}
		var n uint64
		for _, r := range s.Rows {
			n += r.Count
		}
		if s.Malformed > 0 && n > 0 {
			t.Fatalf("malformed %d and %d messages", s.Malformed, n)
		}
	})
}
