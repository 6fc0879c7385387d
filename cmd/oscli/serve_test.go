package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/internal/netio"
	"github.com/stretchr/testify/require"
)

// TestEchoWildcardReply: on a wildcard bind, echo answers from the address
// the client sent to, so that a client of 127.0.0.2 hears from 127.0.0.2
// (a connected client would never see a reply from 127.0.0.1).
func TestEchoWildcardReply(t *testing.T) {
	for _, bind := range []string{"osc.udp://0.0.0.0:0", "osc.udp://[::]:0"} {
		t.Run(bind, func(t *testing.T) {
			p := start(t, "echo", "-timeout", "15s", bind)
			ep, err := netio.ParseEndpoint(p.listening(t))
			require.NoError(t, err)
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			require.NoError(t, err)
			defer c.Close()
			pkt := mustHex(t, "2f6100002c69000000000007")
			buf := make([]byte, 1500)
			for _, peer := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
				to := netip.AddrPortFrom(netip.MustParseAddr(peer), uint16(ep.Port()))
				_, err := c.WriteToUDPAddrPort(pkt, to)
				require.NoError(t, err)
				require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
				n, from, err := c.ReadFromUDPAddrPort(buf)
				require.NoError(t, err, "no answer to a client of %s", peer)
				require.Equal(t, pkt, buf[:n])
				require.Equal(t, to.String(), netip.AddrPortFrom(from.Addr().Unmap(), from.Port()).String(),
					"the answer to a client of %s comes from another address", peer)
			}
		})
	}
}

// TestListenHelp: dump and echo document every scheme they listen on.
func TestListenHelp(t *testing.T) {
	for _, cmd := range []string{"dump", "echo"} {
		code, out, _ := oscli(t, "", cmd, "-h")
		require.Zero(t, code)
		for _, scheme := range []string{"osc.udp://", "osc.tcp://", "osc.unix://", "osc.ws://"} {
			require.Contains(t, out, scheme, "oscli %s -h", cmd)
		}
	}
}

// TestEchoTCPFramings: echo answers each TCP connection in the framing it
// sends with, byte for byte, and a bad frame prints one line, not two.
func TestEchoTCPFramings(t *testing.T) {
	p := start(t, "echo", "-count", "2", "-timeout", "15s", "osc.tcp://127.0.0.1:0")
	ep, err := netio.ParseEndpoint(p.listening(t))
	require.NoError(t, err)
	pkt := mustHex(t, "2f6100002c69000000000007")

	tcpSend(t, ep.Address, []byte{0, 0, 0, 3, 1, 2, 3})
	require.Contains(t, next(t, p.err, "frame error"), "oscli echo: bad frame from 127.0.0.1:")

	for _, f := range []netio.Framing{netio.FrameSLIP, netio.FrameSizePrefix} {
		want := netio.AppendFrame(nil, pkt, f)
		c := tcpSend(t, ep.Address, want)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		got := make([]byte, len(want))
		_, err := io.ReadFull(c, got)
		require.NoError(t, err, f.String())
		require.Equal(t, want, got, f.String())
	}
	require.Zero(t, p.wait(t))
	require.Equal(t, []string{"oscli echo: echoed 2 packets (0 replies failed)"}, rest(p.err))
}

// TestDumpStatsTCP: dump -stats answers oscli bench's final message over
// TCP in both framings.
func TestDumpStatsTCP(t *testing.T) {
	p := start(t, "dump", "-stats", "-timeout", "15s", "osc.tcp://127.0.0.1:0")
	ep, err := netio.ParseEndpoint(p.listening(t))
	require.NoError(t, err)
	for _, scheme := range []string{"osc.tcp+slip://", "osc.tcp+size://"} {
		code, out, errOut := oscli(t, "", "bench", "-count", "500", "-rate", "max", scheme+ep.Address)
		require.Zero(t, code, errOut)
		require.Contains(t, out, "receiver  received 500 of 500, lost 0 (0.000%), reordered 0", scheme)
		require.Equal(t, "bench: received 500 of 500, lost 0 (0.000%), reordered 0", next(t, p.out, "dump's line"))
	}
}

// rest collects the lines left in c once the command has ended.
func rest(c chan string) []string {
	var ls []string
	for l := range c {
		ls = append(ls, l)
	}
	return ls
}

func TestLogHandler(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(&logHandler{w: &b, prefix: "oscli echo: "})
	log.With("endpoint", "osc.tcp://127.0.0.1:9000").Warn("osc: slow peer disconnected: it does not read its replies",
		"from", "127.0.0.1:5555", "n", 3, "hint", "say \"x\"", "empty", "")
	log.Debug("not shown")
	require.Equal(t, `oscli echo: osc: slow peer disconnected: it does not read its replies endpoint=osc.tcp://127.0.0.1:9000 from=127.0.0.1:5555 n=3 hint="say \"x\"" empty=""`+"\n", b.String())
	require.Equal(t, 1, strings.Count(b.String(), "\n"))
}

// TestWebSocketCLI: echo and dump listen on osc.ws://, send reaches them
// and hears echo's reply on the same WebSocket.
func TestWebSocketCLI(t *testing.T) {
	e := start(t, "echo", "-timeout", "15s", "osc.ws://127.0.0.1:0/osc")
	url := e.listening(t)
	require.True(t, strings.HasPrefix(url, "osc.ws://127.0.0.1:") && strings.HasSuffix(url, "/osc"), url)
	code, out, errOut := oscli(t, "", "send", "-expect", "/p", "-timeout", "5s", url, "/p", "isf", "5", "x", "0.5")
	require.Zero(t, code, errOut)
	require.Equal(t, "00000000.00000001 /p isf 5 \"x\" 0.5\n", out)

	d := start(t, "dump", "-timeout", "15s", "osc.ws://127.0.0.1:0/")
	code, _, errOut = oscli(t, "", "send", d.listening(t), "/hello", "i", "42")
	require.Zero(t, code, errOut)
	require.Contains(t, next(t, d.out, "dumped"), " /hello i 42")
}
