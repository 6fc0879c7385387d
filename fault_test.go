package osc_test

// Faults the server must survive and the regressions of its serve path,
// each with real sockets.

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
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

// sizeFrame frames a message with an OSC 1.0 size prefix.
func sizeFrame(t *testing.T, addr string, args ...wire.Value) []byte {
	t.Helper()
	m, err := wire.AppendMessage(nil, addr, args...)
	require.NoError(t, err)
	return netio.AppendFrame(nil, m, netio.FrameSizePrefix)
}

// countingHandler counts slog records and remembers their attributes.
type countingHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }
func (h *countingHandler) records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.recs)
}

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = found || a.Key == key
		return !found
	})
	return found
}

// TestFlushNeverResendsAnotherPeersReply: a handler that calls Flush
// without building a reply must not send the reply built for the previous
// request, to a peer it was not built for.
func TestFlushNeverResendsAnotherPeersReply(t *testing.T) {
	flushErr := make(chan error, 1)
	r := router.New()
	r.HandleFunc("/build", func(w router.ResponseWriter, req *router.Request) {
		w.Encoder().Message("/secret").String("for the first peer only").End()
		require.NoError(t, w.Flush())
	})
	r.HandleFunc("/flush", func(w router.ResponseWriter, req *router.Request) {
		flushErr <- w.Flush()
	})
	s := newServer(t, r)
	ep := listen(t, s, "127.0.0.1:0")
	first := dial(t, ep.Addr().String())
	second := dial(t, ep.Addr().String())

	require.NoError(t, first.Send("/build"))
	_, err := first.Receive(ctxTimeout(t, 5*time.Second))
	require.NoError(t, err)

	require.NoError(t, second.Send("/flush"))
	select {
	case err := <-flushErr:
		require.ErrorIs(t, err, osc.ErrNoReply)
	case <-time.After(5 * time.Second):
		t.Fatal("/flush was not dispatched")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	pkt, err := second.Receive(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the second peer received %q", pkt)
}

// TestClientReceiveCancelled: Receive with a context that is already
// cancelled, or that ends while it waits, always returns.
func TestClientReceiveCancelled(t *testing.T) {
	s := newServer(t, router.New())
	for _, url := range []string{"osc.udp://127.0.0.1:0", "osc.tcp://127.0.0.1:0"} {
		ep := listen(t, s, url)
		c := dial(t, ep.URL())
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			for range 20000 {
				if _, err := c.Receive(ctx); !errors.Is(err, context.Canceled) {
					done <- err
					return
				}
			}
			for range 50 {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(time.Millisecond, cancel)
				if _, err := c.Receive(ctx); !errors.Is(err, context.Canceled) {
					done <- err
					return
				}
			}
			done <- nil
		}()
		select {
		case err := <-done:
			require.NoError(t, err, url)
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: Receive with a cancelled context blocked", url)
		}
	}
}

// TestListenCloseRace runs Listen, Stats and Close concurrently (the race
// detector checks the endpoint is published only once started) and then
// requires every goroutine of the server to be gone.
func TestListenCloseRace(t *testing.T) {
	base := runtime.NumGoroutine()
	for range 30 {
		s := &osc.Server{Handler: router.New(), Logger: quietLogger}
		var wg sync.WaitGroup
		for _, url := range []string{"127.0.0.1:0", "osc.tcp://127.0.0.1:0", "127.0.0.1:0"} {
			wg.Go(func() {
				ep, err := s.Listen(url, nil)
				if err != nil {
					require.ErrorIs(t, err, osc.ErrServerClosed)
					return
				}
				_ = ep.Stats()
			})
		}
		wg.Go(func() {
			for range 20 {
				_ = s.Stats()
				runtime.Gosched()
			}
		})
		wg.Go(func() { require.NoError(t, s.Close()) })
		wg.Wait()
		require.NoError(t, s.Close())
		require.Empty(t, s.Endpoints(), "endpoints listed after Close")
	}
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); n > base && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, n, base, "goroutines left running by Listen racing Close")
}

