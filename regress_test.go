package osc_test

// Regression tests for faults found in the serve path after it was
// rewritten: each failed before its fix.

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestRegressReceiveStaleCancel: a Receive whose context ends just as a
// reply arrives must not poison the next Receive's deadline.
func TestRegressReceiveStaleCancel(t *testing.T) {
	ch := make(chan got, 1)
	r := recorder(t, ch)
	s := newServer(t, r)
	ep, err := s.Listen("osc.udp://127.0.0.1:0", nil)
	require.NoError(t, err)
	c := dial(t, ep.URL())
	deadline := time.Now().Add(20 * time.Second)
	bad := 0
	i := 0
	for ; i < 20000 && time.Now().Before(deadline); i++ {
		require.NoError(t, c.Send("/ping"))
		ctx, cancel := context.WithCancel(context.Background())
		go cancel()
		_, err := c.Receive(ctx)
		cancel()
		got := err == nil
		if !got {
			require.ErrorIs(t, err, context.Canceled)
		}
		// Drain with a generous, live context.
		ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
		if !got {
			_, err = c.Receive(ctx2)
		} else {
			require.NoError(t, c.Send("/ping"))
			_, err = c.Receive(ctx2)
		}
		cancel2()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			bad++
			t.Logf("iteration %d: Receive with a live 2 s context failed at once: %v", i, err)
			if bad > 3 {
				break
			}
		}
	}
	t.Logf("%d iterations", i)
	require.Zero(t, bad)
}

// dumpAfter prints every goroutine's stack after d, to show where a hung
// test waits.
func dumpAfter(d time.Duration) *time.Timer {
	return time.AfterFunc(d, func() { pprof.Lookup("goroutine").WriteTo(os.Stderr, 1) })
}

// faderPeer starts a server with a FrameTimeout of 300 ms that counts the
// /fader messages it gets, and connects a TCP peer to it; f is one framed
// /fader message.
func faderPeer(t *testing.T) (ep *osc.Endpoint, c net.Conn, n *atomic.Int64, f []byte) {
	n = new(atomic.Int64)
	r := router.New()
	r.HandleFunc("/fader", func(w router.ResponseWriter, req *router.Request) { n.Add(1) })
	s := &osc.Server{Handler: r, Logger: quietLogger, FrameTimeout: 300 * time.Millisecond}
	t.Cleanup(func() { s.Close() })
	ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
	require.NoError(t, err)
	c, err = net.Dial("tcp", ep.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return ep, c, n, sizeFrame(t, "/fader", wire.Float32(0.5), wire.Int32(1), wire.Int32(2))
}

// TestRegressFrameTimeoutBusyPeer: a peer that writes one whole frame per
// write, as fast as the server takes them, for longer than FrameTimeout.
func TestRegressFrameTimeoutBusyPeer(t *testing.T) {
	ep, c, n, f := faderPeer(t)
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

// TestRegressFrameTimeoutSteadyStream: a peer that streams frames steadily,
// every frame whole within 10 ms of its first byte, but whose writes (as
// TCP segments often do) end in the middle of the next frame.
func TestRegressFrameTimeoutSteadyStream(t *testing.T) {
	ep, c, n, f := faderPeer(t)
	half := len(f) / 2
	_, err := c.Write(f[:half])
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
	require.NoError(t, c.SendAt(time.Now().Add(50*time.Millisecond), "/slow"))
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
}

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
