package osc_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
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

// quietLogger discards the reports of malformed packets and panics that
// some tests provoke on purpose.
var quietLogger = slog.New(slog.DiscardHandler)

// got is what a recording handler saw of one message.
type got struct {
	addr string
	vals []any // plain values (wire.Message.AnyArgs)
	tt   wire.Timetag
	at   time.Time
	from netip.AddrPort
}

// recorder returns a router whose every message lands on ch, and which
// answers /ping with /pong carrying the same arguments.
func recorder(t *testing.T, ch chan got) *router.Router {
	t.Helper()
	r := router.New()
	r.NotFound(router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
		select {
		case ch <- got{addr: req.Message.AddressString(), vals: req.Message.AnyArgs(), tt: req.Timetag, at: time.Now(), from: req.Remote}:
		default:
			t.Errorf("recorder channel full")
		}
	}))
	r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
		e := w.Encoder().Message("/pong")
		it := req.Message.Args()
		for it.Next() {
			e.Arg(it.Arg())
		}
		e.End()
		if err := w.Flush(); err != nil {
			t.Errorf("reply: %v", err)
		}
	})
	return r
}

func recv(t *testing.T, ch chan got) got {
	t.Helper()
	select {
	case g := <-ch:
		return g
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5 s")
	}
	return got{}
}

// within waits up to d for a value on ch and fails t, naming what it
// waited for, if none comes.
func within[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing within %v", what, d)
	}
	var zero T
	return zero
}

func newServer(t *testing.T, h router.Handler) *osc.Server {
	t.Helper()
	s := &osc.Server{Handler: h, Logger: quietLogger}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, s.Shutdown(ctx))
	})
	return s
}

func dial(t *testing.T, url string) *osc.Client {
	t.Helper()
	c, err := osc.Dial(url)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// listen opens an endpoint of s at url, served by the server's handler.
func listen(t *testing.T, s *osc.Server, url string) *osc.Endpoint {
	t.Helper()
	ep, err := s.Listen(url, nil)
	require.NoError(t, err)
	return ep
}

// dialRaw opens a plain TCP connection to ep, closed when the test ends.
func dialRaw(t *testing.T, ep *osc.Endpoint) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", ep.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// roundTrip sends a message and a ping through c and checks both the
// delivery and the reply.
func roundTrip(t *testing.T, c *osc.Client, ch chan got) {
	t.Helper()
	require.NoError(t, c.Send("/synth/1/freq", wire.Int32(440), wire.Float32(0.5), wire.String("hello"), wire.Blob([]byte{1, 2, 3})))
	g := recv(t, ch)
	require.Equal(t, "/synth/1/freq", g.addr)
	require.Equal(t, []any{int32(440), float32(0.5), "hello", []byte{1, 2, 3}}, g.vals)

	require.NoError(t, c.Send("/ping", wire.Int64(-7), wire.String("x")))
	pkt, err := c.Receive(ctxTimeout(t, 5*time.Second))
	require.NoError(t, err)
	m, err := wire.ParseMessage(pkt)
	require.NoError(t, err)
	require.Equal(t, "/pong", m.AddressString())
	require.Equal(t, []any{int64(-7), "x"}, m.AnyArgs())
}

func TestUDP(t *testing.T) {
	for _, tc := range []struct{ name, listen string }{
		{"v4", "osc.udp://127.0.0.1:0"},
		{"v6", "osc.udp://[::1]:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := make(chan got, 16)
			s := newServer(t, recorder(t, ch))
			ep := listen(t, s, tc.listen)
			c := dial(t, "osc.udp://"+ep.Addr().String())
			roundTrip(t, c, ch)
			st := ep.Stats()
			require.Equal(t, uint64(2), st.Packets)
			require.Zero(t, st.Malformed)
		})
	}
}

func TestTCPFramings(t *testing.T) {
	for _, tc := range []struct{ name, listen, dial string }{
		{"auto-slip", "osc.tcp://127.0.0.1:0", "osc.tcp+slip://"},
		{"auto-size", "osc.tcp://127.0.0.1:0", "osc.tcp+size://"},
		{"slip", "osc.tcp+slip://127.0.0.1:0", "osc.tcp+slip://"},
		{"size", "osc.tcp+size://127.0.0.1:0", "osc.tcp+size://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := make(chan got, 16)
			s := newServer(t, recorder(t, ch))
			ep := listen(t, s, tc.listen)
			c := dial(t, tc.dial+ep.Addr().String())
			roundTrip(t, c, ch)
		})
	}
}

