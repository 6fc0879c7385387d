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

// TestRegressWorkersCloseAccounting: every packet read is dispatched or
// counted, also across Close with Workers.
func TestRegressWorkersCloseAccounting(t *testing.T) {
	bad := 0
	for i := range 40 {
		var dispatched atomic.Uint64
		r := router.New()
		r.HandleFunc("/x", func(w router.ResponseWriter, req *router.Request) {
			dispatched.Add(1)
		})
		s := &osc.Server{Handler: r, Logger: quietLogger, Workers: 4}
		ep, err := s.Listen("osc.udp://127.0.0.1:0", nil)
		require.NoError(t, err)
		stop := make(chan struct{})
		done := make(chan struct{})
		for k := range 4 {
			go func() {
				defer func() { done <- struct{}{} }()
				c, err := net.Dial("udp", ep.Addr().String())
				if err != nil {
					return
				}
				defer c.Close()
				m, _ := wire.AppendMessage(nil, "/x", wire.Int32(int32(k)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					c.Write(m)
				}
			}()
		}
		time.Sleep(time.Duration(5+i%10) * time.Millisecond)
		st0 := ep
		require.NoError(t, s.Close())
		close(stop)
		for range 4 {
			<-done
		}
		st := st0.Stats()
		accounted := dispatched.Load() + st.Dropped + st.Malformed + st.Filtered + st.Refused
		if st.Packets != accounted {
			bad++
			t.Logf("run %d: %d packets read, %d dispatched + %d dropped = %d: %d lost uncounted", i, st.Packets, dispatched.Load(), st.Dropped, accounted, int64(st.Packets)-int64(accounted))
		}
	}
	require.Zero(t, bad)
}
