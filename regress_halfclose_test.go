package osc_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
)

// TestRegressHalfCloseLosesReply: a peer that sends a request and closes
// its writing side (nc -N, a script) must still get the reply.
func TestRegressHalfCloseLosesReply(t *testing.T) {
	ch := make(chan got, 1000)
	s := &osc.Server{Handler: recorder(t, ch), Logger: quietLogger}
	t.Cleanup(func() { s.Close() })
	ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
	require.NoError(t, err)
	lost := 0
	const n = 300
	for range n {
		c, err := net.Dial("tcp", ep.Addr().String())
		require.NoError(t, err)
		_, err = c.Write(sizeFrame(t, "/ping"))
		require.NoError(t, err)
		require.NoError(t, c.(*net.TCPConn).CloseWrite())
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(c)
		require.NoError(t, err)
		if len(b) == 0 {
			lost++
		}
		c.Close()
	}
	t.Logf("%d of %d replies lost (stats %+v)", lost, n, ep.Stats())
	require.Zero(t, lost)
}