func TestReplyToOtherPort(t *testing.T) {
	other, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer other.Close()
	port := other.LocalAddr().(*net.UDPAddr).AddrPort().Port()

	r := router.New()
	r.HandleFunc("/answer", func(w router.ResponseWriter, req *router.Request) {
		pkt, _ := wire.AppendMessage(nil, "/answered", wire.Int32(1))
		_, err := w.WriteTo(pkt, netip.AddrPortFrom(req.Remote.Addr(), port))
		if err != nil {
			t.Errorf("WriteTo: %v", err)
		}
	})
	s := newServer(t, r)
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	require.NoError(t, c.Send("/answer"))
	require.NoError(t, other.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 1500)
	n, from, err := other.ReadFromUDPAddrPort(buf)
	require.NoError(t, err)
	require.Equal(t, ep.Addr().(*net.UDPAddr).AddrPort().Port(), from.Port(), "answer must come from the server's socket")
	m, err := wire.ParseMessage(buf[:n])
	require.NoError(t, err)
	require.Equal(t, "/answered", m.AddressString())
}

func TestSeveralEndpointsCloseOne(t *testing.T) {
	ch := make(chan got, 64)
	s := newServer(t, recorder(t, ch))
	a, err := s.ListenDefault("osc.udp://127.0.0.1:0", nil)
	require.NoError(t, err)
	b := listen(t, s, "osc.tcp://127.0.0.1:0")
	d := listen(t, s, "osc.udp://[::1]:0")
	require.Len(t, s.Endpoints(), 3)
	require.Equal(t, a, s.Default())

	ca := dial(t, "osc.udp://"+a.Addr().String())
	cb := dial(t, "osc.tcp://"+b.Addr().String())
	cd := dial(t, "osc.udp://"+d.Addr().String())
	for _, c := range []*osc.Client{ca, cb, cd} {
		require.NoError(t, c.Send("/hello"))
		require.Equal(t, "/hello", recv(t, ch).addr)
	}

	require.NoError(t, a.Close())
	require.Len(t, s.Endpoints(), 2)
	require.Nil(t, s.Default(), "no other endpoint becomes the default")
	// The closed socket no longer answers: a send may succeed locally but
	// nothing arrives, while the other endpoints keep serving.
	_ = ca.Send("/dead")
	for _, c := range []*osc.Client{cb, cd} {
		require.NoError(t, c.Send("/alive"))
		require.Equal(t, "/alive", recv(t, ch).addr)
	}
	select {
	case g := <-ch:
		t.Fatalf("closed endpoint delivered %q", g.addr)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestShutdownWaitsForSlowHandler(t *testing.T) {
	started := make(chan struct{})
	var finished atomic.Bool
	r := router.New()
	r.HandleFunc("/slow", func(w router.ResponseWriter, req *router.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		finished.Store(true)
	})
	s := &osc.Server{Handler: r, Logger: quietLogger}
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	require.NoError(t, c.Send("/slow"))
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not start")
	}
	require.NoError(t, s.Shutdown(ctxTimeout(t, 5*time.Second)))
	require.True(t, finished.Load(), "Shutdown returned before the handler finished")

	_, err := s.Listen("127.0.0.1:0", nil)
	require.ErrorIs(t, err, osc.ErrServerClosed)
}

func TestShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // also when the test fails early
	started := make(chan struct{})
	r := router.New()
	r.HandleFunc("/stuck", func(w router.ResponseWriter, req *router.Request) {
		close(started)
		<-release
	})
	s := &osc.Server{Handler: r, Logger: quietLogger}
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	require.NoError(t, c.Send("/stuck"))
	within(t, started, 5*time.Second, "the /stuck handler starting")
	err := s.Shutdown(ctxTimeout(t, 100*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestMalformedFloodThenGood(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "127.0.0.1:0")
	conn, err := net.DialUDP("udp4", nil, ep.Addr().(*net.UDPAddr))
	require.NoError(t, err)
	defer conn.Close()
	bad := [][]byte{
		{},
		[]byte("/a\x00"),
		[]byte("/a\x00\x00,b\x00\x00\x7f\xff\xff\xff"),
		[]byte("#bundle\x00\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfc"),
		[]byte("garbage!"),
	}
	for i := range 1000 {
		_, err := conn.Write(bad[i%len(bad)])
		require.NoError(t, err)
		if i%100 == 99 {
			time.Sleep(time.Millisecond) // stay within the socket buffer
		}
	}
	good, _ := wire.AppendMessage(nil, "/good", wire.Int32(1))
	_, err = conn.Write(good)
	require.NoError(t, err)
	require.Equal(t, "/good", recv(t, ch).addr)
	// Every datagram that arrived but /good was counted malformed (a
	// loaded machine may lose some: the count is not assumed).
	st := ep.Stats()
	require.Equal(t, st.Packets-1, st.Malformed, "%+v", st)
	require.Positive(t, st.Malformed)
}

func TestHandlerPanicRecovered(t *testing.T) {
	ch := make(chan got, 4)
	var calls atomic.Int32
	h := router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
		if req.Message.AddressString() == "/boom" {
			calls.Add(1)
			panic("boom")
		}
		ch <- got{addr: req.Message.AddressString()}
	})
	s := newServer(t, h)
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	require.NoError(t, c.Send("/boom"))
	require.NoError(t, c.Send("/after"))
	require.Equal(t, "/after", recv(t, ch).addr)
	require.Equal(t, int32(1), calls.Load())
	require.Equal(t, uint64(1), ep.Stats().Panics)
}

