package oscquery_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

func getJSON(t *testing.T, u string) any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s %v", u, resp.StatusCode, b, err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return v
}

func jsonOf(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func sameJSON(t *testing.T, got any, want string) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(jsonOf(t, want))
	if string(g) != string(w) {
		t.Fatalf("JSON differs\ngot:  %s\nwant: %s", g, w)
	}
}

// TestAddBindings: the handlers bound on a router appear as nodes by
// themselves, with what Describe says or what the binding's type filter
// says; VALUE follows the last message the server dispatched to a node
// (a message of another type is not accepted); a handler registered
// later appears after AddBindings again, and WebSocket clients are told.
func TestAddBindings(t *testing.T) {
	var rt router.Router
	got := make(chan float32, 16)
	freq := func(_ router.ResponseWriter, r *router.Request) {
		v, _ := firstArg(&r.Message).Float32()
		got <- v
	}
	if _, err := rt.Handle("/synth/freq", oscquery.Describe(oscquery.Node{
		Access:      oscquery.AccessReadWrite,
		Range:       []oscquery.Range{{Min: wire.Float32(20), Max: wire.Float32(20000)}},
		Unit:        []string{"frequency.hertz"},
		Description: "oscillator frequency",
	}, router.HandlerFunc(freq)), router.Types("f")); err != nil {
		t.Fatal(err)
	}
	mustHandle := func(addr string, opts ...router.Option) {
		t.Helper()
		if _, err := rt.HandleFunc(addr, func(router.ResponseWriter, *router.Request) {}, opts...); err != nil {
			t.Fatal(err)
		}
	}
	mustHandle("/synth/gate", router.Types("i"))
	mustHandle("/synth/gate", router.Types("T"))
	mustHandle("/synth/*") // a pattern: no node
	mustHandle("/cue")     // no filter: any message
	if _, err := rt.Handle("/meter", oscquery.Describe(oscquery.Node{Type: "f", Access: oscquery.AccessRead}, nil)); err != nil {
		t.Fatal(err)
	}

	ns := oscquery.NewNamespace()
	if err := ns.AddBindings(&rt); err != nil {
		t.Fatal(err)
	}
	h := ns.Handler(&rt)
	srv := &osc.Server{Handler: h}
	ep, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{OSCPort: int(netip.MustParseAddrPort(ep.Addr().String()).Port())})
	qh.OSC = h
	base := wsServer(t, qh)
	sameJSON(t, getJSON(t, base+"/synth"), `{"FULL_PATH":"/synth","ACCESS":0,"CONTENTS":{
		"freq":{"FULL_PATH":"/synth/freq","TYPE":"f","ACCESS":3,"RANGE":[{"MIN":20,"MAX":20000}],
			"UNIT":["frequency.hertz"],"DESCRIPTION":"oscillator frequency"},
		"gate":{"FULL_PATH":"/synth/gate","TYPE":"i","ACCESS":3,"OVERLOADS":[{"TYPE":"T"}]}}}`)
	sameJSON(t, getJSON(t, base+"/cue"), `{"FULL_PATH":"/cue","ACCESS":3}`)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := osc.Dial(ep.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.Send("/synth/freq", wire.Float32(440))
	_ = c.Send("/synth/freq", wire.Int32(1)) // not this binding's type: not accepted
	_ = c.Send("/synth/freq", wire.Float32(880))
	for _, want := range []float32{440, 880} {
		select {
		case v := <-got:
			if v != want {
				t.Fatalf("handler got %v, want %v", v, want)
			}
		case <-ctx.Done():
			t.Fatal("handler not called")
		}
	}
	sameJSON(t, getJSON(t, base+"/synth/freq?VALUE"), `{"VALUE":[880]}`)
	_ = c.Send("/cue", wire.String("go"))
	waitFor(t, "/cue VALUE", func() bool {
		vs, ok := ns.Value("/cue")
		return ok && len(vs) == 1 && vs[0].Equal(wire.String("go"))
	})

	// Registered later: PATH_ADDED.
	ws := dial(t, ctx, base)
	mustHandle("/synth/detune", router.Types("f"))
	if err := ns.AddBindings(&rt); err != nil {
		t.Fatal(err)
	}
	if ev := nextNotice(t, ctx, ws); ev.Command != "PATH_ADDED" || ev.Path != "/synth/detune" {
		t.Fatalf("notice %+v", ev)
	}
	sameJSON(t, getJSON(t, base+"/synth/detune"), `{"FULL_PATH":"/synth/detune","TYPE":"f","ACCESS":3}`)
}
