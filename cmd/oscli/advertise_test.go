package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// advertised starts oscli advertise with args and returns it, the OSC port
// it listens on and the base URL of its HTTP server, from its first two
// lines on standard error.
func advertised(t *testing.T, args ...string) (p *proc, oscPort int, base string) {
	t.Helper()
	// No mDNS here: these tests run on the host's network, and
	// browse_linux_test.go tests announcing inside a namespace.
	p = start(t, append([]string{"advertise", "-announce=false"}, args...)...)
	ep, err := netio.ParseEndpoint(p.listening(t))
	require.NoError(t, err)
	l := next(t, p.err, "serving line")
	_, u, ok := strings.Cut(l, "serving OSCQuery on ")
	require.True(t, ok, l)
	require.True(t, strings.HasPrefix(u, "http://127.0.0.1:"), l)
	return p, ep.Port(), strings.TrimSuffix(u, "/")
}

// dialOSC returns an osc.Client of url's scheme to 127.0.0.1 and the port.
func dialOSC(t *testing.T, scheme string, port int) *osc.Client {
	t.Helper()
	c, err := osc.Dial(scheme + "://127.0.0.1:" + itoa(port))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// queryUntil runs oscli query with args until it prints want (the
// messages sent over UDP take their time), and fails with the last output
// after 10 seconds.
func queryUntil(t *testing.T, want string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out, errOut := oscli(t, "", append([]string{"query"}, args...)...)
		if code == 0 && out == want || time.Now().After(deadline) {
			require.Zero(t, code, errOut)
			require.Equal(t, want, out)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// curl returns what curl prints for a GET of u, and false when curl is
// not installed (.ci/install-peers.sh installs it): the checks with curl
// are then left out, and the others still run.
func curl(t *testing.T, u string) (string, bool) {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		t.Log("curl not installed (run .ci/install-peers.sh): checks with curl left out")
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-sS", "--fail", "--noproxy", "*", u).Output()
	require.NoError(t, err, "curl %s", u)
	return string(out), true
}

// TestAdvertiseLearn: without -namespace, the namespace is learnt from
// what arrives on UDP (types, type changes, patterns, bundles), and oscli
// query and curl read it back with HOST_INFO.
func TestAdvertiseLearn(t *testing.T) {
	p, port, base := advertised(t, "-name", "test synth", "-timeout", "60s", "osc.udp://127.0.0.1:0")
	c := dialOSC(t, "osc.udp", port)

	require.NoError(t, c.Send("/synth/1/freq", wire.Int32(1), wire.Float32(440.5), wire.String("sine")))
	require.NoError(t, c.Send("/mix/fader", wire.Float32(0.5)))
	require.NoError(t, c.SendBundle(wire.Immediately, func(e *wire.Encoder) {
		e.Message("/cue").String("go").End()
		e.Message("/mix/mute").Bool(true).End()
	}))
	// A new type replaces the TYPE; a pattern updates the nodes whose
	// TYPE fits and creates none; F fits a T node.
	require.NoError(t, c.Send("/mix/fader", wire.Int32(3)))
	require.NoError(t, c.Send("/mix/*", wire.Int32(7)))
	require.NoError(t, c.Send("/mix/mute", wire.Bool(false)))

	tree := strings.Join([]string{
		`/              -    -   -               -`,
		`/cue           s    rw  "go"            -`,
		`/mix           -    -   -               -`,
		`/mix/fader     i    rw  7               -`,
		`/mix/mute      T    rw  #F              -`,
		`/synth         -    -   -               -`,
		`/synth/1       -    -   -               -`,
		`/synth/1/freq  ifs  rw  1 440.5 "sine"  -`,
		``,
	}, "\n")
	queryUntil(t, tree, base)

	// The JSON as served: oscli query -json and curl agree, and it is
	// the namespace expected.
	code, js, errOut := oscli(t, "", "query", "-json", base)
	require.Zero(t, code, errOut)
	require.JSONEq(t, `{"FULL_PATH":"/","ACCESS":0,"CONTENTS":{
		"cue":{"FULL_PATH":"/cue","ACCESS":3,"TYPE":"s","VALUE":["go"]},
		"mix":{"FULL_PATH":"/mix","ACCESS":0,"CONTENTS":{
			"fader":{"FULL_PATH":"/mix/fader","ACCESS":3,"TYPE":"i","VALUE":[7]},
			"mute":{"FULL_PATH":"/mix/mute","ACCESS":3,"TYPE":"T","VALUE":[false]}}},
		"synth":{"FULL_PATH":"/synth","ACCESS":0,"CONTENTS":{"1":{"FULL_PATH":"/synth/1","ACCESS":0,"CONTENTS":{
			"freq":{"FULL_PATH":"/synth/1/freq","ACCESS":3,"TYPE":"ifs","VALUE":[1,440.5,"sine"]}}}}}}}`, js)
	if out, ok := curl(t, base+"/"); ok {
		require.Equal(t, js, out+"\n")
		out, _ = curl(t, base+"/mix/fader?VALUE")
		require.JSONEq(t, `{"VALUE":[7]}`, out)
	}

	// HOST_INFO, from oscli query and from curl (as a query and as a path).
	code, hi, errOut := oscli(t, "", "query", "-hostinfo", "-json", base+"/mix")
	require.Zero(t, code, errOut)
	var info oscquery.HostInfo
	require.NoError(t, json.Unmarshal([]byte(hi), &info))
	require.Equal(t, "test synth", info.Name)
	require.Equal(t, "127.0.0.1", info.OSCIP)
	require.Equal(t, port, info.OSCPort)
	require.Equal(t, "UDP", info.OSCTransport)
	require.True(t, info.Extensions["VALUE"])
	require.True(t, info.Extensions["LISTEN"])
	require.Equal(t, base, "http://"+info.WSIP+":"+itoa(info.WSPort))
	if out, ok := curl(t, base+"/?HOST_INFO"); ok {
		require.Equal(t, hi, out+"\n")
		out, _ = curl(t, base+"/HOST_INFO")
		require.Equal(t, hi, out+"\n")
	}
	code, out, errOut := oscli(t, "", "query", "-hostinfo", base)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "NAME           test synth\nOSC_IP         127.0.0.1\nOSC_PORT       "+itoa(port)+"\nOSC_TRANSPORT  UDP\n")

	// A path with no node.
	code, out, errOut = oscli(t, "", "query", base+"/mix/nope")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, "oscli query: GET "+base+"/mix/nope: 404 Not Found: no such node\n", errOut)

	// Once advertise has ended, its port is unreachable.
	p.cancel()
	require.Zero(t, p.wait(t))
	code, _, errOut = oscli(t, "", "query", base)
	require.Equal(t, 1, code)
	require.Equal(t, "oscli query: cannot reach "+base+"/: connect: connection refused\n", errOut)
}

// TestAdvertiseNamespaceFile: with -namespace, the nodes are the file's,
// values follow the messages that fit them, nothing is learnt, and -count
// (every message counts, dispatched or not) ends it with status 0.
func TestAdvertiseNamespaceFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "synth.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"FULL_PATH":"/synth","CONTENTS":{
		"freq":{"TYPE":"f","ACCESS":3,"RANGE":[{"MIN":20,"MAX":20000}],"DESCRIPTION":"frequency","VALUE":[220]},
		"wave":{"TYPE":"s","ACCESS":2,"RANGE":[{"VALS":["sine","saw"]}]},
		"level":{"TYPE":"f","ACCESS":1}}}`), 0o600))
	p, port, base := advertised(t, "-namespace", file, "-count", "6", "-timeout", "60s", "127.0.0.1:0")
	c := dialOSC(t, "osc.udp", port)
	require.NoError(t, c.Send("/synth/freq", wire.Float32(440)))
	require.NoError(t, c.Send("/synth/freq", wire.String("high"))) // does not fit f
	require.NoError(t, c.Send("/synth/wave", wire.String("saw")))  // not readable
	require.NoError(t, c.Send("/other", wire.Int32(1)))            // not in the file
	require.NoError(t, c.Send("/synth/level", wire.Float32(0.5)))
	queryUntil(t, strings.Join([]string{
		`/             -  -   -    -`,
		`/synth        -  -   -    -`,
		`/synth/freq   f  rw  440  20..20000       "frequency"`,
		`/synth/level  f  r   0.5  -`,
		`/synth/wave   s  w   -    {"sine","saw"}`,
		``,
	}, "\n"), base)
	require.NoError(t, c.Send("/synth/level", wire.Float32(0.75)))
	require.Zero(t, p.wait(t), "-count 6 ends it")
}

// TestAdvertiseTCP: a TCP endpoint on all interfaces with the default
// -http: HOST_INFO says TCP, and OSC_IP is the HTTP host.
func TestAdvertiseTCP(t *testing.T) {
	_, port, base := advertised(t, "-timeout", "60s", "osc.tcp://:0")
	c := dialOSC(t, "osc.tcp", port)
	require.NoError(t, c.Send("/a/b", wire.Array(wire.Int32(1), wire.Int32(2)), wire.Float64(0.25)))
	queryUntil(t, "/a/b  [ii]d  rw  [1 2] 0.25  -\n", base+"/a/b")
	code, out, errOut := oscli(t, "", "query", "-hostinfo", base)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "OSC_IP         127.0.0.1\nOSC_PORT       "+itoa(port)+"\nOSC_TRANSPORT  TCP\n")
}

// TestAdvertiseMaxNodes: -max-nodes bounds what is learnt, says so once,
// and the nodes learnt keep following their messages.
func TestAdvertiseMaxNodes(t *testing.T) {
	p, port, base := advertised(t, "-max-nodes", "2", "-timeout", "60s", "127.0.0.1:0")
	c := dialOSC(t, "osc.udp", port)
	for i := range 4 {
		require.NoError(t, c.Send("/n"+itoa(i), wire.Int32(int32(i))))
	}
	require.NoError(t, c.Send("/n0", wire.Int32(10)))
	queryUntil(t, "/    -  -   -   -\n/n0  i  rw  10  -\n/n1  i  rw  1   -\n", base)
	require.Equal(t, "oscli advertise: 2 addresses learnt: new ones are not added (see -max-nodes)", next(t, p.err, "full"))
}

// TestAdvertiseErrors: usage mistakes are status 2, a bad namespace file
// status 1, and the help says what is not implemented.
func TestAdvertiseErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"CONTENTS":{"x":{"TYPE":"q"}}}`), 0o600))
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{}, 2, "want one PORT or URL"},
		{[]string{"osc.unix:///nonexistent/s"}, 2, "UDP and TCP servers only"},
		{[]string{"-http", "nowhere", "0"}, 2, `-http "nowhere"`},
		{[]string{"-namespace", filepath.Join(t.TempDir(), "missing.json"), "0"}, 1, "no such file"},
		{[]string{"-namespace", bad, "0"}, 1, "bad.json: /x: oscquery: invalid TYPE"},
	}
	for _, c := range cases {
		code, out, errOut := oscli(t, "", append([]string{"advertise"}, c.args...)...)
		require.Equal(t, c.code, code, "%v: %s", c.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, c.msg, "%v", c.args)
	}
	code, out, _ := oscli(t, "", "advertise", "-h")
	require.Zero(t, code)
	for _, s := range []string{"Usage: oscli advertise", "-name", "-http", "-namespace", "-count", "-timeout", "-max-conns", "-announce", "WebSocket"} {
		require.Contains(t, out, s)
	}
}

