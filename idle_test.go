//go:build !race

package osc_test

import (
	"net"
	"runtime"
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
