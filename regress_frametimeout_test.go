package osc_test

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestRegressFrameTimeoutSteadyStream: a peer that streams frames steadily,
// every frame whole within 10 ms of its first byte, but whose writes (as
// TCP segments often do) end in the middle of the next frame.
func TestRegressFrameTimeoutSteadyStream(t *testing.T) {
	var n atomic.Int64
	r := router.New()
	r.HandleFunc("/fader", func(w router.ResponseWriter, req *router.Request) { n.Add(1) })
	s := &osc.Server{Handler: r, Logger: quietLogger, FrameTimeout: 300 * time.Millisecond}
	t.Cleanup(func() { s.Close() })
	ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
	require.NoError(t, err)
	c, err := net.Dial("tcp", ep.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	f := sizeFrame(t, "/fader", wire.Float32(0.5), wire.Int32(1), wire.Int32(2))
	half := len(f) / 2
	_, err = c.Write(f[:half])
	require.NoError(t, err)
	chunk := append(append([]byte{}, f[half:]...), f[:half]...)
	start := time.Now()
	for time.Since(start) < 1500*time.Millisecond {
		time.Sleep(10 * time.Millisecond)
		c.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.Write(chunk); err != nil {
			break
		}
	}
	time.Sleep(50 * time.Millisecond)
	st := ep.Stats()
	t.Logf("after %v: %d frames dispatched, stats %+v", time.Since(start), n.Load(), st)
	require.Equal(t, 1, st.ConnsOpen, "a peer whose every frame took < 10 ms was cut off by FrameTimeout (300 ms)")
}