// TestCloseForgetsEndpoints: after Close no endpoint is listed, there is
// no default, and the server does not listen again.
func TestCloseForgetsEndpoints(t *testing.T) {
	s := &osc.Server{Handler: router.New(), Logger: quietLogger}
	listen(t, s, "127.0.0.1:0")
	listen(t, s, "osc.tcp://127.0.0.1:0")
	require.Len(t, s.Endpoints(), 2)
	require.NoError(t, s.Close())
	require.Empty(t, s.Endpoints())
	require.Nil(t, s.Default())
	_, err := s.WriteTo([]byte("/x\x00\x00,\x00\x00\x00"), netipLoopback(9))
	require.ErrorIs(t, err, osc.ErrNoDefault)
	_, err = s.Listen("127.0.0.1:0", nil)
	require.ErrorIs(t, err, osc.ErrServerClosed)
}

// TestRefusedBundleCountedOnce: a bundle the scheduler refuses is counted
// once, as Refused, and not as Dropped.
func TestRefusedBundleCountedOnce(t *testing.T) {
	s := &osc.Server{Handler: router.New(), Logger: quietLogger}
	s.Schedule.MaxQueue = 1
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.tcp+size://127.0.0.1:0")
	c := dial(t, ep.URL())
	at := time.Now().Add(time.Minute)
	for range 3 {
		require.NoError(t, c.SendAt(at, "/later", wire.Int32(1)))
	}
	require.Eventually(t, func() bool { return ep.Stats().Packets == 3 }, 5*time.Second, 5*time.Millisecond)
	st := ep.Stats()
	require.Equal(t, uint64(2), st.Refused, "%+v", st)
	require.Equal(t, uint64(0), st.Dropped, "%+v", st)
	require.Equal(t, 1, st.Queued, "%+v", st)
}

// TestClientServeRemote: Client.Serve sets Request.Remote on every
// transport that has an address.
func TestClientServeRemote(t *testing.T) {
	r := router.New()
	r.HandleFunc("/hello", func(w router.ResponseWriter, req *router.Request) {
		w.Encoder().Message("/welcome").End()
		require.NoError(t, w.Flush())
	})
	s := newServer(t, r)
	for _, url := range []string{"osc.udp://127.0.0.1:0", "osc.tcp://127.0.0.1:0", "osc.tcp+size://127.0.0.1:0"} {
		ep := listen(t, s, url)
		c := dial(t, ep.URL())
		remote := make(chan string, 1)
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() {
			served <- c.Serve(ctx, router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
				remote <- req.Remote.String()
			}))
		}()
		require.NoError(t, c.Send("/hello"))
		select {
		case got := <-remote:
			require.Equal(t, ep.Addr().String(), got, url)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no reply served", url)
		}
		cancel()
		require.ErrorIs(t, within(t, served, 5*time.Second, url+": Serve returning after cancel"), context.Canceled)
	}
}

