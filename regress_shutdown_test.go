package osc_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestRegressShutdownBoundedByCtxScheduledDispatch: Shutdown must return
// when ctx ends, even while a queued bundle's handler runs.
func TestRegressShutdownBoundedByCtxScheduledDispatch(t *testing.T) {
	started := make(chan struct{}, 1)
	r := router.New()
	r.HandleFunc("/slow", func(w router.ResponseWriter, req *router.Request) {
		started <- struct{}{}
		time.Sleep(3 * time.Second)
	})
	s := &osc.Server{Handler: r, Logger: quietLogger}
	defer s.Close()
	ep, err := s.Listen("osc.udp://127.0.0.1:0", nil)
	require.NoError(t, err)
	c := dial(t, ep.URL())
	require.NoError(t, c.SendIn(50*time.Millisecond, "/slow"))
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("not dispatched")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err = s.Shutdown(ctx)
	took := time.Since(t0)
	t.Logf("Shutdown(200ms ctx) returned %v after %v", err, took)
	require.Less(t, took, time.Second, "Shutdown outlived its context")
}

// TestRegressShutdownFlushWakesOnSendError: Shutdown lets connections write
// their queued replies; a peer whose write times out must not keep
// Shutdown waiting for the rest of ctx.
func TestRegressShutdownFlushWakesOnSendError(t *testing.T) {
	blob := make([]byte, 60<<10)
	r := router.New()
	r.HandleFunc("/big", func(w router.ResponseWriter, req *router.Request) {
		w.Encoder().Message("/big").Blob(blob).End()
		_ = w.Flush()
	})
	s := &osc.Server{Handler: r, Logger: quietLogger, SendQueue: 64 << 20, WriteTimeout: 300 * time.Millisecond}
	defer s.Close()
	ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
	require.NoError(t, err)
	slow, err := net.Dial("tcp", ep.Addr().String())
	require.NoError(t, err)
	defer slow.Close()
	big := sizeFrame(t, "/big")
	for range 100 { // ~6 MB of replies, more than loopback buffers hold
		_, err := slow.Write(big)
		require.NoError(t, err)
	}
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t0 := time.Now()
	tm := dumpAfter(2 * time.Second)
	defer tm.Stop()
	err = s.Shutdown(ctx)
	took := time.Since(t0)
	t.Logf("Shutdown returned %v after %v (WriteTimeout 300ms, ctx 5s)", err, took)
	require.Less(t, took, 2*time.Second, "Shutdown waited for ctx after the slow peer's write had failed")
	_ = wire.Int32
}
