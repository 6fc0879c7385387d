package osc_test

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestRegressQueuedBundlePinsClosedConn: a tiny bundle queued for later
// keeps its (closed) connection's buffers alive; the scheduler's byte
// budget does not see them.
func TestRegressQueuedBundlePinsClosedConn(t *testing.T) {
	s := &osc.Server{Handler: router.New(), Logger: quietLogger}
	t.Cleanup(func() { s.Close() })
	ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
	require.NoError(t, err)

	msg, _ := wire.AppendMessage(nil, "/x", wire.Blob(make([]byte, 1000)))
	var bulk []byte
	for len(bulk) < 512<<10 {
		bulk = netio.AppendFrame(bulk, msg, netio.FrameSizePrefix)
	}
	var enc wire.Encoder
	enc.BeginBundle(wire.TimetagOf(time.Now().Add(30 * time.Minute)))
	enc.Message("/later").End()
	b, err := enc.EndBundle().Bytes()
	require.NoError(t, err)
	bundle := netio.AppendFrame(nil, b, netio.FrameSizePrefix)

	const n = 1000
	before := heapInuse()
	for i := range n {
		c, err := net.Dial("tcp", ep.Addr().String())
		require.NoError(t, err)
		_, err = c.Write(append(bulk[:len(bulk):len(bulk)], bundle...))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return ep.Stats().Queued == i+1 }, 5*time.Second, time.Millisecond)
		c.Close()
	}
	require.Eventually(t, func() bool { return ep.Stats().ConnsOpen == 0 }, 5*time.Second, time.Millisecond)
	after := heapInuse()
	st := ep.Stats()
	t.Logf("%d closed conns, %d bundles queued, QueuedBytes %d KiB, heap grew %d KiB", n, st.Queued, st.QueuedBytes>>10, (int64(after)-int64(before))>>10)
	require.Less(t, int64(after)-int64(before), 4*st.QueuedBytes+8<<20, "queued bundles pin memory the budget does not count")
}