// TestSlowTCPPeerStallsNoOne: a TCP peer that asks for large replies and
// never reads them must not delay another peer's messages, and is
// disconnected and counted.
func TestSlowTCPPeerStallsNoOne(t *testing.T) {
	blob := make([]byte, 60<<10)
	probes := make(chan time.Time, 64)
	r := router.New()
	r.HandleFunc("/big", func(w router.ResponseWriter, req *router.Request) {
		w.Encoder().Message("/big").Blob(blob).End()
		_ = w.Flush() // fails once the peer is disconnected
	})
	r.HandleFunc("/probe", func(w router.ResponseWriter, req *router.Request) {
		probes <- time.Now()
	})
	for _, tc := range []struct {
		name      string
		queue     int
		writeTime time.Duration
	}{
		{"write deadline", 64 << 20, time.Second},
		{"queue full", 256 << 10, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &osc.Server{Handler: r, Logger: quietLogger, SendQueue: tc.queue, WriteTimeout: tc.writeTime}
			t.Cleanup(func() { s.Close() })
			ep := listen(t, s, "osc.tcp://127.0.0.1:0")

			slow := dialRaw(t, ep)
			big := sizeFrame(t, "/big")
			go func() {
				// Some 24 MB of replies: more than loopback buffers hold;
				// then a request every 20 ms, for at most 10 s, until the
				// server hangs up.
				for i := range 900 {
					if _, err := slow.Write(big); err != nil {
						return
					}
					if i >= 400 {
						time.Sleep(20 * time.Millisecond)
					}
				}
			}()
			time.Sleep(200 * time.Millisecond) // let the slow peer's replies pile up

			fast := dialRaw(t, ep)
			probe := sizeFrame(t, "/probe")
			var lat []time.Duration
			for range 10 {
				sent := time.Now()
				_, err := fast.Write(probe)
				require.NoError(t, err)
				select {
				case at := <-probes:
					lat = append(lat, at.Sub(sent))
				case <-time.After(3 * time.Second):
					t.Fatalf("a probe was not dispatched within 3 s while the slow peer is stuck (stats %+v)", ep.Stats())
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			t.Logf("probe dispatch latency while a peer is stuck: median %v, max %v", lat[len(lat)/2], lat[len(lat)-1])
			require.Less(t, lat[len(lat)/2], 100*time.Millisecond)

			if tc.name == "queue full" {
				// Replies that did not fit were dropped and counted while
				// the peer was still connected.
				require.Positive(t, ep.Stats().ReplyDrops, "%+v", ep.Stats())
			}
			require.Eventually(t, func() bool { return ep.Stats().SlowPeers == 1 }, 10*time.Second, 10*time.Millisecond,
				"slow peer not disconnected: %+v", ep.Stats())
			// The slow peer's connection was closed by the server.
			slow.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err := io.Copy(io.Discard, slow)
			require.False(t, isTimeout(err), "the slow peer's connection is still open")
		})
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestSlowlorisFrameTimeout: FrameTimeout runs from a frame's first byte
// to its last; a peer trickling one byte at a time is cut off then.
func TestSlowlorisFrameTimeout(t *testing.T) {
	s := &osc.Server{Handler: router.New(), Logger: quietLogger, FrameTimeout: 300 * time.Millisecond}
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.tcp+size://127.0.0.1:0")
	conn := dialRaw(t, ep)
	start := time.Now()
	closed := make(chan time.Time, 1)
	go func() {
		var b [64]byte
		for {
			if _, err := conn.Read(b[:]); err != nil {
				closed <- time.Now()
				return
			}
		}
	}()
	var prefix [4]byte
	binary.BigEndian.PutUint32(prefix[:], 1<<20-4)
	_, err := conn.Write(prefix[:])
	require.NoError(t, err)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case at := <-closed:
			took := at.Sub(start)
			t.Logf("trickling peer closed after %v (FrameTimeout 300ms)", took)
			require.GreaterOrEqual(t, took, 250*time.Millisecond)
			return
		case <-tick.C:
			if time.Since(start) > 5*time.Second {
				t.Fatal("a peer sending one byte every 50 ms held its frame open for 5 s")
			}
			conn.Write([]byte{'a'}) // may fail once the server closed
		}
	}
}

// TestMaxConns: connections over the cap are closed at once and counted;
// those under it are served.
func TestMaxConns(t *testing.T) {
	ch := make(chan got, 16)
	s := &osc.Server{Handler: recorder(t, ch), Logger: quietLogger, MaxConns: 4}
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.tcp+size://127.0.0.1:0")
	var conns []net.Conn
	for range 4 {
		c := dialRaw(t, ep)
		conns = append(conns, c)
	}
	require.Eventually(t, func() bool { return ep.Stats().ConnsOpen == 4 }, 5*time.Second, 5*time.Millisecond)
	for range 3 {
		c, err := net.Dial("tcp", ep.Addr().String())
		require.NoError(t, err)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1))
		require.False(t, isTimeout(err), "a connection over MaxConns was not closed")
		c.Close()
	}
	require.Equal(t, uint64(3), ep.Stats().ConnsRefused)
	for i, c := range conns {
		_, err := c.Write(sizeFrame(t, "/open", wire.Int32(int32(i))))
		require.NoError(t, err)
		require.Equal(t, "/open", recv(t, ch).addr)
	}
}

