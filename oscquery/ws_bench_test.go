package oscquery_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/wire"
)

// BenchmarkStream50 sends one node's value at 1 kHz over UDP to an OSC
// server whose namespace streams it to 50 WebSocket clients that LISTEN
// to it, and reports the latency from the send to each client's receipt
// (p50, p99, max) over loopback: 50,000 messages a second leave the
// server. Each iteration is one value (1 ms).
func BenchmarkStream50(b *testing.B) {
	const clients = 50
	ns := oscquery.NewNamespace()
	if err := ns.Add("/level", oscquery.Node{Type: "h", Access: oscquery.AccessRead}); err != nil {
		b.Fatal(err)
	}
	h := ns.Handler(nil)
	srv := &osc.Server{Handler: h}
	ep, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{OSCIP: "127.0.0.1", OSCPort: int(netip.MustParseAddrPort(ep.Addr().String()).Port())})
	base := wsServer(b, qh)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for range clients {
		c := dial(b, ctx, base)
		if err := c.Listen(ctx, "/level"); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				ev, err := c.Next(ctx)
				if err != nil {
					break
				}
				if len(ev.Packet) >= 8 {
					sent := int64(binary.BigEndian.Uint64(ev.Packet[len(ev.Packet)-8:]))
					mine = append(mine, time.Duration(time.Now().UnixNano()-sent))
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	waitFor(b, "50 LISTENs", func() bool { return qh.Stats().Listens == clients })
	cl, err := osc.Dial(ep.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()

	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for b.Loop() {
		<-tick.C
		if err := cl.Send("/level", wire.Int64(time.Now().UnixNano())); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	time.Sleep(200 * time.Millisecond) // the last values arrive
	cancel()
	wg.Wait()
	if len(lat) == 0 {
		b.Fatal("nothing streamed")
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.5), "p50-us")
	b.ReportMetric(q(0.99), "p99-us")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-us")
	st := qh.Stats()
	b.ReportMetric(float64(len(lat))/float64(b.N*clients), "received/sent")
	if st.Dropped > 0 {
		b.Logf("%d values dropped (slow clients)", st.Dropped)
	}
}

// BenchmarkWebSocketClientMemory connects 200 idle WebSocket clients that
// each LISTEN to a node and reports the heap and stack the server holds
// per client. The clients are bare sockets that wrote the handshake and
// one LISTEN by hand (a few hundred bytes each), so that the figure is the
// server's side.
func BenchmarkWebSocketClientMemory(b *testing.B) {
	const n = 200
	ns := oscquery.NewNamespace()
	for i := range n {
		_ = ns.Add(fmt.Sprintf("/n/%d", i), oscquery.Node{Type: "f", Access: oscquery.AccessRead})
	}
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{})
	qh.MaxConns = n
	base := wsServer(b, qh)
	addr := strings.TrimPrefix(base, "http://")
	for b.Loop() {
		before := memInUse()
		conns := make([]net.Conn, n)
		for i := range conns {
			conns[i] = bareListen(b, addr, fmt.Sprintf("/n/%d", i))
		}
		waitFor(b, "LISTENs", func() bool { return qh.Stats().Listens == n })
		after := memInUse()
		b.ReportMetric(float64(after-before)/n/1024, "KiB/client")
		for _, c := range conns {
			_ = c.Close()
		}
		waitFor(b, "clients gone", func() bool { return qh.Stats().Conns == 0 })
	}
}

// bareListen opens a WebSocket to addr with a hand-written handshake and
// sends one LISTEN of path in a masked text frame.
func bareListen(b *testing.B, addr, path string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	_, err = fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		b.Fatalf("handshake: %v %v", resp, err)
	}
	cmd := `{"COMMAND":"LISTEN","DATA":"` + path + `"}`
	// FIN, text; masked with a zero key (the payload is unchanged).
	frame := append([]byte{0x81, 0x80 | byte(len(cmd)), 0, 0, 0, 0}, cmd...)
	if _, err := c.Write(frame); err != nil {
		b.Fatal(err)
	}
	return c
}

func memInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}
