package osc_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
)

// TestRegressSendQueueRetained: connections whose peers read every reply
// keep their send buffers after one burst.
func TestRegressSendQueueRetained(t *testing.T) {
	blob := make([]byte, 4000)
	r := router.New()
	r.HandleFunc("/burst", func(w router.ResponseWriter, req *router.Request) {
		for range 60 {
			w.Encoder().Message("/b").Blob(blob).End()
			_ = w.Flush()
		}
	})
	const n = 300
	s := &osc.Server{Handler: r, Logger: quietLogger}
	t.Cleanup(func() { s.Close() })
	ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
	require.NoError(t, err)
	before := heapInuse()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", ep.Addr().String())
		require.NoError(t, err)
		conns = append(conns, c)
		_, err = c.Write(sizeFrame(t, "/burst"))
		require.NoError(t, err)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.CopyN(io.Discard, c, 60*(4+4+4+4+4000))
		require.NoError(t, err)
	}
	time.Sleep(100 * time.Millisecond)
	after := heapInuse()
	t.Logf("%d idle conns after one 240 KB burst each (all read): heap grew %d KiB, %d KiB per conn", n, (int64(after)-int64(before))>>10, (int64(after)-int64(before))>>10/n)
}