// TestPanicFloodBoundedLog: every panic is counted, the log gets the first
// with its stack and then at most about one record a second.
func TestPanicFloodBoundedLog(t *testing.T) {
	var h countingHandler
	done := make(chan struct{}, 1)
	r := router.New()
	r.HandleFunc("/boom", func(w router.ResponseWriter, req *router.Request) { panic("boom") })
	r.HandleFunc("/end", func(w router.ResponseWriter, req *router.Request) { done <- struct{}{} })
	s := &osc.Server{Handler: r, Logger: slog.New(&h)}
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.tcp+size://127.0.0.1:0")
	conn := dialRaw(t, ep)
	start := time.Now()
	boom := sizeFrame(t, "/boom")
	for range 2000 {
		_, err := conn.Write(boom)
		require.NoError(t, err)
	}
	_, err := conn.Write(sizeFrame(t, "/end"))
	require.NoError(t, err)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the server stopped serving after a panic flood")
	}
	elapsed := time.Since(start)
	require.Equal(t, uint64(2000), ep.Stats().Panics)
	recs := h.records()
	require.NotEmpty(t, recs)
	require.True(t, hasAttr(recs[0], "stack"), "the first panic is logged with its stack")
	for _, r := range recs[1:] {
		require.False(t, hasAttr(r, "stack"), "later panics are logged without a stack")
	}
	require.LessOrEqual(t, len(recs), 2+int(elapsed/time.Second), "log records for 2000 panics in %v", elapsed)
}

// TestPacketHooks: Accept sees every packet before dispatch and can
// answer or drop it; Invalid hears every malformed packet.
func TestPacketHooks(t *testing.T) {
	ch := make(chan got, 8)
	var seen, invalid atomic.Int32
	s := &osc.Server{Handler: recorder(t, ch), Logger: quietLogger}
	s.Accept = func(w router.ResponseWriter, p *osc.Packet) bool {
		seen.Add(1)
		require.NotNil(t, p.Endpoint)
		require.True(t, p.Remote.IsValid())
		if string(p.Data[:min(len(p.Data), 5)]) == "/drop" {
			_, err := w.Write(p.Data) // echo it back, undispatched
			require.NoError(t, err)
			return false
		}
		return true
	}
	s.Invalid = func(p *osc.Packet, err error) {
		var pe *wire.ParseError
		require.ErrorAs(t, err, &pe)
		invalid.Add(1)
	}
	t.Cleanup(func() { s.Close() })
	for _, url := range []string{"osc.udp://127.0.0.1:0", "osc.tcp://127.0.0.1:0"} {
		seen.Store(0)
		invalid.Store(0)
		ep := listen(t, s, url)
		c := dial(t, ep.URL())
		require.NoError(t, c.Send("/drop", wire.Int32(1)))
		pkt, err := c.Receive(ctxTimeout(t, 5*time.Second))
		require.NoError(t, err)
		m, err := wire.ParseMessage(pkt)
		require.NoError(t, err)
		require.Equal(t, "/drop", m.AddressString())
		_, err = c.Write([]byte("/bad\x00\x00\x00\x00,i\x00\x00"))
		require.NoError(t, err)
		require.NoError(t, c.Send("/kept"))
		require.Equal(t, "/kept", recv(t, ch).addr)
		require.Equal(t, int32(3), seen.Load(), url)
		require.Equal(t, int32(1), invalid.Load(), url)
		st := ep.Stats()
		require.Equal(t, uint64(1), st.Filtered, "%s %+v", url, st)
		require.Equal(t, uint64(1), st.Malformed, "%s %+v", url, st)
	}
}

func netipLoopback(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
}

// TestShutdownWritesQueuedReplies: a graceful Shutdown lets every TCP
// connection write the replies it still has queued before closing it;
// Close drops them.
func TestShutdownWritesQueuedReplies(t *testing.T) {
	blob := make([]byte, 60<<10)
	r := router.New()
	r.HandleFunc("/q", func(w router.ResponseWriter, req *router.Request) {
		w.Encoder().Message("/r").Blob(blob).End()
		require.NoError(t, w.Flush())
	})
	s := &osc.Server{Handler: r, Logger: quietLogger, SendQueue: 64 << 20, WriteTimeout: 10 * time.Second}
	ep := listen(t, s, "osc.tcp+size://127.0.0.1:0")
	conn := dialRaw(t, ep)
	const n = 200 // 12 MB of replies: more than loopback buffers hold
	q := sizeFrame(t, "/q")
	for range n {
		_, err := conn.Write(q)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return ep.Stats().Packets == n }, 10*time.Second, 5*time.Millisecond)
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctxTimeout(t, 20*time.Second)) }()
	sr := netio.NewStreamReader(conn, netio.FrameSizePrefix, 0)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	got := 0
	for {
		_, err := sr.ReadFrame()
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		got++
	}
	require.Equal(t, n, got, "replies written before the connection closed")
	require.NoError(t, within(t, shut, 30*time.Second, "Shutdown returning"))
}

