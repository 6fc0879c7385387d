package oscquery_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/osckit/osc"
	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// wsServer serves h on a loopback port and closes its WebSocket clients
// at the end of the test.
func wsServer(t testing.TB, h *oscquery.Handler) string {
	t.Helper()
	base := oscquery.ServeHTTP(t, h)
	t.Cleanup(func() { _ = h.Close() })
	return base
}

func dial(t testing.TB, ctx context.Context, base string) *oscquery.Conn {
	t.Helper()
	c, err := oscquery.Dial(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitFor polls cond every millisecond for at most 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 5000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("after 5 s: %s", what)
}

// nextPacket returns the next OSC message the client receives, skipping
// notices.
func nextPacket(t testing.TB, ctx context.Context, c *oscquery.Conn) wire.Message {
	t.Helper()
	for range 1000 {
		ev, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if ev.Packet == nil {
			continue
		}
		m, err := wire.ParseMessage(ev.Packet)
		if err != nil {
			t.Fatalf("packet: %v", err)
		}
		return m.Clone()
	}
	t.Fatal("1000 notices and no packet")
	return wire.Message{}
}

func nextNotice(t testing.TB, ctx context.Context, c *oscquery.Conn) oscquery.Event {
	t.Helper()
	for range 1000 {
		ev, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if ev.Packet == nil {
			return ev
		}
	}
	t.Fatal("1000 packets and no notice")
	return oscquery.Event{}
}

// firstArg returns the first argument of m, or the zero Arg, of no type,
// if m has none.
func firstArg(m *wire.Message) wire.Arg {
	r := m.Args()
	r.Next()
	return r.Arg()
}

func float(t testing.TB, m wire.Message) float32 {
	t.Helper()
	if m.NumArgs() == 0 {
		t.Fatalf("%v: no argument", m)
	}
	v, ok := firstArg(&m).Float32()
	if !ok {
		t.Fatalf("%v: not a float", m)
	}
	return v
}

func msg(t testing.TB, addr string, args ...wire.Value) []byte {
	t.Helper()
	b, err := wire.AppendMessage(nil, addr, args...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWebSocketListen runs an OSC server on UDP and the OSCQuery handler
// with its WebSocket on one HTTP port: a message that arrives over UDP or
// from one WebSocket client reaches the clients that LISTEN to its path,
// never the client that sent it nor a client that did not LISTEN, and the
// router gets both.
func TestWebSocketListen(t *testing.T) {
	ns := oscquery.NewNamespace()
	for _, p := range []string{"/fader/1", "/fader/2"} {
		if err := ns.Add(p, oscquery.Node{Type: "f", Access: oscquery.AccessReadWrite}); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan float32, 64)
	var rt router.Router
	rt.HandleFunc("/fader/1", func(_ router.ResponseWriter, r *router.Request) {
		v, _ := firstArg(&r.Message).Float32()
		got <- v
	})
	h := ns.Handler(&rt)
	srv := &osc.Server{Handler: h}
	ep, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{Name: "faders", OSCIP: "127.0.0.1",
		OSCPort: int(netip.MustParseAddrPort(ep.Addr().String()).Port())})
	qh.OSC = h
	base := wsServer(t, qh)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	hi, err := oscquery.FetchHostInfo(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"LISTEN", "PATH_CHANGED", "PATH_ADDED", "PATH_REMOVED", "PATH_RENAMED"} {
		if !hi.Extensions[ext] {
			t.Errorf("HOST_INFO EXTENSIONS lacks %s: %v", ext, hi.Extensions)
		}
	}
	if hi.WSIP != "127.0.0.1" || "http://"+net.JoinHostPort(hi.WSIP, fmt.Sprint(hi.WSPort)) != base {
		t.Errorf("WS_IP:WS_PORT %s:%d, want the HTTP server's %s", hi.WSIP, hi.WSPort, base)
	}
	oscURL, err := hi.OSCURL(base)
	if err != nil || oscURL != ep.URL() {
		t.Fatalf("OSCURL %q, %v; want %q", oscURL, err, ep.URL())
	}
	udp, err := osc.Dial(oscURL)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()

	a, b, quiet := dial(t, ctx, base), dial(t, ctx, base), dial(t, ctx, base)
	for _, c := range []*oscquery.Conn{a, b} {
		if err := c.Listen(ctx, "/fader/1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := quiet.Listen(ctx, "/fader/2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 LISTENs", func() bool { return qh.Stats().Listens == 3 })

	// From UDP: both listeners.
	if err := udp.Send("/fader/1", wire.Float32(0.25)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*oscquery.Conn{a, b} {
		if m := nextPacket(t, ctx, c); m.AddressString() != "/fader/1" || float(t, m) != 0.25 {
			t.Fatalf("streamed %v", m)
		}
	}
	// From a: b only, then a UDP message that a gets first.
	if err := a.Send(ctx, msg(t, "/fader/1", wire.Float32(0.5))); err != nil {
		t.Fatal(err)
	}
	if m := nextPacket(t, ctx, b); float(t, m) != 0.5 {
		t.Fatalf("b got %v, want a's 0.5", m)
	}
	if err := udp.Send("/fader/1", wire.Float32(0.75)); err != nil {
		t.Fatal(err)
	}
	if m := nextPacket(t, ctx, a); float(t, m) != 0.75 {
		t.Fatalf("a got %v: its own message came back", m)
	}
	if m := nextPacket(t, ctx, b); float(t, m) != 0.75 {
		t.Fatalf("b got %v", m)
	}
	// The router serves UDP and the WebSocket on their own goroutines:
	// it gets the three values, not necessarily in the order sent.
	seen := map[float32]bool{}
	for range 3 {
		select {
		case v := <-got:
			seen[v] = true
		case <-ctx.Done():
			t.Fatalf("router got only %v", seen)
		}
	}
	for _, want := range []float32{0.25, 0.5, 0.75} {
		if !seen[want] {
			t.Fatalf("router got %v, not %v", seen, want)
		}
	}
	if vs, ok := ns.Value("/fader/1"); !ok || !vs[0].Equal(wire.Float32(0.75)) {
		t.Fatalf("VALUE %v", vs)
	}
	// A message to a pattern reaches the listener with the node's address.
	if err := udp.Send("/fader/{1,2}", wire.Float32(0.125)); err != nil {
		t.Fatal(err)
	}
	if m := nextPacket(t, ctx, quiet); m.AddressString() != "/fader/2" || float(t, m) != 0.125 {
		t.Fatalf("quiet got %v, want /fader/2 0.125", m)
	}
	// IGNORE: b no longer gets /fader/1.
	if err := b.Ignore(ctx, "/fader/1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "IGNORE", func() bool { return qh.Stats().Listens == 2 })
	_ = udp.Send("/fader/1", wire.Float32(1))
	_ = ns.SetValue("/fader/2", wire.Float32(2)) // SetValue streams too
	if m := nextPacket(t, ctx, quiet); m.AddressString() != "/fader/2" || float(t, m) != 2 {
		t.Fatalf("quiet got %v, want /fader/2 2", m)
	}
	// b got only the pattern's /fader/1? No: b listens to nothing now; the
	// pattern message went to a and b before IGNORE.
	if m := nextPacket(t, ctx, b); m.AddressString() != "/fader/1" || float(t, m) != 0.125 {
		t.Fatalf("b got %v, want the pattern's /fader/1 0.125", m)
	}
	bctx, bcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer bcancel()
	if ev, err := b.Next(bctx); err == nil {
		t.Fatalf("b got %+v after IGNORE", ev)
	}
	// Closing a client ends its LISTENs (b's timed-out Next closed b).
	_ = a.Close()
	waitFor(t, "a's and b's LISTENs gone", func() bool {
		st := qh.Stats()
		return st.Listens == 1 && st.Conns == 1
	})
}

// TestWebSocketAnswer: a packet a client sends is dispatched like one from
// UDP, bundles included, and the handler's answer goes back on the socket.
func TestWebSocketAnswer(t *testing.T) {
	ns := oscquery.NewNamespace()
	var rt router.Router
	rt.HandleFunc("/ping", func(w router.ResponseWriter, r *router.Request) {
		_ = w.Send("/pong", wire.Int32(int32(r.Message.NumArgs())))
	})
	rt.HandleFunc("/panic", func(router.ResponseWriter, *router.Request) { panic("handler") })
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{})
	qh.OSC = ns.Handler(&rt)
	base := wsServer(t, qh)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dial(t, ctx, base)
	if err := c.Send(ctx, msg(t, "/panic")); err != nil {
		t.Fatal(err)
	}
	var e wire.Encoder
	e.BeginBundle(wire.Immediately).Message("/ping").Int32(1).End().Message("/ping").End().EndBundle()
	bundle, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, bundle); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int32{1, 0} {
		m := nextPacket(t, ctx, c)
		if n, _ := firstArg(&m).Int32(); m.AddressString() != "/pong" || n != want {
			t.Fatalf("answer %v, want /pong %d", m, want)
		}
	}
	if st := qh.Stats(); st.Panics != 1 || st.Packets != 2 {
		t.Fatalf("stats %+v: want 1 panic, 2 packets", st)
	}
}

// TestWebSocketNotices: every change of the namespace reaches a client
// that has just connected (no window between the upgrade and the
// registration), LISTENs follow a rename.
func TestWebSocketNotices(t *testing.T) {
	ns := oscquery.NewNamespace()
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{})
	base := wsServer(t, qh)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 30 {
		c, err := oscquery.Dial(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		p := fmt.Sprintf("/new/%d/x", i)
		if err := ns.Add(p, oscquery.Node{Type: "i", Access: oscquery.AccessRead}); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("/new/%d", i)
		if i == 0 {
			want = "/new"
		}
		ev := nextNotice(t, ctx, c)
		if ev.Command != "PATH_ADDED" || ev.Path != want {
			t.Fatalf("round %d: notice %+v, want PATH_ADDED %s", i, ev, want)
		}
		_ = c.Close()
	}
	c := dial(t, ctx, base)
	if err := c.Listen(ctx, "/new/0/x"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "LISTEN", func() bool { return qh.Stats().Listens == 1 })
	steps := []struct {
		do   func() error
		want oscquery.Event
	}{
		{func() error { return ns.Add("/new/0/x", oscquery.Node{Type: "f", Access: oscquery.AccessRead}) },
			oscquery.Event{Command: "PATH_CHANGED", Path: "/new/0/x"}},
		{func() error { return ns.Rename("/new/0", "/moved/zero") },
			oscquery.Event{Command: "PATH_RENAMED", Path: "/moved/zero", OldPath: "/new/0"}},
		{func() error { return ns.SetValue("/moved/zero/x", wire.Float32(3)) }, oscquery.Event{}},
		{func() error {
			if !ns.Remove("/new/1") {
				return errors.New("Remove: no node")
			}
			return nil
		}, oscquery.Event{Command: "PATH_REMOVED", Path: "/new/1"}},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if s.want.Command == "" {
			m := nextPacket(t, ctx, c)
			if m.AddressString() != "/moved/zero/x" || float(t, m) != 3 {
				t.Fatalf("step %d: %v, want /moved/zero/x 3 (the LISTEN follows the rename)", i, m)
			}
			continue
		}
		if ev := nextNotice(t, ctx, c); ev.Command != s.want.Command || ev.Path != s.want.Path || ev.OldPath != s.want.OldPath {
			t.Fatalf("step %d: %+v, want %+v", i, ev, s.want)
		}
	}
	if n, ok := ns.Node("/moved/zero/x"); !ok || n.FullPath != "/moved/zero/x" {
		t.Fatalf("renamed node %+v", n)
	}
	if err := ns.Rename("/moved", "/moved/below"); err == nil {
		t.Fatal("Rename below itself accepted")
	}
	if err := ns.Rename("/nowhere", "/x"); !errors.Is(err, oscquery.ErrNotFound) {
		t.Fatalf("Rename of nothing: %v", err)
	}
}

// rawWS opens a WebSocket to base without the client's checks.
func rawWS(t testing.TB, ctx context.Context, base string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctx, strings.Replace(base, "http://", "ws://", 1)+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// TestWebSocketHostile: malformed commands, thousands of LISTENs, an
// oversize message, too many clients and a client that never reads are
// refused or cut off and counted, while the other clients and the OSC
// endpoint keep being served.
func TestWebSocketHostile(t *testing.T) {
	ns := oscquery.NewNamespace()
	if err := ns.Add("/v", oscquery.Node{Type: "b", Access: oscquery.AccessRead}); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		_ = ns.Add(fmt.Sprintf("/n/%d", i), oscquery.Node{Type: "i", Access: oscquery.AccessRead})
	}
	h := ns.Handler(nil)
	srv := &osc.Server{Handler: h}
	ep, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{})
	qh.OSC = h
	qh.MaxConns, qh.MaxListens, qh.MaxFrame = 4, 20, 1024
	qh.SendQueue, qh.WriteTimeout = 64<<10, 300*time.Millisecond
	base := wsServer(t, qh)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	t.Run("malformed commands", func(t *testing.T) {
		c := rawWS(t, ctx, base)
		before := qh.Stats().Malformed
		bad := []string{`{`, `[]`, `"LISTEN"`, `{"COMMAND":"LISTEN"}`, `{"COMMAND":"LISTEN","DATA":7}`,
			`{"COMMAND":"LISTEN","DATA":"no/slash"}`, `{"COMMAND":"EXPLODE","DATA":"/v"}`, `{"DATA":"/v"}`,
			`{"COMMAND":"LISTEN","DATA":"/v"} trailing`, strings.Repeat(`[`, 1000), "\xff\xfe"}
		for _, s := range bad {
			if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Write(ctx, websocket.MessageBinary, []byte("not OSC")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "malformed counted", func() bool { return qh.Stats().Malformed-before == uint64(len(bad))+1 })
		// Still served: a good LISTEN works.
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"COMMAND":"LISTEN","DATA":"/v"}`)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "LISTEN after garbage", func() bool { return qh.Stats().Listens == 1 })
		_ = c.Close(websocket.StatusNormalClosure, "")
		waitFor(t, "client gone", func() bool { return qh.Stats().Listens == 0 })
	})

	t.Run("thousands of LISTENs", func(t *testing.T) {
		c := rawWS(t, ctx, base)
		before := qh.Stats().ListensRefused
		for i := range 5000 {
			p := fmt.Sprintf("/n/%d", i%60) // 10 of 60 do not exist
			if err := c.Write(ctx, websocket.MessageText, []byte(`{"COMMAND":"LISTEN","DATA":"`+p+`"}`)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "5000 commands", func() bool {
			st := qh.Stats()
			return st.Listens == 20 && st.ListensRefused-before == 5000-20
		})
		_ = c.Close(websocket.StatusNormalClosure, "")
		waitFor(t, "client gone", func() bool { return qh.Stats().Listens == 0 })
	})

	t.Run("oversize message", func(t *testing.T) {
		c := rawWS(t, ctx, base)
		before := qh.Stats().Malformed
		_ = c.Write(ctx, websocket.MessageBinary, make([]byte, 4096))
		_, _, err := c.Read(ctx)
		if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
			t.Fatalf("read after an oversize message: %v, want close 1009", err)
		}
		waitFor(t, "oversize message counted", func() bool { return qh.Stats().Malformed == before+1 })
	})

	t.Run("too many clients", func(t *testing.T) {
		waitFor(t, "no clients", func() bool { return qh.Stats().Conns == 0 })
		for range 4 {
			rawWS(t, ctx, base)
		}
		_, resp, err := websocket.Dial(ctx, strings.Replace(base, "http://", "ws://", 1)+"/", nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("fifth client: %v, %v: want 503", resp, err)
		}
		if qh.Stats().ConnsRefused != 1 {
			t.Fatalf("ConnsRefused %d", qh.Stats().ConnsRefused)
		}
	})

	t.Run("web page of another origin", func(t *testing.T) {
		waitFor(t, "no clients", func() bool { return qh.Stats().Conns == 0 })
		u := strings.Replace(base, "http://", "ws://", 1) + "/"
		_, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example"}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("foreign origin: %v, %v: want 403", resp, err)
		}
		c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {base}}})
		if err != nil {
			t.Fatalf("the server's own origin: %v", err)
		}
		_ = c.CloseNow()
	})

	t.Run("slow client", func(t *testing.T) {
		// The previous subtests' clients are gone when the cleanup runs:
		// wait for it.
		waitFor(t, "no clients", func() bool { return qh.Stats().Conns == 0 })
		slow := rawWS(t, ctx, base) // never reads
		if err := slow.Write(ctx, websocket.MessageText, []byte(`{"COMMAND":"LISTEN","DATA":"/v"}`)); err != nil {
			t.Fatal(err)
		}
		fast := dial(t, ctx, base)
		if err := fast.Listen(ctx, "/v"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "2 LISTENs", func() bool { return qh.Stats().Listens == 2 })
		var wg sync.WaitGroup
		wg.Add(1)
		var last int
		go func() {
			defer wg.Done()
			for {
				ev, err := fast.Next(ctx)
				if err != nil {
					return
				}
				if len(ev.Packet) > 0 {
					m, _ := wire.ParseMessage(ev.Packet)
					if b, ok := firstArg(&m).Blob(); ok && len(b) > 0 {
						last = int(b[0])
						if last == 255 {
							return
						}
					}
				}
			}
		}()
		// 32 MiB for the slow client, more than loopback's socket buffers
		// hold, paced so that the fast client keeps up.
		blob := make([]byte, 16<<10)
		for i := range 2000 {
			blob[0] = byte(i % 250)
			_ = ns.SetValue("/v", wire.Blob(append([]byte(nil), blob...)))
			if i%4 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		time.Sleep(100 * time.Millisecond)
		blob[0] = 255
		start := time.Now()
		_ = ns.SetValue("/v", wire.Blob(blob))
		wg.Wait()
		if last != 255 {
			t.Fatalf("the fast client's last value %d, want 255", last)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the fast client got the last value after %v", d)
		}
		waitFor(t, "slow client cut off", func() bool { return qh.Stats().SlowClients >= 1 && qh.Stats().Conns == 1 })
		if qh.Stats().Dropped == 0 {
			t.Fatal("nothing dropped for the slow client")
		}
	})

	// After all that, the OSC endpoint still serves: a UDP message sets
	// the value.
	c, err := osc.Dial(ep.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Send("/n/3", wire.Int32(33)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the UDP message observed", func() bool {
		vs, ok := ns.Value("/n/3")
		return ok && vs[0].Equal(wire.Int32(33))
	})
}

// TestWebSocketNoticesMerged: when a client's queue cannot take a notice,
// the notices waiting become one PATH_CHANGED of the root, counted, and
// the client stays connected; it reads every notice queued before, then
// that one, and nothing after it until it has been sent.
func TestWebSocketNoticesMerged(t *testing.T) {
	ns := oscquery.NewNamespace()
	if err := ns.Add("/v", oscquery.Node{Type: "i", Access: oscquery.AccessRead}); err != nil {
		t.Fatal(err)
	}
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{})
	qh.SendQueue = 256
	qh.WriteTimeout = time.Minute // the client reads only at the end: not a slow client here
	base := wsServer(t, qh)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := rawWS(t, ctx, base)
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"COMMAND":"LISTEN","DATA":"/v"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "LISTEN", func() bool { return qh.Stats().Listens == 1 })
	for i := range 20000 {
		_ = ns.SetValue("/v", wire.Int32(int32(i)))
		if err := ns.Add(fmt.Sprintf("/n%d", i), oscquery.Node{}); err != nil {
			t.Fatal(err)
		}
	}
	st := qh.Stats()
	if st.NoticesMerged == 0 || st.SlowClients != 0 || st.Conns != 1 {
		t.Fatalf("after 20,000 notices: %+v", st)
	}
	// Read until the root's PATH_CHANGED: PATH_ADDED in order before it.
	next := 0
	for range 100000 {
		typ, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if typ == websocket.MessageBinary {
			continue
		}
		if string(b) == `{"COMMAND":"PATH_CHANGED","DATA":"/"}` {
			t.Logf("%d notices sent one by one, %d merged", next, st.NoticesMerged)
			return
		}
		want := fmt.Sprintf(`{"COMMAND":"PATH_ADDED","DATA":"/n%d"}`, next)
		if string(b) != want {
			t.Fatalf("notice %s, want %s", b, want)
		}
		next++
	}
	t.Fatal("no PATH_CHANGED of the root")
}

// TestOSCURL: the OSC server's URL from HOST_INFO, with the HTTP host
// standing for a missing OSC_IP.
func TestOSCURL(t *testing.T) {
	for _, tc := range []struct {
		hi   oscquery.HostInfo
		want string
	}{
		{oscquery.HostInfo{OSCIP: "10.0.0.2", OSCPort: 9000}, "osc.udp://10.0.0.2:9000"},
		{oscquery.HostInfo{OSCPort: 9000, OSCTransport: "UDP"}, "osc.udp://192.168.1.5:9000"},
		{oscquery.HostInfo{OSCIP: "::1", OSCPort: 9001, OSCTransport: "TCP"}, "osc.tcp://[::1]:9001"},
		{oscquery.HostInfo{OSCIP: "10.0.0.2"}, ""},
		{oscquery.HostInfo{OSCPort: 70000}, ""},
		{oscquery.HostInfo{OSCPort: 9000, OSCTransport: "SCTP"}, ""},
	} {
		got, err := tc.hi.OSCURL("http://192.168.1.5:8080/x")
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("%+v: %q, %v; want %q", tc.hi, got, err, tc.want)
		}
	}
}

// TestServe: Handler.Serve answers HTTP and WebSocket until its context
// ends, then closes the WebSocket clients and returns nil.
func TestServe(t *testing.T) {
	ns := oscquery.NewNamespace()
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{Name: "served"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- qh.Serve(sctx, ln) }()
	base := "http://" + ln.Addr().String()
	if hi, err := oscquery.FetchHostInfo(ctx, base); err != nil || hi.Name != "served" {
		t.Fatalf("HOST_INFO %+v, %v", hi, err)
	}
	c := dial(t, ctx, base)
	t0 := time.Now()
	stop() // c is not reading: its close handshake cannot finish
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if d := time.Since(t0); d > 4500*time.Millisecond {
			t.Errorf("Serve returned %v after its context ended, want about 1 s (at most 2 s of HTTP shutdown, 1 s of close handshake)", d)
		}
	case <-ctx.Done():
		t.Fatal("Serve did not return")
	}
	if _, err := c.Next(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("client after Serve: %v, want close 1001", err)
	}
	if _, err := oscquery.FetchHostInfo(ctx, base); err == nil {
		t.Fatal("HTTP still served")
	}
}

// TestWebSocketNoticeFlood: a node whose TYPE changes 300,000 times
// (as a learning server's does when a peer alternates types) queues one
// PATH_CHANGED at a time for a client that does not keep up, which then
// stays connected.
func TestWebSocketNoticeFlood(t *testing.T) {
	ns := oscquery.NewNamespace()
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{})
	qh.SendQueue = 1024
	qh.WriteTimeout = time.Minute // the client reads only at the end: not a slow client here
	base := wsServer(t, qh)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := rawWS(t, ctx, base)
	if err := ns.Add("/flap", oscquery.Node{Type: "i"}); err != nil {
		t.Fatal(err)
	}
	for i := range 300000 {
		typ := "i"
		if i%2 == 1 {
			typ = "f"
		}
		if err := ns.Add("/flap", oscquery.Node{Type: typ}); err != nil {
			t.Fatal(err)
		}
	}
	if st := qh.Stats(); st.SlowClients != 0 || st.Conns != 1 {
		t.Fatalf("after 300,000 changes: %+v", st)
	}
	// The client reads what was sent: PATH_ADDED, then PATH_CHANGED.
	_, b, err := c.Read(ctx)
	if err != nil || string(b) != `{"COMMAND":"PATH_ADDED","DATA":"/flap"}` {
		t.Fatalf("first notice %s, %v", b, err)
	}
	t.Logf("notices queued: %d of 300,001 changes", qh.Stats().Notices)
}

// TestWebSocketListenRemoved: the LISTENs of removed nodes end: they are
// no longer counted, nor held against the client's MaxListens.
func TestWebSocketListenRemoved(t *testing.T) {
	ns := oscquery.NewNamespace()
	for _, p := range []string{"/a/b", "/c"} {
		if err := ns.Add(p, oscquery.Node{Type: "i", Access: oscquery.AccessRead}); err != nil {
			t.Fatal(err)
		}
	}
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{})
	qh.MaxListens = 1
	base := wsServer(t, qh)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dial(t, ctx, base)
	if err := c.Listen(ctx, "/a/b"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "LISTEN", func() bool { return qh.Stats().Listens == 1 })
	ns.Remove("/a")
	if n := qh.Stats().Listens; n != 0 {
		t.Fatalf("%d LISTENs after the node's removal", n)
	}
	if err := c.Listen(ctx, "/c"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "LISTEN of /c", func() bool { return qh.Stats().Listens == 1 })
	if st := qh.Stats(); st.ListensRefused != 0 {
		t.Fatalf("%+v: the removed node's LISTEN held the client's only place", st)
	}
	_ = ns.SetValue("/c", wire.Int32(5))
	for range 10 {
		ev, err := c.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Packet != nil {
			return
		}
	}
	t.Fatal("no value for /c")
}
