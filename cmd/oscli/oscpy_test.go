package main

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/wire"
)

// oscpyStats is what oscpy's oscli send -r 3 /address 1 2.5 hello prints.
const oscpyStats = `Stats:
    calls: 3
    bytes: 108
    params: 9
    types:
        f: 3
        i: 3
        s: 3
`

// TestOscpyCLISendDump types oscpy's command lines: dump -H -P, and
// send -H -P -r with values typed as oscpy types them, printing what it
// sent as oscpy does.
func TestOscpyCLISendDump(t *testing.T) {
	p := start(t, "dump", "-timeout", "10s", "-count", "5", "-H", "127.0.0.1", "-P", "0")
	url := p.listening(t)
	require.True(t, strings.HasPrefix(url, "osc.udp://127.0.0.1:"), url)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(url, "osc.udp://"))
	require.NoError(t, err)

	code, out, errOut := oscli(t, "", "send", "-H", "127.0.0.1", "-P", port, "-r", "3", "/address", "1", "2.5", "hello")
	require.Zero(t, code, errOut)
	require.Equal(t, oscpyStats, out)
	for i := range 3 {
		l := next(t, p.out, "message")
		require.Regexp(t, ttRe, l)
		require.Equal(t, `/address ifs 1 2.5 "hello"`, l[18:], "message %d", i)
	}

	// Long flags, -s, and words that liblo's grammar would read as type
	// tags ("fish") or that Python spells its own way (True, None).
	code, out, errOut = oscli(t, "", "send", "--host", "127.0.0.1", "--port", port, "--safer", "--encoding", "utf8", "/w", "fish", "True", "None")
	require.Zero(t, code, errOut)
	require.Empty(t, out, "without -r nothing is printed")
	require.Equal(t, `/w sTN "fish" #T Nil`, next(t, p.out, "message")[18:])

	// --repeat with the liblo grammar, to the bytes on standard output:
	// the stats go to standard error.
	code, out, errOut = oscli(t, "", "send", "--repeat", "2", "-", "/a", "i", "1")
	require.Zero(t, code, errOut)
	one, err := wire.AppendMessage(nil, "/a", wire.Int32(1))
	require.NoError(t, err)
	require.Equal(t, string(one)+string(one), out)
	require.Equal(t, "Stats:\n    calls: 2\n    bytes: 24\n    params: 2\n    types:\n        i: 2\n", errOut)

	// A fifth message: dump's -count 5 ends it.
	code, _, errOut = oscli(t, "", "send", "-P", port, "/end")
	require.Zero(t, code, errOut)
	require.Equal(t, "/end", next(t, p.out, "message")[18:])
	require.Zero(t, p.wait(t))
}

// TestOscpyCLIDefaults: with neither -H/-P nor a target, send and dump use
// oscpy's localhost:8000.
func TestOscpyCLIDefaults(t *testing.T) {
	// Port 8000 is shared with whatever else runs on the machine: wait a
	// little for it to be free, then fail saying why.
	var conn net.PacketConn
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if conn, err = net.ListenPacket("udp", "127.0.0.1:8000"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	require.NoError(t, err, "oscpy's default port 8000 on 127.0.0.1 must be free for this test")
	defer conn.Close()
	code, _, errOut := oscli(t, "", "send", "/default", "7")
	require.Zero(t, code, errOut)
	buf := make([]byte, 64)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, _, err := conn.ReadFrom(buf)
	require.NoError(t, err)
	want, err := wire.AppendMessage(nil, "/default", wire.Int32(7))
	require.NoError(t, err)
	require.Equal(t, want, buf[:n])
	conn.Close()

	p := start(t, "dump", "-timeout", "5s")
	require.Equal(t, "osc.udp://127.0.0.1:8000", p.listening(t))
}

// TestOscpyCLIUsage: mixed grammars and values oscli cannot honour are
// usage errors, and -h documents both grammars.
func TestOscpyCLIUsage(t *testing.T) {
	for _, args := range [][]string{
		{"send", "-H", "127.0.0.1", "127.0.0.1", "9000", "/a"},
		{"send", "-e", "latin-1", "/a"},
		{"send", "-r", "0", "/a"},
		{"dump", "-P", "9000", "9001"},
		{"dump", "-P", "70000"},
	} {
		code, _, errOut := oscli(t, "", args...)
		require.Equal(t, 2, code, "%v: %s", args, errOut)
	}
	for _, cmd := range []string{"send", "dump"} {
		code, out, _ := oscli(t, "", cmd, "-h")
		require.Zero(t, code)
		require.Contains(t, out, "oscpy's grammar")
		require.Contains(t, out, "-H")
		require.Contains(t, out, "-P")
		require.Contains(t, out, "URL")
	}
}

// TestOscpyCLIVersion: oscli version prints osckit's version and Go's,
// what oscpy answers on /_oscpy/version.
func TestOscpyCLIVersion(t *testing.T) {
	code, out, errOut := oscli(t, "", "version")
	require.Zero(t, code, errOut)
	require.Regexp(t, `^oscli \S+ go\d+\.\d+\S*\n$`, out)
	require.Equal(t, "oscli "+osc.Version()+" "+runtime.Version()+"\n", out)
	code, _, _ = oscli(t, "", "version", "extra")
	require.Equal(t, 2, code)
	code, out, _ = oscli(t, "", "help", "version")
	require.Zero(t, code)
	require.Contains(t, out, "Bindings")
}
