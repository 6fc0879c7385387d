package osc_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
)

// TestRegressShutdownStreamingPeer: a TCP peer that keeps sending (a fader
// at 100 Hz) during a graceful Shutdown.
func TestRegressShutdownStreamingPeer(t *testing.T) {
	var n atomic.Int64
	r := router.New()
	r.HandleFunc("/fader", func(w router.ResponseWriter, req *router.Request) { n.Add(1) })
	s := &osc.Server{Handler: r, Logger: quietLogger}
	defer s.Close()
	ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
	require.NoError(t, err)
	c, err := net.Dial("tcp", ep.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	stop := make(chan struct{})
	defer close(stop)
	frame := sizeFrame(t, "/fader")
	go func() {
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for i := 0; i < 1000; i++ {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := c.Write(frame); err != nil {
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	before := n.Load()
	t0 := time.Now()
	err = s.Shutdown(ctx)
	t.Logf("Shutdown returned %v after %v; %d messages dispatched after Shutdown began", err, time.Since(t0), n.Load()-before)
	require.NoError(t, err)
}