// TestHookPanicRecovered: a panicking Accept hook drops that packet and is
// counted like a handler's panic; the endpoint keeps serving.
func TestHookPanicRecovered(t *testing.T) {
	ch := make(chan got, 4)
	s := &osc.Server{Handler: recorder(t, ch), Logger: quietLogger}
	s.Accept = func(w router.ResponseWriter, p *osc.Packet) bool {
		if string(p.Data[:3]) == "/pa" {
			panic("hook")
		}
		return true
	}
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.tcp://127.0.0.1:0")
	c := dial(t, ep.URL())
	require.NoError(t, c.Send("/panic"))
	require.NoError(t, c.Send("/fine"))
	require.Equal(t, "/fine", recv(t, ch).addr)
	st := ep.Stats()
	require.Equal(t, uint64(1), st.Panics, "%+v", st)
	require.Equal(t, uint64(1), st.Filtered, "%+v", st)
}

// TestPastTimetagDeliveredLate: a bundle timed in 1900 (the README's
// 00000064.80000000) is delivered at once as late, not refused as beyond
// the horizon.
func TestPastTimetagDeliveredLate(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "osc.tcp://127.0.0.1:0")
	c := dial(t, ep.URL())
	tt := wire.NewTimetag(0x64, 0x80000000)
	require.NoError(t, c.SendBundle(tt, func(e *wire.Encoder) { e.Message("/cue").String("go").End() }))
	g := recv(t, ch)
	require.Equal(t, "/cue", g.addr)
	require.Equal(t, tt, g.tt)
	st := ep.Stats()
	require.Equal(t, uint64(1), st.Late, "%+v", st)
	require.Equal(t, uint64(0), st.Refused, "%+v", st)
}

// TestScheduledMemoryBounded: bundles timed far ahead are refused once
// the scheduler's byte budget is spent, counted once each.
func TestScheduledMemoryBounded(t *testing.T) {
	s := &osc.Server{Handler: router.New(), Logger: quietLogger, MaxFrame: 2 << 20}
	s.Schedule.MaxBytes = 8 << 20
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.tcp+size://127.0.0.1:0")
	c := dial(t, ep.URL())
	blob := make([]byte, 1<<20)
	at := time.Now().Add(50 * time.Minute)
	const n = 30
	for range n {
		require.NoError(t, c.SendAt(at, "/big", wire.Blob(blob)))
	}
	require.Eventually(t, func() bool { return ep.Stats().Packets == n }, 10*time.Second, 5*time.Millisecond)
	st := ep.Stats()
	require.LessOrEqual(t, st.QueuedBytes, int64(8<<20), "%+v", st)
	require.Equal(t, uint64(n), uint64(st.Queued)+st.Refused, "every bundle queued or refused once: %+v", st)
	require.Positive(t, st.Refused)
}