func TestTCPHugeLengthPrefix(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "osc.tcp://127.0.0.1:0")
	conn := dialRaw(t, ep)
	// A 2 GiB length prefix: the connection is closed, nothing allocated.
	_, err := conn.Write([]byte{0x7f, 0xff, 0xff, 0xfc, '/', 'a', 0, 0})
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Read(make([]byte, 16))
	require.Error(t, err, "the server must close the connection")
	require.NotErrorIs(t, err, context.DeadlineExceeded)

	// The endpoint still serves other connections.
	c := dial(t, "osc.tcp+size://"+ep.Addr().String())
	require.NoError(t, c.Send("/still"))
	require.Equal(t, "/still", recv(t, ch).addr)
	require.Equal(t, uint64(1), ep.Stats().Malformed)
}

// TestTCPFrameErrorOffset: Invalid gets a *osc.FrameError whose offset is
// where the bad frame starts in the stream, after a good one.
func TestTCPFrameErrorOffset(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	invalid := make(chan error, 4)
	s.Invalid = func(_ *osc.Packet, err error) { invalid <- err }
	ep := listen(t, s, "osc.tcp+size://127.0.0.1:0")
	conn := dialRaw(t, ep)
	good := sizeFrame(t, "/ok")
	_, err := conn.Write(append(good, 0x7f, 0xff, 0xff, 0xfc, '/', 'a', 0, 0))
	require.NoError(t, err)
	require.Equal(t, "/ok", recv(t, ch).addr)
	var fe *osc.FrameError
	require.ErrorAs(t, within(t, invalid, 5*time.Second, "Invalid hook"), &fe)
	require.Equal(t, int64(len(good)), fe.Offset)
	require.False(t, fe.Recoverable, "a bad size prefix leaves the stream out of step")
	require.Contains(t, fe.Error(), "at offset 12") // 4-byte prefix, "/ok", ","
}

func TestTCPDisconnectMidFrame(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "osc.tcp://127.0.0.1:0")
	for _, partial := range [][]byte{
		{0, 0, 0, 12, '/', 'a'},     // size prefix, 2 of 12 bytes
		{0xc0, '/', 'a', 0, 0, ','}, // SLIP frame never ended
	} {
		conn, err := net.Dial("tcp", ep.Addr().String())
		require.NoError(t, err)
		_, err = conn.Write(partial)
		require.NoError(t, err)
		require.NoError(t, conn.Close())
	}
	c := dial(t, "osc.tcp://"+ep.Addr().String())
	require.NoError(t, c.Send("/ok"))
	require.Equal(t, "/ok", recv(t, ch).addr)
	require.Eventually(t, func() bool { return ep.Stats().Malformed == 2 }, 5*time.Second, 10*time.Millisecond)
}

func TestTCPStalledFrameClosed(t *testing.T) {
	s := newServer(t, router.New())
	s.FrameTimeout = 50 * time.Millisecond
	ep := listen(t, s, "osc.tcp://127.0.0.1:0")
	conn := dialRaw(t, ep)
	_, err := conn.Write([]byte{0, 0, 0, 12, '/'})
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	start := time.Now()
	_, err = conn.Read(make([]byte, 4))
	require.Error(t, err)
	require.Less(t, time.Since(start), 4*time.Second, "stalled connection not closed")
}

