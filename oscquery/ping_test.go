package oscquery_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/wire"
)

// pingSetup serves a namespace with /fader on UDP and on an OSCQuery
// handler that pings every interval. It returns the handler, its base URL
// and a UDP client of the OSC server.
func pingSetup(t *testing.T, interval time.Duration) (*oscquery.Handler, string, *osc.Client) {
	t.Helper()
	ns := oscquery.NewNamespace()
	if err := ns.Add("/fader", oscquery.Node{Type: "f", Access: oscquery.AccessReadWrite}); err != nil {
		t.Fatal(err)
	}
	srv := &osc.Server{Handler: ns.Handler(nil)}
	ep, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	qh := oscquery.NewHandler(ns, oscquery.HostInfo{Name: "ping", OSCIP: "127.0.0.1",
		OSCPort: int(netip.MustParseAddrPort(ep.Addr().String()).Port())})
	qh.PingInterval = interval
	base := wsServer(t, qh)
	udp, err := osc.Dial(ep.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = udp.Close() })
	return qh, base, udp
}

// silentPeer opens a WebSocket by hand, reads the 101 answer and then
// neither reads nor writes: a client that went away without closing.
func silentPeer(t *testing.T, base string) net.Conn {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %s", resp.Status)
	}
	return conn
}

// reader reads c's values in a goroutine, as an application does, until
// the test ends; the server's pings are answered meanwhile.
func reader(t *testing.T, ctx context.Context, c *oscquery.Conn) <-chan float32 {
	t.Helper()
	got := make(chan float32, 64)
	done := make(chan struct{})
	t.Cleanup(func() { _ = c.Close(); <-done })
	go func() {
		defer close(done)
		defer close(got)
		for range 100000 {
			ev, err := c.Next(ctx)
			if err != nil {
				return
			}
			if ev.Packet == nil {
				continue
			}
			m, err := wire.ParseMessage(ev.Packet)
			if err != nil || m.AddressString() != "/fader" {
				return
			}
			v, _ := firstArg(&m).Float32()
			select {
			case got <- v:
			default:
				return // the test stopped taking them
			}
		}
	}()
	return got
}

// sendAndCheck sends n values over UDP, one every gap, and checks that
// got receives each within 5 s.
func sendAndCheck(t *testing.T, got <-chan float32, udp *osc.Client, n int, gap time.Duration) {
	t.Helper()
	for i := range n {
		v := float32(i) / 100
		if err := udp.Send("/fader", wire.Float32(v)); err != nil {
			t.Fatal(err)
		}
		select {
		case g, ok := <-got:
			if !ok {
				t.Fatalf("value %d: the client was disconnected", i)
			}
			if g != v {
				t.Fatalf("value %d: got %v, want %v", i, g, v)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("value %d: not received within 5 s", i)
		}
		time.Sleep(gap)
	}
}

// TestWebSocketPingDeadPeer: a peer that completes the handshake and then
// never reads nor answers pings is disconnected within three ping
// intervals, without a close handshake, and counted, while a normal
// client is served meanwhile.
func TestWebSocketPingDeadPeer(t *testing.T) {
	const interval = 100 * time.Millisecond
	qh, base, udp := pingSetup(t, interval)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	live := dial(t, ctx, base)
	if err := live.Listen(ctx, "/fader"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the LISTEN", func() bool { return qh.Stats().Listens == 1 })
	got := reader(t, ctx, live)

	start := time.Now()
	dead := silentPeer(t, base)
	waitFor(t, "2 clients", func() bool { return qh.Stats().Conns == 2 })
	// The live client is served while the silent one holds its slot.
	sendAndCheck(t, got, udp, 3, 0)
	waitFor(t, "the silent peer disconnected", func() bool { return qh.Stats().DeadClients == 1 })
	if took := time.Since(start); took > 3*interval {
		t.Errorf("the silent peer was disconnected after %v, more than 3 ping intervals (%v)", took, 3*interval)
	}
	waitFor(t, "1 client", func() bool { return qh.Stats().Conns == 1 })
	// Its socket is closed: after the ping it never read, it gets EOF or
	// a reset, not a wait.
	_ = dead.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	var err error
	for range 100 {
		if _, err = dead.Read(buf); err != nil {
			break
		}
	}
	if ne, ok := err.(net.Error); err == nil || ok && ne.Timeout() {
		t.Fatalf("the silent peer's socket stays open: %v", err)
	}
	sendAndCheck(t, got, udp, 3, 0)
	if st := qh.Stats(); st.DeadClients != 1 || st.Conns != 1 {
		t.Fatalf("stats %+v: want one dead client, one connected", st)
	}
}

// TestWebSocketPingListener: a client that only LISTENs, and never sends
// after that, answers the pings and stays connected over many intervals,
// receiving values.
func TestWebSocketPingListener(t *testing.T) {
	const interval = 50 * time.Millisecond
	qh, base, udp := pingSetup(t, interval)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dial(t, ctx, base)
	if err := c.Listen(ctx, "/fader"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the LISTEN", func() bool { return qh.Stats().Listens == 1 })
	got := reader(t, ctx, c)
	sendAndCheck(t, got, udp, 10, interval) // 10 intervals
	if st := qh.Stats(); st.DeadClients != 0 || st.Conns != 1 || st.Listens != 1 {
		t.Fatalf("stats %+v: the listener must stay", st)
	}
}
