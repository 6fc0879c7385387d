package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// httpServe serves h on a loopback port of its own until the test ends and
// returns its base URL.
func httpServe(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// synthNamespace is a namespace with a bit of everything the tree prints.
func synthNamespace(t *testing.T) *oscquery.Namespace {
	t.Helper()
	ns := oscquery.NewNamespace()
	require.NoError(t, ns.Add("/synth/1/freq", oscquery.Node{
		Type: "f", Access: oscquery.AccessReadWrite, Description: "oscillator frequency",
		Range: []oscquery.Range{{Min: wire.Float32(20), Max: wire.Float32(20000)}},
		Value: []wire.Value{wire.Float32(440)},
	}))
	require.NoError(t, ns.Add("/synth/1/wave", oscquery.Node{
		Type: "s", Access: oscquery.AccessWrite,
		Range: []oscquery.Range{{Vals: []wire.Value{wire.String("sine"), wire.String("saw")}}},
	}))
	require.NoError(t, ns.Add("/synth/1/note", oscquery.Node{
		Type: "iTb", Access: oscquery.AccessRead,
		Value: []wire.Value{wire.Int32(60), wire.Bool(true), {}},
	}))
	require.NoError(t, ns.Add("/mix", oscquery.Node{Description: "the mixer"}))
	return ns
}

// TestQueryTree: the tree, the JSON as served and HOST_INFO of a server
// of the oscquery package, over a real loopback socket.
func TestQueryTree(t *testing.T) {
	ns := synthNamespace(t)
	base := httpServe(t, oscquery.NewHandler(ns, oscquery.HostInfo{Name: "synth", OSCIP: "127.0.0.1", OSCPort: 9000}))

	code, out, errOut := oscli(t, "", "query", base)
	require.Zero(t, code, errOut)
	require.Empty(t, errOut)
	require.Equal(t, strings.Join([]string{
		`/              -    -   -           -`,
		`/mix           -    -   -           -               "the mixer"`,
		`/synth         -    -   -           -`,
		`/synth/1       -    -   -           -`,
		`/synth/1/freq  f    rw  440         20..20000       "oscillator frequency"`,
		`/synth/1/note  iTb  r   60 #T null  -`,
		`/synth/1/wave  s    w   -           {"sine","saw"}`,
		``,
	}, "\n"), out)

	// A subtree, the URL without its scheme.
	code, out, errOut = oscli(t, "", "query", strings.TrimPrefix(base, "http://")+"/synth/1/freq")
	require.Zero(t, code, errOut)
	require.Equal(t, `/synth/1/freq  f  rw  440  20..20000  "oscillator frequency"`+"\n", out)
	_, port, _ := strings.Cut(strings.TrimPrefix(base, "http://"), ":")
	code, out2, errOut := oscli(t, "", "query", port+"/synth/1/freq")
	require.Zero(t, code, errOut)
	require.Equal(t, out, out2)

	// -json prints the document as served, byte for byte.
	served := httpBody(t, base+"/synth")
	code, out, errOut = oscli(t, "", "query", "-json", base+"/synth")
	require.Zero(t, code, errOut)
	require.Equal(t, served+"\n", out)
	require.True(t, json.Valid([]byte(out)))

	// HOST_INFO, as text and as JSON.
	code, out, errOut = oscli(t, "", "query", "-hostinfo", base+"/synth")
	require.Zero(t, code, errOut)
	require.Equal(t, "NAME           synth\nOSC_IP         127.0.0.1\nOSC_PORT       9000\nOSC_TRANSPORT  UDP\n"+
		"WS_IP          127.0.0.1\nWS_PORT        "+port+"\n"+
		"EXTENSIONS     ACCESS CLIPMODE CRITICAL DESCRIPTION EXTENDED_TYPE LISTEN OVERLOADS PATH_ADDED PATH_CHANGED "+
		"PATH_REMOVED PATH_RENAMED RANGE TAGS TYPE UNIT VALUE\n", out)
	code, out, errOut = oscli(t, "", "query", "-hostinfo", "-json", base)
	require.Zero(t, code, errOut)
	require.Equal(t, httpBody(t, base+"?HOST_INFO")+"\n", out)
}

// httpBody returns the body of a 200 answer to a GET of u, without the
// final newline if any.
func httpBody(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return strings.TrimSuffix(string(b), "\n")
}

// freePort returns a loopback TCP port that nothing listens on (any more).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestQueryErrors: every failure says what went wrong, exits with status
// 1 (2 for a usage mistake) and prints nothing on standard output.
func TestQueryErrors(t *testing.T) {
	base := httpServe(t, oscquery.NewHandler(synthNamespace(t), oscquery.HostInfo{}))
	mux := http.NewServeMux()
	mux.HandleFunc("/html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>hello</body></html>\n")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	other := httpServe(t, mux)
	dead := freePort(t)

	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{base + "/synth/2"}, 1, "oscli query: GET " + base + "/synth/2: 404 Not Found: no such node\n"},
		{[]string{"-hostinfo", "http://" + dead}, 1, "oscli query: cannot reach http://" + dead + "/?HOST_INFO: connect: connection refused\n"},
		{[]string{dead + "/a"}, 1, "oscli query: cannot reach http://" + dead + "/a: connect: connection refused\n"},
		{[]string{other + "/html"}, 1, "oscli query: GET " + other + `/html: the answer is not JSON (Content-Type text/html, "<html><body>hello</body></html>"): not an OSCQuery server?` + "\n"},
		{[]string{"-timeout", "300ms", other + "/slow"}, 1, "oscli query: GET " + other + "/slow: no answer within 300ms\n"},
		{[]string{base + "/synth?VALUE"}, 2, "without a ?query"},
		{[]string{"ftp://x/"}, 2, "want an http:// URL"},
		{[]string{}, 2, "want one URL"},
		{[]string{"-timeout", "0s", base}, 2, "want a positive duration"},
	}
	for _, c := range cases {
		start := time.Now()
		code, out, errOut := oscli(t, "", append([]string{"query"}, c.args...)...)
		require.Equal(t, c.code, code, "%v: %s", c.args, errOut)
		require.Empty(t, out, "%v", c.args)
		if c.code == 1 {
			require.Equal(t, c.msg, errOut, "%v", c.args)
		} else {
			require.Contains(t, errOut, c.msg, "%v", c.args)
		}
		require.Less(t, time.Since(start), 5*time.Second, "%v", c.args)
	}
}

// TestQueryHelp: the help says what is not implemented.
func TestQueryHelp(t *testing.T) {
	code, out, _ := oscli(t, "", "query", "-h")
	require.Zero(t, code)
	for _, s := range []string{"Usage: oscli query", "-json", "-hostinfo", "-timeout", "-listen", "-count", "oscli browse", "WebSocket"} {
		require.Contains(t, out, s)
	}
}
