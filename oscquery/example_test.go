package oscquery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"

	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/router/routertest"
	"github.com/osckit/osc/wire"
)

func Example() {
	// Describe the address space.
	ns := oscquery.NewNamespace()
	err := ns.Add("/synth/1/freq", oscquery.Node{
		Type:        "f",
		Access:      oscquery.AccessReadWrite,
		Description: "oscillator frequency",
		Range:       []oscquery.Range{{Min: wire.Float32(20), Max: wire.Float32(20000)}},
		Unit:        []string{"frequency.hertz"},
	})
	if err != nil {
		panic(err)
	}

	// Values follow the messages the OSC server dispatches: wrap its
	// handler (here a Router, fed one message by hand).
	var rt router.Router
	rt.HandleFunc("/synth/1/freq", func(router.ResponseWriter, *router.Request) {})
	osch := ns.Handler(&rt)
	osch.ServeOSC(routertest.NewRecorder(), routertest.NewRequest("/synth/1/freq", wire.Float32(440)))

	// Serve it over HTTP on a mux of one's own.
	mux := http.NewServeMux()
	mux.Handle("/", oscquery.NewHandler(ns, oscquery.HostInfo{Name: "synth", OSCIP: "127.0.0.1", OSCPort: 9000}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	// Read it back as a client would.
	ctx := context.Background()
	hi, err := oscquery.FetchHostInfo(ctx, base)
	if err != nil {
		panic(err)
	}
	fmt.Println(hi.Name, hi.OSCIP, hi.OSCPort, hi.OSCTransport)
	n, err := oscquery.Fetch(ctx, base+"/synth")
	if err != nil {
		panic(err)
	}
	freq := n.Contents["1"].Contents["freq"]
	fmt.Println(freq.FullPath, freq.Type, freq.Description, freq.Value, freq.Range[0].Max, freq.Unit)
	value, err := oscquery.FetchAttribute(ctx, base+"/synth/1/freq", "VALUE")
	if err != nil {
		panic(err)
	}
	fmt.Println(string(value))
	// Output:
	// synth 127.0.0.1 9000 UDP
	// /synth/1/freq f oscillator frequency [440] 20000 [frequency.hertz]
	// [440]
}

// A namespace made from a router's bindings: Describe gives a handler the
// attributes of its node; handlers without it get TYPE from their type
// filter.
func ExampleNamespace_AddBindings() {
	var rt router.Router
	rt.Handle("/synth/freq", oscquery.Describe(oscquery.Node{
		Access:      oscquery.AccessReadWrite,
		Range:       []oscquery.Range{{Min: wire.Float32(20), Max: wire.Float32(20000)}},
		Description: "oscillator frequency",
	}, router.HandlerFunc(func(router.ResponseWriter, *router.Request) {})), router.Types("f"))
	rt.HandleFunc("/synth/gate", func(router.ResponseWriter, *router.Request) {}, router.Types("i"))

	ns := oscquery.NewNamespace()
	if err := ns.AddBindings(&rt); err != nil {
		panic(err)
	}
	h := ns.Handler(&rt) // the OSC server's handler: values follow
	h.ServeOSC(routertest.NewRecorder(), routertest.NewRequest("/synth/freq", wire.Float32(440)))

	b, _ := json.Marshal(ns)
	fmt.Println(string(b))
	// Output:
	// {"FULL_PATH":"/","ACCESS":0,"CONTENTS":{"synth":{"FULL_PATH":"/synth","ACCESS":0,"CONTENTS":{"freq":{"FULL_PATH":"/synth/freq","DESCRIPTION":"oscillator frequency","ACCESS":3,"TYPE":"f","VALUE":[440],"RANGE":[{"MIN":20,"MAX":20000}]},"gate":{"FULL_PATH":"/synth/gate","ACCESS":3,"TYPE":"i"}}}}}
}
