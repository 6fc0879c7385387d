//go:build !race && unix

package main

import (
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/wire"
)

// TestRelayHostilePeers: 2,000 idle connections to the relay's TCP
// endpoint (more than its cap of 1,024: the rest are refused, counted on
// the status line) and a TCP destination that accepts and never reads do
// not stop the relay: every one of 3,000 8-KB messages sent on UDP reaches
// the UDP destination, the stalled destination's queue drops what it
// cannot take, counted, and the heap grows by less than 48 MB (the queues
// are bounded; measured 17 MB). (Without the race detector, which
// multiplies memory.)
func TestRelayHostilePeers(t *testing.T) {
	const idle = 2000
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur < 2*idle+200 {
		lim.Cur = min(lim.Max, 2*idle+200)
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	}
	require.GreaterOrEqual(t, lim.Cur, uint64(2*idle+200), "ulimit -n is too low for %d connections", idle)

	stalled, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer stalled.Close()
	go func() {
		for {
			c, err := stalled.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepts, never reads
		}
	}()
	dst, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer dst.Close()

	inuse := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse + m.StackInuse
	}
	before := inuse()
	r := start(t, "relay", "-timeout", "60s", "-queue", "512",
		"-from", "osc.tcp://127.0.0.1:0", "-from", "osc.udp://127.0.0.1:0",
		"-to", "osc.tcp://"+stalled.Addr().String(), "-to", "osc.udp://"+dst.LocalAddr().String())
	tcpURL, udpURL := relayURL(t, r), relayURL(t, r)
	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range idle {
		c, err := net.Dial("tcp", strings.TrimPrefix(tcpURL, "osc.tcp://"))
		require.NoError(t, err)
		conns = append(conns, c)
	}

	src, err := net.Dial("udp", strings.TrimPrefix(udpURL, "osc.udp://"))
	require.NoError(t, err)
	defer src.Close()
	msg, err := wire.AppendMessage(nil, "/load", wire.Blob(make([]byte, 8000)))
	require.NoError(t, err)
	buf := make([]byte, 9000)
	const n = 3000
	for i := range n {
		_, err := src.Write(msg)
		require.NoError(t, err)
		require.NoError(t, dst.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err = dst.Read(buf)
		require.NoError(t, err, "message %d of %d: the relay stopped serving", i+1, n)
	}
	cost := int64(inuse()) - int64(before)
	t.Logf("relay with %d idle connections and a stalled destination: heap +%.1f MB", idle, float64(cost)/1e6)
	require.Less(t, cost, int64(48<<20))

	r.cancel()
	var line, from string
	for l := range r.err {
		if strings.HasPrefix(l, "oscli relay: osc.tcp://"+stalled.Addr().String()+" ") {
			line = l
		}
		if strings.HasPrefix(l, "oscli relay: from "+tcpURL+" ") {
			from = l
		}
	}
	require.NotEmpty(t, line, "no stats line for the stalled destination")
	require.NotContains(t, line, " drops=0 ", line)
	require.Contains(t, from, " conns=1024 conns_refused=976 ", "the idle connections past the cap are refused, counted")
}
