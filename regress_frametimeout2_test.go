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

// TestRegressFrameTimeoutBusyPeer: a peer that writes one whole frame per
// write, as fast as the server takes them, for longer than FrameTimeout.
func TestRegressFrameTimeoutBusyPeer(t *testing.T) {
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
	start := time.Now()
	var werr error
	for time.Since(start) < 1500*time.Millisecond {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		if _, werr = c.Write(f); werr != nil {
			break
		}
	}
	time.Sleep(50 * time.Millisecond)
	st := ep.Stats()
	t.Logf("after %v: %d frames dispatched, write err %v, stats %+v", time.Since(start), n.Load(), werr, st)
	require.Equal(t, 1, st.ConnsOpen, "a busy peer was cut off by FrameTimeout")
}
