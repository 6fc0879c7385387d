package interop

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// TestOSCQueryWebSocketNpmWs: a client made of npm ws and osc.js reads
// HOST_INFO, LISTENs over osckit's OSCQuery WebSocket, receives the
// values another client sends and the namespace's notices, and sends
// binary OSC packets that osckit dispatches and streams to the other
// listener, never back to it.
func TestOSCQueryWebSocketNpmWs(t *testing.T) {
	needOscjs(t)
	ns := oscquery.NewNamespace()
	require.NoError(t, ns.Add("/fader", oscquery.Node{Type: "f", Access: oscquery.AccessReadWrite}))
	fromJS := make(chan int32, 4)
	var rt router.Router
	_, err := rt.HandleFunc("/from/js", func(_ router.ResponseWriter, r *router.Request) {
		v, _ := r.Message.AppendArgs(nil)[0].Int32()
		fromJS <- v
	}, router.Types("i"))
	require.NoError(t, err)
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{Name: "interop"})
	qh.OSC = ns.Handler(&rt)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: qh, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	defer func() {
		hs.Close()
		qh.Close()
	}()
	base := "http://" + ln.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	goc, err := oscquery.Dial(ctx, base)
	require.NoError(t, err)
	defer goc.Close()
	require.NoError(t, goc.Listen(ctx, "/fader"))

	js := startLive(t, "node", filepath.Join("js", "oscquery.js"), base, "/fader", "2")
	require.Equal(t, "hostinfo LISTEN=true", line(t, js.out, "HOST_INFO line"))
	require.Equal(t, "listening", line(t, js.out, "listening line"))
	for i := 0; qh.Stats().Listens < 2; i++ {
		require.Less(t, i, 5000, "the npm ws client's LISTEN did not arrive")
		time.Sleep(time.Millisecond)
	}

	// A notice.
	require.NoError(t, ns.Add("/added", oscquery.Node{Type: "i"}))
	require.Equal(t, `notice {"COMMAND":"PATH_ADDED","DATA":"/added"}`, line(t, js.out, "notice line"))

	// Values from the Go client reach the npm client.
	for _, v := range []float32{0.25, 0.5} {
		pkt, err := wire.AppendMessage(nil, "/fader", wire.Float32(v))
		require.NoError(t, err)
		require.NoError(t, goc.Send(ctx, pkt))
	}
	require.JSONEq(t, `{"address":"/fader","args":[{"type":"f","value":0.25}]}`, line(t, js.out, "first value"))
	require.JSONEq(t, `{"address":"/fader","args":[{"type":"f","value":0.5}]}`, line(t, js.out, "second value"))

	// The npm client's packets: /fader to the Go listener, /from/js to the
	// router; nothing comes back to it before "done".
	ev, err := goc.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "PATH_ADDED", ev.Command)
	ev, err = goc.Next(ctx)
	require.NoError(t, err)
	m, err := wire.ParseMessage(ev.Packet)
	require.NoError(t, err)
	require.Equal(t, "/fader", m.AddressString())
	require.Equal(t, []any{float32(0.75)}, m.AnyArgs())
	select {
	case v := <-fromJS:
		require.Equal(t, int32(42), v)
	case <-ctx.Done():
		t.Fatal("/from/js not dispatched")
	}
	require.Equal(t, "done", line(t, js.out, "done line (an echo of its own /fader would come first)"))
	v, ok := ns.Value("/fader")
	require.True(t, ok)
	require.True(t, v[0].Equal(wire.Float32(0.75)))
}
