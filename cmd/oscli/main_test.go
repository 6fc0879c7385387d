package main

import (
	"bytes"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// oscli runs a command line in-process and returns its exit status and
// output.
func oscli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(&env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"send", "-h"}, {"encode", "-h"}, {"decode", "--help"}, {"help", "send"}} {
		code, out, errOut := oscli(t, "", args...)
		require.Equal(t, 0, code, "%v", args)
		require.Contains(t, out, "Usage: oscli", "%v", args)
		require.Empty(t, errOut)
	}
	code, out, _ := oscli(t, "", "decode", "-h")
	require.Zero(t, code)
	require.Contains(t, out, "-text")
	require.Contains(t, out, "-lenient")
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{nil, "Usage: oscli COMMAND"},
		{[]string{"frob"}, `unknown command "frob"`},
		{[]string{"send", "-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"send"}, "missing HOST PORT"},
		{[]string{"send", "-", "/chat", "hi"}, `"hi" reads as types`},
		{[]string{"send", "-at", "x", "-", "/a"}, "-at"},
		{[]string{"send", "-at", "now", "-in", "1s", "-", "/a"}, "not both"},
		{[]string{"encode"}, "no packet given"},
		{[]string{"decode", "-hex", "zz"}, "not hex"},
		{[]string{"help", "frob"}, "unknown command"},
	}
	for _, c := range cases {
		code, _, errOut := oscli(t, "", c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.msg, "%v", c.args)
	}
}

func TestEncodeDecode(t *testing.T) {
	js := `{"timetag":{"sec":100,"frac":0},"elements":[{"address":"/a","args":[{"type":"i","value":1}]},{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/b","args":[{"type":"s","value":"x"}]}]}]}`
	code, pkt, errOut := oscli(t, "", "encode", js)
	require.Zero(t, code, errOut)

	code, out, errOut := oscli(t, pkt, "decode")
	require.Zero(t, code, errOut)
	require.Equal(t, js+"\n", out)

	code, out, errOut = oscli(t, pkt, "decode", "-text")
	require.Zero(t, code, errOut)
	require.Equal(t, "#bundle 00000064.00000000\n00000064.00000000 /a i 1\n  #bundle 00000000.00000001\n00000000.00000001 /b s \"x\"\n", out)

	// Several packets: hex lines both ways, from standard input.
	in := `{"address":"/a","args":[1]}` + "\n" + `{"address":"/b","args":[{"type":"f","value":-0}]}` + "\n"
	code, hexOut, errOut := oscli(t, in, "encode", "-hex")
	require.Zero(t, code, errOut)
	require.Equal(t, "2f6100002c69000000000001\n2f6200002c66000080000000\n", hexOut)
	code, out, errOut = oscli(t, hexOut, "decode", "-hex")
	require.Zero(t, code, errOut)
	require.Equal(t, `{"address":"/a","args":[{"type":"i","value":1}]}`+"\n"+`{"address":"/b","args":[{"type":"f","value":-0}]}`+"\n", out)

	// Raw output holds one packet.
	code, _, errOut = oscli(t, in, "encode")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "give -hex")

	// A file argument.
	f := filepath.Join(t.TempDir(), "p.osc")
	require.NoError(t, os.WriteFile(f, []byte(pkt), 0o600))
	code, out, errOut = oscli(t, "", "decode", f)
	require.Zero(t, code, errOut)
	require.Equal(t, js+"\n", out)
	code, _, errOut = oscli(t, "", "decode", filepath.Join(t.TempDir(), "missing"))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no such file")
}

func TestDecodeErrors(t *testing.T) {
	// A bad packet prints the reason, the offset and the bytes; the good
	// ones around it still print; the exit status is 1.
	code, out, errOut := oscli(t, "", "decode", "-hex", "2f6100002c000000", "2f6100002c780000", "2f6200002c000000")
	require.Equal(t, 1, code)
	require.Equal(t, `{"address":"/a","args":[]}`+"\n"+`{"address":"/b","args":[]}`+"\n", out)
	require.Equal(t, "oscli decode: packet 2: osc: unknown type tag at offset 8 (arg 0): 8 bytes: 2f6100002c780000\n", errOut)

	// Lenient decoding accepts what strict rejects.
	code, _, _ = oscli(t, "", "decode", "-hex", "2f666f6f00000000")
	require.Equal(t, 1, code)
	code, out, _ = oscli(t, "", "decode", "-hex", "-lenient", "2f666f6f00000000")
	require.Zero(t, code)
	require.Equal(t, `{"address":"/foo","args":[]}`+"\n", out)

	// Encoding errors name the packet and the place.
	code, out, errOut = oscli(t, `{"address":"/a"}`+"\n"+`{"address":"/a","args":[{"type":"i","value":"x"}]}`+"\n{", "encode", "-hex")
	require.Equal(t, 1, code)
	require.Equal(t, "2f6100002c000000\n", out)
	require.Equal(t, "oscli encode: packet 2: oscjson: args[0].value: want an integer, not a string\n"+
		"oscli encode: packet 3: oscjson: cannot read JSON: unexpected EOF\n", errOut)
}

func TestSendStdout(t *testing.T) {
	code, out, errOut := oscli(t, "", "send", "-", "/a", "ifs", "1", "2.5", "hi")
	require.Zero(t, code, errOut)
	require.Equal(t, "2f6100002c69667300000000000000014020000068690000", hex.EncodeToString([]byte(out)))

	code, out, errOut = oscli(t, "", "send", "-at", "00000064.00000000", "-", "/a")
	require.Zero(t, code, errOut)
	require.Equal(t, "2362756e646c650000000064000000000000000"+"82f6100002c000000", hex.EncodeToString([]byte(out)))

	code, out, errOut = oscli(t, "", "send", "-json", "-", `{"address":"/a","args":[true]}`)
	require.Zero(t, code, errOut)
	require.Equal(t, "2f6100002c540000", hex.EncodeToString([]byte(out)))

	code, _, errOut = oscli(t, "", "send", "-json", "-", `{"address":"a"}`)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "packet 1: oscjson: address: an address must start with '/'")
}

// TestSendUDP sends to a socket of the test's own on the loopback.
func TestSendUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	port := pc.LocalAddr().(*net.UDPAddr).Port

	code, _, errOut := oscli(t, `{"address":"/j"}`+"\n"+`{"address":"/k"}`,
		"send", "-json", "osc.udp://127.0.0.1:"+itoa(port))
	require.Zero(t, code, errOut)
	code, _, errOut = oscli(t, "", "send", "-in", "10ms", "127.0.0.1", itoa(port), "/a", "1")
	require.Zero(t, code, errOut)

	buf := make([]byte, 1500)
	var got []string
	for range 3 {
		require.NoError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, _, err := pc.ReadFrom(buf)
		require.NoError(t, err)
		got = append(got, hex.EncodeToString(buf[:n]))
	}
	require.Equal(t, "2f6a00002c000000", got[0])
	require.Equal(t, "2f6b00002c000000", got[1])
	require.True(t, strings.HasPrefix(got[2], "2362756e646c6500"), got[2])
	require.True(t, strings.HasSuffix(got[2], "0000000c2f6100002c69000000000001"), got[2])
}

func itoa(n int) string { return strconv.Itoa(n) }