func TestFutureBundleWaits(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	// Far enough ahead that a loaded machine (or the race detector) does
	// not delay /now past it.
	due := time.Now().Add(500 * time.Millisecond)
	require.NoError(t, c.SendAt(due, "/later", wire.Int32(1)))
	require.NoError(t, c.Send("/now"))
	first := recv(t, ch)
	require.Equal(t, "/now", first.addr, "an immediate message must not wait behind a future bundle")
	later := recv(t, ch)
	require.Equal(t, "/later", later.addr)
	require.False(t, later.at.Before(due), "delivered %v before its time", due.Sub(later.at))
	require.Equal(t, wire.TimetagOf(due), later.tt)
}

func TestWorkersKeepPerSenderOrder(t *testing.T) {
	const senders, each = 4, 200
	var mu sync.Mutex
	seen := map[netip.AddrPort][]int32{}
	done := make(chan struct{}, senders*each)
	h := router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
		var argv [1]wire.Arg
		args := req.Message.AppendArgs(argv[:0])
		if len(args) != 1 {
			t.Errorf("%d arguments, want 1", len(args))
			return
		}
		v, _ := args[0].Int32()
		mu.Lock()
		seen[req.Remote] = append(seen[req.Remote], v)
		mu.Unlock()
		done <- struct{}{}
	})
	s := newServer(t, h)
	s.Workers = 3
	ep := listen(t, s, "127.0.0.1:0")
	var wg sync.WaitGroup
	for range senders {
		c := dial(t, ep.Addr().String())
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := c.Send("/seq", wire.Int32(int32(i))); err != nil {
					t.Errorf("send: %v", err)
					return
				}
				if i%50 == 49 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	// A loaded machine may lose datagrams: wait for all, or for the
	// deliveries to stop, then check each sender's order, not the count.
	got, quiet := 0, time.NewTimer(2*time.Second)
	for got < senders*each {
		select {
		case <-done:
			got++
			quiet.Reset(2 * time.Second)
		case <-quiet.C:
			t.Logf("%d of %d datagrams dispatched (stats %+v)", got, senders*each, ep.Stats())
			got = senders * each
		}
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, senders)
	total := 0
	for from, vs := range seen {
		total += len(vs)
		for i := 1; i < len(vs); i++ {
			require.Less(t, vs[i-1], vs[i], "sender %v out of order", from)
		}
	}
	require.Greater(t, total, senders*each/2, "most datagrams dispatched")
}

func TestInbox(t *testing.T) {
	in := osc.NewInbox(16)
	s := newServer(t, in)
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	for i := range 3 {
		require.NoError(t, c.Send("/n", wire.Int32(int32(i))))
	}
	ctx := ctxTimeout(t, 5*time.Second)
	n := int32(0)
	for req := range in.All(ctx) {
		require.Equal(t, []any{n}, req.Message.AnyArgs())
		if n++; n == 3 {
			break
		}
	}
	require.Equal(t, int32(3), n)
	for req := range in.All(ctxTimeout(t, 10*time.Millisecond)) {
		t.Fatalf("a fourth message: %v", req.Message.String())
	}
}

func TestConcurrentSendAndClose(t *testing.T) {
	ch := make(chan got, 1024)
	h := router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
		select {
		case ch <- got{addr: req.Message.AddressString()}:
		default:
		}
		w.Write(req.Message.Bytes())
	})
	s := &osc.Server{Handler: h, Logger: quietLogger}
	ep := listen(t, s, "127.0.0.1:0")
	tcp := listen(t, s, "osc.tcp://127.0.0.1:0")
	var wg sync.WaitGroup
	for _, url := range []string{ep.Addr().String(), "osc.tcp://" + tcp.Addr().String()} {
		c, err := osc.Dial(url)
		require.NoError(t, err)
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 500 {
					if c.Send("/x", wire.Int32(int32(i))) != nil {
						return
					}
				}
			}()
		}
		defer c.Close()
	}
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, s.Shutdown(ctxTimeout(t, 5*time.Second)))
	wg.Wait()
}

func TestBundleAtomicAndTimetag(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	require.NoError(t, c.SendBundle(wire.Immediately, func(e *wire.Encoder) {
		e.Message("/a").Int32(1).End()
		e.Message("/b").Int32(2).End()
	}))
	require.Equal(t, "/a", recv(t, ch).addr)
	g := recv(t, ch)
	require.Equal(t, "/b", g.addr)
	require.LessOrEqual(t, g.tt, wire.Immediately)

	// A bundle with a malformed element is dropped whole.
	var e wire.Encoder
	e.BeginBundle(wire.Immediately).Message("/first").End()
	pkt, _ := e.EndBundle().Bytes()
	pkt = append(bytes.Clone(pkt), 0, 0, 0, 8, '/', 'z', 0, 0)
	pkt = binary.BigEndian.AppendUint32(pkt, 0x2c690000) // ",i" with no data
	_, err := c.Write(pkt)
	require.NoError(t, err)
	require.NoError(t, c.Send("/next"))
	require.Equal(t, "/next", recv(t, ch).addr)
}

