package interop

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The WebSocket tests speak to osc.js's WebSocketPort (npm osc, over npm
// ws): one binary message a packet, every type osc.js knows, arrays and
// nested bundles, in both directions, and replies on the same WebSocket.

// TestOscjsWebSocketToDump: osc.js sends to oscli dump -json on
// osc.ws://.
func TestOscjsWebSocketToDump(t *testing.T) {
	needOscjs(t)
	d, url := startDump(t, "osc.ws", "-json")
	pkts := append(append([]string{}, oscjsPackets...), oscjsNested...)
	mustRun(t, lines(pkts), "node", filepath.Join("js", "peer.js"), "send", "ws", wsURL(t, url))
	for _, want := range pkts {
		require.Equal(t, want, line(t, d.out, want))
	}
}

// TestSendToOscjsWebSocket: oscli send -json to an osc.js WebSocketPort
// served by npm ws; what osc.js decodes encodes back to the bytes sent.
func TestSendToOscjsWebSocket(t *testing.T) {
	needOscjs(t)
	want := oscli(t, lines(oscjsPackets), "encode", "-hex")
	p := startLive(t, "node", filepath.Join("js", "peer.js"), "recv", "ws", strconv.Itoa(len(oscjsPackets)))
	l := line(t, p.out, "osc.js listening line")
	port, ok := strings.CutPrefix(l, "listening ")
	require.True(t, ok, l)
	oscli(t, lines(oscjsPackets), "send", "-json", "osc.ws://127.0.0.1:"+port+"/")
	back := oscli(t, lines(readJS(t, p, len(oscjsPackets))), "encode", "-hex")
	require.Equal(t, string(want), string(back))
}

// TestOscjsWebSocketReplies: osc.js sends every packet to oscli echo on
// osc.ws:// and reads echo's replies on the same WebSocket; they are the
// packets it sent.
func TestOscjsWebSocketReplies(t *testing.T) {
	needOscjs(t)
	e := startLive(t, oscliPath, "echo", "-timeout", "50s", "osc.ws://127.0.0.1:0/osc")
	l := line(t, e.err, "oscli echo's listening line")
	_, url, ok := strings.Cut(l, "listening on ")
	require.True(t, ok, l)
	want := oscli(t, lines(oscjsPackets), "encode", "-hex")
	out := mustRun(t, lines(oscjsPackets), "node", filepath.Join("js", "peer.js"), "roundtrip", "ws", wsURL(t, url))
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, got, len(oscjsPackets))
	for _, js := range got {
		require.NotContains(t, js, `"error"`)
	}
	require.Equal(t, string(want), string(oscli(t, out, "encode", "-hex")))
}

// TestSendExpectFromOscjsWebSocket: osckit's Client (oscli send -expect)
// hears the reply an osc.js WebSocketPort sends back on the same
// WebSocket.
func TestSendExpectFromOscjsWebSocket(t *testing.T) {
	needOscjs(t)
	p := startLive(t, "node", filepath.Join("js", "peer.js"), "recv", "ws", "1", "echo")
	l := line(t, p.out, "osc.js listening line")
	port, ok := strings.CutPrefix(l, "listening ")
	require.True(t, ok, l)
	pkt := `{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/b","args":[{"type":"s","value":"x"},{"type":"d","value":2.5}]}]}`
	out := oscli(t, nil, "send", "-json", "-expect", "/b", "-timeout", "10s", "osc.ws://127.0.0.1:"+port+"/", pkt)
	require.Equal(t, pkt+"\n", string(out))
	readJS(t, p, 1)
}

// readJS collects n packets that the osc.js peer printed.
func readJS(t *testing.T, p *live, n int) []string {
	t.Helper()
	var got []string
	for range n {
		js := line(t, p.out, "osc.js packet")
		require.NotContains(t, js, `"error"`)
		got = append(got, js)
	}
	return got
}

// wsURL turns an osc.ws:// URL into the ws:// URL a WebSocket client takes.
func wsURL(t *testing.T, url string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(url, "osc.ws://")
	require.True(t, ok, url)
	return "ws://" + rest
}

// TestOscjsWebSocketJSON: osc.js's packet objects sent as JSON text (npm
// ws) to oscli echo -ws-json come back as text in the form oscli dump
// -json prints, every type but the non-finite floats and -0, which JSON
// cannot carry.
func TestOscjsWebSocketJSON(t *testing.T) {
	needOscjs(t)
	e := startLive(t, oscliPath, "echo", "-ws-json", "-timeout", "50s", "osc.ws://127.0.0.1:0/osc")
	l := line(t, e.err, "oscli echo's listening line")
	_, url, ok := strings.Cut(l, "listening on ")
	require.True(t, ok, l)
	var pkts []string
	for _, p := range oscjsPackets {
		if !strings.Contains(p, `"/floats"`) {
			pkts = append(pkts, p)
		}
	}
	out := mustRun(t, lines(pkts), "node", filepath.Join("js", "peer.js"), "roundtrip", "wsjson", wsURL(t, url))
	require.Equal(t, string(lines(pkts)), string(out))
}
