package oscquery_test

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestServerValues runs a real OSC server over UDP whose handler is
// wrapped by the namespace: the values served over HTTP follow the
// messages the server dispatched, and the wrapped router still gets them.
func TestServerValues(t *testing.T) {
	ns := oscquery.NewNamespace()
	if err := ns.Add("/fader/1", oscquery.Node{Type: "f", Access: oscquery.AccessReadWrite}); err != nil {
		t.Fatal(err)
	}
	got := make(chan float32, 16)
	var rt router.Router
	rt.HandleFunc("/fader/1", func(_ router.ResponseWriter, r *router.Request) {
		v, _ := firstArg(&r.Message).Float32()
		got <- v
	})
	srv := &osc.Server{Handler: ns.Handler(&rt)}
	ep, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	c, err := osc.Dial(ep.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	port := netip.MustParseAddrPort(ep.Addr().String()).Port()
	base := oscquery.ServeHTTP(t, oscquery.NewHandler(ns, oscquery.HostInfo{Name: "faders", OSCIP: "127.0.0.1", OSCPort: int(port)}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hi, err := oscquery.FetchHostInfo(ctx, base)
	if err != nil || hi.OSCPort != int(port) {
		t.Fatalf("HOST_INFO %+v, %v", hi, err)
	}
	for i, v := range []float32{0.25, 0.5, 0.75} {
		if err := c.Send("/fader/1", wire.Float32(v)); err != nil {
			t.Fatal(err)
		}
		select {
		case x := <-got:
			if x != v {
				t.Fatalf("router got %v, want %v", x, v)
			}
		case <-ctx.Done():
			t.Fatalf("message %d not dispatched", i)
		}
		var qc oscquery.Client
		vs, err := qc.Value(ctx, base+"/fader/1")
		if err != nil || len(vs) != 1 || !vs[0].Equal(wire.Float32(v)) {
			t.Fatalf("VALUE after %v: %v, %v", v, vs, err)
		}
	}
}

func namespace1000(b *testing.B) *oscquery.Namespace {
	ns := oscquery.NewNamespace()
	for i := range 1000 {
		p := "/bank/" + strconv.Itoa(i/100) + "/ch/" + strconv.Itoa(i%100)
		if err := ns.Add(p, oscquery.Node{Type: "f", Access: oscquery.AccessReadWrite, Description: "channel level",
			Range: []oscquery.Range{{Min: wire.Float32(0), Max: wire.Float32(1)}}}); err != nil {
			b.Fatal(err)
		}
		_ = ns.SetValue(p, wire.Float32(0.5))
	}
	return ns
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkHandler1000 is the server's side of a GET of a 1,000-node
// namespace: encoding included, no network.
func BenchmarkHandler1000(b *testing.B) {
	h := oscquery.NewHandler(namespace1000(b), oscquery.HostInfo{})
	req, _ := http.NewRequest("GET", "/", nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkFetch1000 is a client's GET of a 1,000-node namespace over
// loopback, decoding included.
func BenchmarkFetch1000(b *testing.B) {
	ns := namespace1000(b)
	base := oscquery.ServeHTTP(b, oscquery.NewHandler(ns, oscquery.HostInfo{}))
	var c oscquery.Client
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Fetch(ctx, base); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkObserve(b *testing.B) {
	ns := oscquery.NewNamespace()
	_ = ns.Add("/a/b/c", oscquery.Node{Type: "if", Access: oscquery.AccessRead})
	pkt, _ := wire.AppendMessage(nil, "/a/b/c", wire.Int32(1), wire.Float32(2))
	m, _ := wire.ParseMessage(pkt)
	b.ReportAllocs()
	for b.Loop() {
		ns.Observe(m)
	}
}
