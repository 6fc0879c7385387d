package osc_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
)

// TestRegressCloseShutdownRace: Shutdown, Close and Endpoint.Close at once
// while TCP peers send and get replies.
func TestRegressCloseShutdownRace(t *testing.T) {
	r := router.New()
	r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
		w.Encoder().Message("/pong").End()
		_ = w.Flush()
	})
	for i := range 30 {
		s := &osc.Server{Handler: r, Logger: quietLogger, SendQueue: 1024}
		ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
		require.NoError(t, err)
		ep2, err := s.Listen("osc.udp://127.0.0.1:0", nil)
		require.NoError(t, err)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", ep.Addr().String())
				if err != nil {
					return
				}
				defer c.Close()
				go func() {
					b := make([]byte, 4096)
					for {
						c.SetReadDeadline(time.Now().Add(2 * time.Second))
						if _, err := c.Read(b); err != nil {
							return
						}
					}
				}()
				f := sizeFrame(t, "/ping")
				for {
					select {
					case <-stop:
						return
					default:
					}
					c.SetWriteDeadline(time.Now().Add(time.Second))
					if _, err := c.Write(f); err != nil {
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(i%5) * 5 * time.Millisecond)
		var cw sync.WaitGroup
		cw.Add(4)
		go func() {
			defer cw.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%3)*50*time.Millisecond+time.Millisecond)
			defer cancel()
			s.Shutdown(ctx)
		}()
		go func() { defer cw.Done(); ep.Close() }()
		go func() { defer cw.Done(); ep2.Close() }()
		go func() { defer cw.Done(); _ = s.Stats(); s.Close() }()
		done := make(chan struct{})
		go func() { cw.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			dumpAfter(0)
			t.Fatal("close calls hung")
		}
		close(stop)
		wg.Wait()
		s.Close()
	}
	time.Sleep(200 * time.Millisecond)
}
