package traffic_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/osckit/osc/traffic"
	"github.com/osckit/osc/wire"
)

func Example() {
	var t traffic.Table // in an osc.Server's Accept hook: t.Packet(p.Data, p.Remote, time.Now())
	now := time.Unix(1_800_000_000, 0)
	from := netip.MustParseAddrPort("192.168.1.20:9000")
	for k := range 5 {
		pkt, _ := wire.AppendMessage(nil, "/mixer/fader/1", wire.Float32(float32(k)/4))
		t.Packet(pkt, from, now.Add(time.Duration(k)*100*time.Millisecond))
	}
	var s traffic.Snapshot
	t.Snapshot(&s, now.Add(time.Second))
	for _, r := range s.Rows {
		fmt.Printf("%s %d msgs, %v/s, last %s, range %v..%v, from %v\n", r.Name, r.Count, r.Rate, r.Args, r.Min, r.Max, r.Senders)
	}
	// Output:
	// /mixer/fader/1 5 msgs, 5/s, last f 1, range 0..1, from [192.168.1.20:9000]
}
