//go:build !race && unix

package osc_test

import (
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/wire"
)

// TestIdleConnsCheap opens 2,000 idle TCP connections: the memory they
// cost (server and client side together) stays under 20 MB, and another
// client's frames are dispatched at once meanwhile. (Without the race
// detector, which multiplies memory.)
func TestIdleConnsCheap(t *testing.T) {
	const n = 2000
	ch := make(chan got, 4)
	s := &osc.Server{Handler: recorder(t, ch), Logger: quietLogger, MaxConns: n + 10}
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.tcp://127.0.0.1:0")
	inuse := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse + m.StackInuse
	}
	before := inuse()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", ep.Addr().String())
		require.NoError(t, err)
		conns = append(conns, c)
	}
	require.Eventually(t, func() bool { return ep.Stats().ConnsOpen == n }, 10*time.Second, 10*time.Millisecond)
	cost := int64(inuse()) - int64(before)
	t.Logf("%d idle connections: %.1f MB (%d bytes each, both ends)", n, float64(cost)/1e6, cost/n)
	require.Less(t, cost, int64(20e6))

	c := dial(t, ep.URL())
	for range 5 {
		sent := time.Now()
		require.NoError(t, c.Send("/busy", wire.Int32(1)))
		g := recv(t, ch)
		require.Less(t, g.at.Sub(sent), time.Second)
	}
}

// TestIdleWebSocketsCheap opens 2,000 idle WebSocket connections (the
// handshake by hand, so that no client library is counted): they cost
// under 16 KB each, server and client sockets together, and another
// client is served at once meanwhile.
func TestIdleWebSocketsCheap(t *testing.T) {
	const n = 2000
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur < 2*n+100 {
		lim.Cur = min(lim.Max, 2*n+100)
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	}
	require.GreaterOrEqual(t, lim.Cur, uint64(2*n+100), "ulimit -n is too low for %d connections", n)
	ch := make(chan got, 4)
	s := &osc.Server{Handler: recorder(t, ch), Logger: quietLogger, MaxConns: n + 10}
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	inuse := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse + m.StackInuse
	}
	before := inuse()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	host := ep.Addr().String()
	req := []byte("GET /osc HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp := make([]byte, 512)
	for range n {
		c, err := net.Dial("tcp", host)
		require.NoError(t, err)
		conns = append(conns, c)
		_, err = c.Write(req)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
		k, err := c.Read(resp)
		require.NoError(t, err)
		require.Contains(t, string(resp[:k]), " 101 ")
	}
	require.Eventually(t, func() bool { return ep.Stats().ConnsOpen == n }, 10*time.Second, 10*time.Millisecond)
	cost := int64(inuse()) - int64(before)
	t.Logf("%d idle WebSocket connections: %.1f MB (%d bytes each, both ends)", n, float64(cost)/1e6, cost/n)
	require.Less(t, cost, int64(n*16<<10))

	c := dial(t, "osc.ws://"+host+"/osc")
	for range 5 {
		sent := time.Now()
		require.NoError(t, c.Send("/busy", wire.Int32(1)))
		g := recv(t, ch)
		require.Less(t, g.at.Sub(sent), time.Second)
	}
}
