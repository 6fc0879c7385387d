package osc_test

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestRegressUnixSlowPeerStallsEndpoint: a UNIX datagram peer that sends
// requests and never reads its replies stalls every other peer.
func TestRegressUnixSlowPeerStallsEndpoint(t *testing.T) {
	for _, workers := range []int{0, 4} {
		t.Run(map[int]string{0: "Workers=0", 4: "Workers=4"}[workers], func(t *testing.T) {
			dir := t.TempDir()
			probes := make(chan time.Time, 16)
			r := router.New()
			r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
				w.Encoder().Message("/pong").End()
				_ = w.Flush()
			})
			r.HandleFunc("/probe", func(w router.ResponseWriter, req *router.Request) {
				w.Encoder().Message("/probed").End()
				_ = w.Flush()
				probes <- time.Now()
			})
			s := &osc.Server{Handler: r, Logger: quietLogger, Workers: workers}
			t.Cleanup(func() { s.Close() })
			ep, err := s.Listen("osc.unix://"+filepath.Join(dir, "srv.sock"), nil)
			require.NoError(t, err)
			srv := &net.UnixAddr{Name: filepath.Join(dir, "srv.sock"), Net: "unixgram"}

			slow, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "slow.sock"), Net: "unixgram"})
			require.NoError(t, err)
			defer slow.Close()
			ping, _ := wire.AppendMessage(nil, "/ping")
			for range 200 {
				slow.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
				if _, err := slow.WriteToUnix(ping, srv); err != nil {
					break
				}
			}
			time.Sleep(200 * time.Millisecond)

			fast, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "fast.sock"), Net: "unixgram"})
			require.NoError(t, err)
			defer fast.Close()
			probe, _ := wire.AppendMessage(nil, "/probe")
			fast.SetWriteDeadline(time.Now().Add(time.Second))
			sent := time.Now()
			_, err = fast.WriteToUnix(probe, srv)
			require.NoError(t, err)
			select {
			case at := <-probes:
				t.Logf("probe dispatched after %v", at.Sub(sent))
			case <-time.After(2 * time.Second):
				t.Fatalf("probe from another peer not dispatched within 2 s while a UNIX peer does not read (stats %+v)", ep.Stats())
			}
			fast.SetReadDeadline(time.Now().Add(2 * time.Second))
			var b [64]byte
			_, _, err = fast.ReadFromUnix(b[:])
			require.NoError(t, err, "reply to the fast peer not received while a UNIX peer does not read (stats %+v)", ep.Stats())
		})
	}
}
