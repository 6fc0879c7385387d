package capture_test

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/osckit/osc/internal/capture"
	"github.com/osckit/osc/wire"
)

// A recording written as JSON lines and read back.
func Example() {
	var file bytes.Buffer
	start := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	w, _ := capture.NewWriter(&file, capture.JSONL, capture.Header{Start: start})
	pkt, _ := wire.AppendMessage(nil, "/cue/go", wire.Int32(3))
	w.Write(&capture.Record{
		Time:      1_500_000, // 1.5 ms after the start
		Transport: capture.UDP,
		Src:       netip.MustParseAddrPort("192.168.1.20:53000"),
		Dst:       netip.MustParseAddrPort("192.168.1.10:9000"),
		Endpoint:  "osc.udp://:9000",
		Data:      pkt,
	})
	fmt.Print(file.String())

	r, _ := capture.NewReader(&file)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		m, _ := wire.ParseMessage(rec.Data)
		fmt.Println(r.Header().Start.Add(time.Duration(rec.Time)).Format(time.RFC3339Nano), rec.Transport, rec.Src, m.AddressString())
	}
	// Output:
	// {"time":1500000,"wall":"2026-03-01T20:00:00.0015Z","transport":"udp","source":"192.168.1.20:53000","destination":"192.168.1.10:9000","endpoint":"osc.udp://:9000","packet":{"address":"/cue/go","args":[{"type":"i","value":3}]},"raw":"2f6375652f676f002c69000000000003"}
	// 2026-03-01T20:00:00.0015Z udp 192.168.1.20:53000 /cue/go
}