// TestAdvertiseWebSocket: oscli query -listen streams, in oscdump's
// layout, the values that reach an advertised node over UDP; a WebSocket
// client is told of the nodes learnt, and its binary packets are served
// like UDP ones (learnt, streamed to the other listeners).
func TestAdvertiseWebSocket(t *testing.T) {
	p, port, base := advertised(t, "-timeout", "60s", "-max-conns", "3", "osc.udp://127.0.0.1:0")
	defer p.cancel()
	c := dialOSC(t, "osc.udp", port)
	require.NoError(t, c.Send("/mix/fader", wire.Float32(0.25)))
	queryUntil(t, "/mix/fader  f  rw  0.25  -\n", base+"/mix/fader")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, err := oscquery.Dial(ctx, base)
	require.NoError(t, err)
	defer ws.Close()

	q := start(t, "query", "-listen", "/mix/fader", "-count", "2", base)
	// The LISTEN takes effect at some point after start: send until the
	// first value prints, then one more.
	var first string
	for i := 0; first == ""; i++ {
		require.Less(t, i, 500, "nothing streamed after 10 s")
		require.NoError(t, c.Send("/mix/fader", wire.Float32(0.5)))
		select {
		case first = <-q.out:
		case <-time.After(20 * time.Millisecond):
		}
	}
	require.Contains(t, first, "/mix/fader f 0.5")
	require.NoError(t, c.Send("/mix/fader", wire.Float32(0.75)))
	require.Contains(t, next(t, q.out, "second value"), "/mix/fader f 0.75")
	require.Zero(t, q.wait(t))

	// A packet from the WebSocket client is learnt: PATH_ADDED.
	pkt, err := wire.AppendMessage(nil, "/new/knob", wire.Int32(3))
	require.NoError(t, err)
	require.NoError(t, ws.Send(ctx, pkt))
	ev, err := ws.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, oscquery.Event{Command: "PATH_ADDED", Path: "/new"}, ev)
	queryUntil(t, "/new/knob  i  rw  3  -\n", base+"/new/knob")
	// A new type: PATH_CHANGED, to the client and to oscli query -listen
	// (on standard error).
	q = start(t, "query", "-listen", "/new/knob", base)
	for i := 0; ; i++ {
		require.Less(t, i, 500, "nothing streamed after 10 s")
		require.NoError(t, c.Send("/new/knob", wire.Int32(4)))
		select {
		case l := <-q.out:
			require.Contains(t, l, "/new/knob i 4")
		case <-time.After(20 * time.Millisecond):
			continue
		}
		break
	}
	pkt, err = wire.AppendMessage(nil, "/new/knob", wire.Float32(0.5))
	require.NoError(t, err)
	require.NoError(t, ws.Send(ctx, pkt))
	ev, err = ws.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, oscquery.Event{Command: "PATH_CHANGED", Path: "/new/knob"}, ev)
	require.Equal(t, "oscli query: PATH_CHANGED /new/knob", next(t, q.err, "notice on standard error"))
	require.Contains(t, next(t, q.out, "the float"), "/new/knob f 0.5")
	q.cancel()
	require.Zero(t, q.wait(t))

	// -listen of a path with no node is an error, not silence.
	code, out, errOut := oscli(t, "", "query", "-listen", "/nowhere", base)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "404 Not Found: no such node")
}