func TestUnixDatagram(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	path := filepath.Join(t.TempDir(), "osc.sock")
	ep := listen(t, s, "osc.unix://"+path)
	require.Equal(t, path, ep.Addr().String())

	c := dial(t, "osc.unix://"+path)
	roundTrip(t, c, ch)

	// A second listener on a live socket path is refused.
	_, err := s.Listen("osc.unix://"+path, nil)
	require.Error(t, err)

	require.NoError(t, ep.Close())
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "socket file left behind: %v", err)
}

func TestServeSeveralTransportsAtOnce(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	udp := listen(t, s, "osc.udp://127.0.0.1:0")
	tcp := listen(t, s, "osc.tcp://127.0.0.1:0")
	path := filepath.Join(t.TempDir(), "s.sock")
	listen(t, s, "osc.unix://"+path)
	for _, url := range []string{"osc.udp://" + udp.Addr().String(), "osc.tcp://" + tcp.Addr().String(), "osc.unix://" + path} {
		c := dial(t, url)
		roundTrip(t, c, ch)
	}
	require.Equal(t, uint64(6), s.Stats().Packets)
}

func TestMulticastLoopback(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	s.UDP.MulticastInterface = "lo"
	ep, err := s.Listen("osc.udp://239.77.0.1:0", nil)
	require.NoError(t, err, "joining a multicast group on lo")
	port := ep.Addr().(*net.UDPAddr).AddrPort().Port()

	sender, err := netio.ListenUDP("udp4", "127.0.0.1:0", netio.UDPConfig{MulticastInterface: "lo", ReadBuffer: -1})
	require.NoError(t, err)
	defer sender.Close()
	pkt, _ := wire.AppendMessage(nil, "/group", wire.Int32(7))
	_, err = sender.WriteTo(pkt, netip.AddrPortFrom(netip.MustParseAddr("239.77.0.1"), port))
	require.NoError(t, err)
	g := recv(t, ch)
	require.Equal(t, "/group", g.addr)
	require.Equal(t, []any{int32(7)}, g.vals)
}

// TestUDPWildcardReply listens on wildcard addresses and has clients send
// to different addresses of the host; each answer must leave from the
// address its client used, or the client's connected socket drops it.
func TestUDPWildcardReply(t *testing.T) {
	r := router.New()
	r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
		w.Encoder().Message("/pong").String(req.Remote.Addr().String()).End()
		if err := w.Flush(); err != nil {
			t.Errorf("reply: %v", err)
		}
	})
	s := newServer(t, r)
	for _, tc := range []struct {
		bind  string
		peers []string
	}{
		{"osc.udp://0.0.0.0:0", []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}},
		{"osc.udp://[::]:0", []string{"127.0.0.2", "::1"}},
	} {
		ep := listen(t, s, tc.bind)
		port := ep.Addr().(*net.UDPAddr).Port
		for _, peer := range tc.peers {
			c := dial(t, net.JoinHostPort(peer, strconv.Itoa(port)))
			require.NoError(t, c.Send("/ping"))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			pkt, err := c.Receive(ctx)
			cancel()
			require.NoError(t, err, "%s: no answer for a client of %s", tc.bind, peer)
			m, err := wire.ParseMessage(pkt)
			require.NoError(t, err)
			require.Equal(t, "/pong", m.AddressString())
		}
	}
}

// TestDropLateTolerance: with DropLate, a bundle later than Tolerance is
// dropped and counted, one within it is dispatched late.
func TestDropLateTolerance(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	s.Schedule = osc.ScheduleConfig{Late: osc.DropLate, Tolerance: 5 * time.Second}
	ep := listen(t, s, "osc.udp://127.0.0.1:0")
	c := dial(t, ep.URL())
	for _, m := range []struct {
		addr string
		ago  time.Duration
	}{{"/dropped", time.Minute}, {"/within", time.Second}} {
		require.NoError(t, c.SendBundle(wire.TimetagOf(time.Now().Add(-m.ago)), func(e *wire.Encoder) {
			e.Message(m.addr).End()
		}))
	}
	require.NoError(t, c.Send("/now"))
	require.Equal(t, "/within", recv(t, ch).addr)
	require.Equal(t, "/now", recv(t, ch).addr)
	st := ep.Stats()
	require.Equal(t, uint64(2), st.Late)
	require.Equal(t, uint64(1), st.Dropped)
}