// TestSlowHandlerLossCounted: when a slow handler keeps the UDP reader
// from reading, the datagrams the kernel drops are counted
// (Stats.KernelDrops): every datagram sent either arrived or is counted.
// Workers spread the senders over goroutines and lose fewer.
func TestSlowHandlerLossCounted(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the kernel reports drops on Linux only")
	}
	const senders, each = 4, 50
	for _, workers := range []int{0, 4} {
		var handled atomic.Int64
		r := router.New()
		r.HandleFunc("/m", func(w router.ResponseWriter, req *router.Request) {
			time.Sleep(5 * time.Millisecond)
			handled.Add(1)
		})
		end := make(chan struct{}, 8)
		r.HandleFunc("/end", func(w router.ResponseWriter, req *router.Request) { end <- struct{}{} })
		s := &osc.Server{Handler: r, Logger: quietLogger, Workers: workers}
		s.UDP.ReadBuffer = 16 << 10
		s.UDP.Batch = 8
		ep := listen(t, s, "127.0.0.1:0")
		var wg sync.WaitGroup
		for range senders {
			c := dial(t, ep.URL())
			wg.Go(func() {
				for i := range each {
					require.NoError(t, c.Send("/m", wire.Int32(int32(i))))
					time.Sleep(time.Millisecond) // 1,000 a second from each sender
				}
			})
		}
		wg.Wait()
		// Wait for the handlers to catch up, then send /end until one
		// arrives: it carries the kernel's count of the drops before it.
		last := int64(-1)
		for n := handled.Load(); n != last; n = handled.Load() {
			last = n
			time.Sleep(100 * time.Millisecond)
		}
		c := dial(t, ep.URL())
		for try := 0; ; try++ {
			require.NoError(t, c.Send("/end"))
			select {
			case <-end:
			case <-time.After(time.Second):
				require.Less(t, try, 5, "no /end arrived")
				continue
			}
			break
		}
		require.NoError(t, s.Close())
		st := ep.Stats()
		t.Logf("Workers=%d: %d datagrams from %d senders to a 5 ms handler: %d dispatched, %d dropped by the kernel, %d by busy workers",
			workers, senders*each, senders, handled.Load(), st.KernelDrops, st.Dropped)
		if workers == 0 {
			require.Positive(t, st.KernelDrops, "one reader at 5 ms a message keeps up with 4,000 a second")
		}
		// Every datagram is accounted for: read (then dispatched, or
		// dropped by a busy worker), or dropped by the kernel. An /end
		// sent again may be counted once more.
		require.InDelta(t, float64(senders*each+1), float64(st.Packets+st.KernelDrops), 5, "%+v", st)
		require.Equal(t, st.Packets-st.Dropped, uint64(handled.Load())+uint64(len(end))+1, "%+v", st)
	}
}

// TestUnixSlowPeerStallsNoOne: a UNIX datagram peer that never reads its
// replies fills its queue; later replies to it are dropped and counted,
// never waited for, and another peer is served meanwhile.
func TestUnixSlowPeerStallsNoOne(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("replies that never wait need Linux (netio.UDPConfig.NoWait)")
	}
	probes := make(chan struct{}, 8)
	r := router.New()
	r.HandleFunc("/ask", func(w router.ResponseWriter, req *router.Request) {
		w.Encoder().Message("/answer").Blob(make([]byte, 1024)).End()
		_ = w.Flush()
	})
	r.HandleFunc("/probe", func(w router.ResponseWriter, req *router.Request) { probes <- struct{}{} })
	for _, workers := range []int{0, 4} {
		s := &osc.Server{Handler: r, Logger: quietLogger, Workers: workers}
		dir := t.TempDir()
		ep, err := s.Listen("osc.unix://"+filepath.Join(dir, "srv.sock"), nil)
		require.NoError(t, err)
		slow, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "slow.sock"), Net: "unixgram"})
		require.NoError(t, err)
		srv := &net.UnixAddr{Name: filepath.Join(dir, "srv.sock"), Net: "unixgram"}
		ask, _ := wire.AppendMessage(nil, "/ask")
		for range 200 {
			slow.SetWriteDeadline(time.Now().Add(2 * time.Second))
			_, err := slow.WriteToUnix(ask, srv)
			require.NoError(t, err, "workers=%d: the server stopped reading", workers)
		}
		fast := dial(t, ep.URL())
		for range 5 {
			require.NoError(t, fast.Send("/probe"))
			select {
			case <-probes:
			case <-time.After(3 * time.Second):
				t.Fatalf("workers=%d: a probe was not dispatched while a UNIX peer does not read (%+v)", workers, ep.Stats())
			}
		}
		require.Eventually(t, func() bool { return ep.Stats().ReplyDrops > 0 }, 5*time.Second, 5*time.Millisecond)
		t.Logf("workers=%d: %+v", workers, ep.Stats())
		slow.Close()
		require.NoError(t, s.Close())
	}
}
