package osc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

func TestWebSocketRoundTrip(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	require.True(t, strings.HasPrefix(ep.URL(), "osc.ws://127.0.0.1:"), ep.URL())
	require.True(t, strings.HasSuffix(ep.URL(), "/osc"), ep.URL())
	c := dial(t, ep.URL())
	roundTrip(t, c, ch)

	// A bundle travels as one message; its messages arrive together.
	require.NoError(t, c.SendBundle(wire.Immediately, func(e *wire.Encoder) {
		e.Message("/a").Int32(1).End()
		e.Message("/b").String("two").End()
	}))
	require.Equal(t, "/a", recv(t, ch).addr)
	require.Equal(t, "/b", recv(t, ch).addr)

	st := ep.Stats()
	require.Equal(t, uint64(3), st.Packets)
	require.Equal(t, uint64(1), st.Conns)
	require.Equal(t, 1, st.ConnsOpen)
	require.Zero(t, st.Malformed)
}

// wsDial opens a WebSocket to ep with the coder/websocket client, closed
// when the test ends.
func wsDial(t *testing.T, url string, h http.Header) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(ctxTimeout(t, 5*time.Second), url, &websocket.DialOptions{HTTPHeader: h})
	require.NoError(t, err)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func wsURL(ep *osc.Endpoint) string {
	return "ws://" + ep.Addr().String() + "/osc"
}

// closeStatus reads from c until the server closes it and returns the
// close error.
func closeStatus(t *testing.T, c *websocket.Conn) websocket.CloseError {
	t.Helper()
	ctx := ctxTimeout(t, 5*time.Second)
	for range 100 {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		require.True(t, errors.As(err, &ce), "not a close: %v", err)
		return ce
	}
	t.Fatal("the server did not close the connection")
	return websocket.CloseError{}
}

func TestWebSocketTextRefused(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	invalid := make(chan error, 4)
	s.Invalid = func(p *osc.Packet, err error) { invalid <- err }
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	c := wsDial(t, wsURL(ep), nil)
	require.NoError(t, c.Write(ctxTimeout(t, 5*time.Second), websocket.MessageText, []byte(`{"address":"/a"}`)))
	ce := closeStatus(t, c)
	require.Equal(t, websocket.StatusUnsupportedData, ce.Code)
	require.Contains(t, ce.Reason, "binary")
	err := within(t, invalid, 5*time.Second, "Invalid hook")
	require.ErrorIs(t, err, netio.ErrTextMessage)
	require.Equal(t, uint64(1), ep.Stats().Malformed)

	// Another connection is served as before.
	roundTrip(t, dial(t, ep.URL()), ch)
}

func TestWebSocketOversizeFrame(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	s.MaxFrame = 1024
	invalid := make(chan error, 4)
	s.Invalid = func(p *osc.Packet, err error) { invalid <- err }
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	c := wsDial(t, wsURL(ep), nil)
	big := mustMsg(t, "/big", wire.Blob(make([]byte, 4096)))
	_ = c.Write(ctxTimeout(t, 5*time.Second), websocket.MessageBinary, big)
	ce := closeStatus(t, c)
	require.Equal(t, websocket.StatusMessageTooBig, ce.Code)
	var fe *osc.FrameError
	require.ErrorAs(t, within(t, invalid, 5*time.Second, "Invalid hook"), &fe)
	require.ErrorIs(t, fe, netio.ErrFrameTooLarge)
	require.Zero(t, fe.Offset, "the first frame starts the stream")
	require.Equal(t, uint64(1), ep.Stats().Malformed)
	roundTrip(t, dial(t, ep.URL()), ch)
}

func TestWebSocketConnCap(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	s.MaxConns = 2
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	a := dial(t, ep.URL())
	b := dial(t, ep.URL())
	roundTrip(t, a, ch)
	roundTrip(t, b, ch)
	c := wsDial(t, wsURL(ep), nil)
	_, _, err := c.Read(ctxTimeout(t, 5*time.Second))
	require.Error(t, err, "the connection over the cap stays open")
	require.Equal(t, uint64(1), ep.Stats().ConnsRefused)
	require.Equal(t, 2, ep.Stats().ConnsOpen)
	roundTrip(t, a, ch)
}

// TestWebSocketSlowPeer: a client that sends requests and never reads
// their replies is disconnected and counted, while another is served.
func TestWebSocketSlowPeer(t *testing.T) {
	r := router.New()
	reply := make([]byte, 8<<10)
	r.HandleFunc("/flood", func(w router.ResponseWriter, req *router.Request) {
		for range 64 {
			w.Encoder().Message("/data").Blob(reply).End()
			_ = w.Flush() // a reply the queue cannot take is counted
		}
	})
	ch := make(chan got, 16)
	r.NotFound(recorder(t, ch))
	s := newServer(t, r)
	s.SendQueue = 64 << 10
	s.WriteTimeout = 200 * time.Millisecond
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	slow := wsDial(t, wsURL(ep), nil)
	flood := mustMsg(t, "/flood")
	ctx := ctxTimeout(t, 10*time.Second)
	good := dial(t, ep.URL())
	deadline := time.Now().Add(8 * time.Second)
	for i := 0; ep.Stats().SlowPeers == 0; i++ {
		require.True(t, time.Now().Before(deadline), "no slow peer counted: %+v", ep.Stats())
		if err := slow.Write(ctx, websocket.MessageBinary, flood); err != nil {
			break // disconnected
		}
		if i%16 == 0 {
			require.NoError(t, good.Send("/tick", wire.Int32(int32(i))))
			require.Equal(t, "/tick", recv(t, ch).addr)
		}
		time.Sleep(time.Millisecond)
	}
	require.Eventually(t, func() bool { return ep.Stats().SlowPeers == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NotZero(t, ep.Stats().ReplyDrops)
	roundTrip(t, good, ch)
}

func TestWebSocketHandlerOnSharedMux(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	ep, err := s.WebSocketHandler(nil)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	mux.Handle("/osc", ep)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: mux}
	var wg sync.WaitGroup
	wg.Go(func() { _ = hs.Serve(l) })
	t.Cleanup(func() { hs.Close(); wg.Wait() })

	resp, err := http.Get("http://" + l.Addr().String() + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "page", string(body))

	c := dial(t, "osc.ws://"+l.Addr().String()+"/osc")
	roundTrip(t, c, ch)
	require.Equal(t, 1, ep.Stats().ConnsOpen)
	require.NoError(t, ep.Close())
	_, err = c.Receive(ctxTimeout(t, 5*time.Second))
	require.Error(t, err, "closing the endpoint closes its connections")
}

// TestWebSocketOrigin: a page from another origin is refused by default
// (403), counted in ConnsRefused and logged at most once a second, while
// tools that send no Origin are served; AnyOrigin lets any page in.
func TestWebSocketOrigin(t *testing.T) {
	ch := make(chan got, 16)
	var h countingHandler
	s := &osc.Server{Handler: recorder(t, ch), Logger: slog.New(&h)}
	t.Cleanup(func() { s.Close() })
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	const refused = 5
	start := time.Now()
	for range refused {
		_, resp, err := websocket.Dial(ctxTimeout(t, 5*time.Second), wsURL(ep), &websocket.DialOptions{
			HTTPHeader: http.Header{"Origin": {"http://elsewhere.example"}},
		})
		require.Error(t, err, "a page from another origin is refused by default")
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
	elapsed := time.Since(start)
	require.Equal(t, uint64(refused), ep.Stats().ConnsRefused)
	logged := 0
	for _, r := range h.records() {
		if strings.Contains(r.Message, "Origin") {
			logged++
			require.True(t, hasAttr(r, "origin"), "the log names the origin")
		}
	}
	require.GreaterOrEqual(t, logged, 1, "the refusal is logged")
	require.LessOrEqual(t, logged, 1+int(elapsed/time.Second), "logged at most once a second")

	c := wsDial(t, wsURL(ep), nil)
	require.NoError(t, c.Write(ctxTimeout(t, 5*time.Second), websocket.MessageBinary, mustMsg(t, "/tool")))
	require.Equal(t, "/tool", recv(t, ch).addr, "a client with no Origin is served")
	require.Equal(t, uint64(refused), ep.Stats().ConnsRefused)

	s2 := newServer(t, recorder(t, ch))
	s2.WebSocket.AnyOrigin = true
	ep2 := listen(t, s2, "osc.ws://127.0.0.1:0/osc")
	c = wsDial(t, wsURL(ep2), http.Header{"Origin": {"http://elsewhere.example"}})
	require.NoError(t, c.Write(ctxTimeout(t, 5*time.Second), websocket.MessageBinary, mustMsg(t, "/hi")))
	require.Equal(t, "/hi", recv(t, ch).addr)
	require.Zero(t, ep2.Stats().ConnsRefused)
}

func TestWebSocketTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	_, err := s.Listen("osc.wss://127.0.0.1:0/osc", nil)
	require.ErrorIs(t, err, osc.ErrConfig)
	s.WebSocket.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ep := listen(t, s, "osc.wss://127.0.0.1:0/osc")
	require.True(t, strings.HasPrefix(ep.URL(), "osc.wss://"), ep.URL())
	sc, err := netio.DialWS(ctxTimeout(t, 5*time.Second), "wss://"+ep.Addr().String()+"/osc",
		netio.TCPConfig{}, netio.WSConfig{TLS: &tls.Config{RootCAs: pool}})
	require.NoError(t, err)
	defer sc.Close()
	require.NoError(t, sc.WriteFrame(mustMsg(t, "/ping", wire.Int32(5))))
	require.NoError(t, sc.WriteFrame(mustMsg(t, "/secure")))
	require.Equal(t, "/secure", recv(t, ch).addr)
	f, err := sc.ReadFrame()
	require.NoError(t, err)
	m, err := wire.ParseMessage(f)
	require.NoError(t, err)
	require.Equal(t, "/pong", m.AddressString())
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "osckit test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func mustMsg(t *testing.T, addr string, args ...wire.Value) []byte {
	t.Helper()
	b, err := wire.AppendMessage(nil, addr, args...)
	require.NoError(t, err)
	return b
}

// TestWebSocketTimeouts: a connection that sends nothing for IdleTimeout is
// closed; so is one whose message stalls for FrameTimeout after it began
// (counted as malformed, as a stalled TCP frame is).
func TestWebSocketTimeouts(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	s.IdleTimeout = 300 * time.Millisecond
	s.FrameTimeout = 300 * time.Millisecond
	invalid := make(chan error, 4)
	s.Invalid = func(p *osc.Packet, err error) { invalid <- err }
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")

	idle := wsDial(t, wsURL(ep), nil)
	start := time.Now()
	_, _, err := idle.Read(ctxTimeout(t, 5*time.Second))
	require.Error(t, err)
	require.Greater(t, time.Since(start), 250*time.Millisecond)

	stall := wsDial(t, wsURL(ep), nil)
	w, err := stall.Writer(ctxTimeout(t, 5*time.Second), websocket.MessageBinary)
	require.NoError(t, err)
	// More than the writer buffers: a first fragment goes out, and never
	// the rest.
	_, err = w.Write(make([]byte, 16<<10))
	require.NoError(t, err)
	var fe *osc.FrameError
	require.ErrorAs(t, within(t, invalid, 5*time.Second, "Invalid hook"), &fe)
	require.ErrorIs(t, fe, netio.ErrFrameTimeout)
	require.Eventually(t, func() bool { return ep.Stats().ConnsOpen == 0 }, 5*time.Second, 10*time.Millisecond)
}

// TestWebSocketPing: the server pings every PingInterval, and a client that
// reads answers.
func TestWebSocketPing(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	s.WebSocket.PingInterval = 50 * time.Millisecond
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	pings := make(chan struct{}, 64)
	c, _, err := websocket.Dial(ctxTimeout(t, 5*time.Second), wsURL(ep), &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool {
			select {
			case pings <- struct{}{}:
			default:
			}
			return true
		},
	})
	require.NoError(t, err)
	defer c.CloseNow()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _, _ = c.Read(ctx) }() // answers pings
	for range 3 {
		within(t, pings, 5*time.Second, "ping")
	}
	require.Equal(t, 1, ep.Stats().ConnsOpen)
}

// TestWebSocketShutdownWritesReplies: a graceful Shutdown lets a WebSocket
// write the replies it has queued, then closes it with status 1001.
func TestWebSocketShutdownWritesReplies(t *testing.T) {
	ch := make(chan got, 16)
	s := &osc.Server{Handler: recorder(t, ch), Logger: quietLogger}
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	c := wsDial(t, wsURL(ep), nil)
	ctx := ctxTimeout(t, 5*time.Second)
	for i := range 50 {
		require.NoError(t, c.Write(ctx, websocket.MessageBinary, mustMsg(t, "/ping", wire.Int32(int32(i)))))
	}
	// The 50 replies are all queued before Shutdown: the last request's
	// reply is read first.
	_, first, err := c.Read(ctx)
	require.NoError(t, err)
	m, err := wire.ParseMessage(first)
	require.NoError(t, err)
	require.Equal(t, "/pong", m.AddressString())
	deadline := time.Now().Add(5 * time.Second)
	for ep.Stats().Packets < 50 {
		require.True(t, time.Now().Before(deadline), "the server read %d of 50", ep.Stats().Packets)
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(ctxTimeout(t, 5*time.Second)) }()
	n := 1
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)
			break
		}
		n++
	}
	require.Equal(t, 50, n)
	require.NoError(t, within(t, done, 5*time.Second, "Shutdown"))
}

// TestWebSocketHandshakeCap: connections that never finish their HTTP
// handshake are capped (twice MaxConns) and counted; a WebSocket still
// connects once they are gone.
func TestWebSocketHandshakeCap(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	s.MaxConns = 2
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	var raws []net.Conn
	for range 6 {
		c, err := net.Dial("tcp", ep.Addr().String())
		require.NoError(t, err)
		raws = append(raws, c)
	}
	require.Eventually(t, func() bool { return ep.Stats().ConnsRefused == 2 }, 5*time.Second, 10*time.Millisecond)
	for _, c := range raws {
		c.Close()
	}
	require.Eventually(t, func() bool {
		c, err := osc.Dial(ep.URL())
		if err != nil {
			return false
		}
		defer c.Close()
		roundTrip(t, c, ch)
		return true
	}, 5*time.Second, 20*time.Millisecond)
}

// TestEndpointWriteToStream: Endpoint.WriteTo reaches the TCP or
// WebSocket peer at an address, on its open connection; an address with
// no connection is ErrNoReplyAddress, a UNIX endpoint ErrNotSupported.
func TestEndpointWriteToStream(t *testing.T) {
	for _, url := range []string{"osc.tcp://127.0.0.1:0", "osc.ws://127.0.0.1:0/osc"} {
		ch := make(chan got, 16)
		s := newServer(t, recorder(t, ch))
		ep := listen(t, s, url)
		var cs []*osc.Client
		for range 3 {
			c := dial(t, ep.URL())
			require.NoError(t, c.Send("/hello"))
			cs = append(cs, c)
		}
		for range cs {
			recv(t, ch)
		}
		for i, c := range cs {
			peer := c.LocalAddr().(*net.TCPAddr).AddrPort()
			_, err := ep.WriteTo(mustMsg(t, "/to", wire.Int32(int32(i))), peer)
			require.NoError(t, err, url)
		}
		for i, c := range cs {
			pkt, err := c.Receive(ctxTimeout(t, 5*time.Second))
			require.NoError(t, err, url)
			require.Equal(t, mustMsg(t, "/to", wire.Int32(int32(i))), pkt, "%s: each peer gets its own", url)
		}
		_, err := ep.WriteTo(mustMsg(t, "/x"), netip.MustParseAddrPort("127.0.0.1:9"))
		require.ErrorIs(t, err, osc.ErrNoReplyAddress, url)
	}
	// WriteToPath answers a UNIX sender whose socket is connected to the
	// endpoint's, from the endpoint's socket.
	paths := make(chan string, 1)
	s := newServer(t, recorder(t, make(chan got, 1)))
	s.Accept = func(_ router.ResponseWriter, p *osc.Packet) bool {
		paths <- string(p.Path)
		return false
	}
	ep := listen(t, s, "osc.unix://"+filepath.Join(t.TempDir(), "s"))
	_, err := ep.WriteTo(mustMsg(t, "/x"), netip.MustParseAddrPort("127.0.0.1:9"))
	require.ErrorIs(t, err, osc.ErrNotSupported)
	c := dial(t, ep.URL())
	require.NoError(t, c.Send("/hello"))
	var path string
	select {
	case path = <-paths:
	case <-time.After(5 * time.Second):
		t.Fatal("no packet")
	}
	require.NotEmpty(t, path)
	_, err = ep.WriteToPath(mustMsg(t, "/back"), []byte(path))
	require.NoError(t, err)
	pkt, err := c.Receive(ctxTimeout(t, 5*time.Second))
	require.NoError(t, err)
	require.Equal(t, mustMsg(t, "/back"), pkt)
	_, err = ep.WriteToPath(mustMsg(t, "/x"), nil)
	require.ErrorIs(t, err, osc.ErrNoReplyAddress)
	_, err = listen(t, s, "osc.udp://127.0.0.1:0").WriteToPath(mustMsg(t, "/x"), []byte(path))
	require.ErrorIs(t, err, osc.ErrNotSupported)
}

// TestWebSocketJSON: with WebSocket.JSON a text message in osc.js's JSON
// form is a packet, answered in the same form; text that does not decode
// is counted as malformed and the connection goes on; a binary peer still
// gets binary replies.
func TestWebSocketJSON(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	s.WebSocket.JSON = true
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	c := wsDial(t, wsURL(ep), nil)
	ctx := ctxTimeout(t, 10*time.Second)
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`{"address":"/ping","args":[{"type":"i","value":5},{"type":"s","value":"x"}]}`)))
	typ, b, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageText, typ)
	require.JSONEq(t, `{"address":"/pong","args":[{"type":"i","value":5},{"type":"s","value":"x"}]}`, string(b))

	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`{"address":"nope"}`)))
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`{"timeTag":{"raw":[0,1]},"packets":[{"address":"/in/bundle","args":[]}]}`)))
	require.Equal(t, "/in/bundle", recv(t, ch).addr, "osc.js's bundle form; the connection outlived the bad text")
	require.Equal(t, uint64(1), ep.Stats().Malformed)

	bc := wsDial(t, wsURL(ep), nil)
	require.NoError(t, bc.Write(ctx, websocket.MessageBinary, mustMsg(t, "/ping", wire.Int32(1))))
	typ, b, err = bc.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageBinary, typ)
	require.Equal(t, mustMsg(t, "/pong", wire.Int32(1)), b)
}

// TestWebSocketFirstMessageWithHandshake: a client that sends its first
// message in the same segment as its handshake (before the 101 comes
// back) has it served: the bytes the HTTP server read past the request
// are not lost when the WebSocket takes the conn.
func TestWebSocketFirstMessageWithHandshake(t *testing.T) {
	ch := make(chan got, 16)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	for _, size := range []int{8, 100, 2000} {
		c, err := net.Dial("tcp", ep.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		req := "GET /osc HTTP/1.1\r\nHost: " + ep.Addr().String() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
		msg := mustMsg(t, "/first", wire.Blob(make([]byte, size)))
		out := append([]byte(req), maskedFrame(msg)...)
		out = append(out, maskedFrame(mustMsg(t, "/second"))...)
		_, err = c.Write(out)
		require.NoError(t, err)
		require.Equal(t, "/first", recv(t, ch).addr, "blob of %d", size)
		require.Equal(t, "/second", recv(t, ch).addr)
	}
}

// maskedFrame is a client's binary WebSocket frame holding p.
func maskedFrame(p []byte) []byte {
	f := []byte{0x82}
	switch {
	case len(p) < 126:
		f = append(f, 0x80|byte(len(p)))
	default:
		f = append(f, 0x80|126, byte(len(p)>>8), byte(len(p)))
	}
	key := []byte{1, 2, 3, 4}
	f = append(f, key...)
	for i, c := range p {
		f = append(f, c^key[i%4])
	}
	return f
}

// TestWebSocketClientReceiveCancel: cancelling the context of a Receive
// that has returned leaves a WebSocket Client's connection open (a
// WebSocket read deadline closes the conn, so the context's hook must not
// outlive the call).
func TestWebSocketClientReceiveCancel(t *testing.T) {
	s := newServer(t, recorder(t, make(chan got, 16)))
	ep := listen(t, s, "osc.ws://127.0.0.1:0/osc")
	c := dial(t, ep.URL())
	for i := range 3 {
		require.NoError(t, c.Send("/ping", wire.Int32(int32(i))))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		pkt, err := c.Receive(ctx)
		cancel()
		require.NoError(t, err, "reply %d", i)
		require.Equal(t, mustMsg(t, "/pong", wire.Int32(int32(i))), pkt)
		time.Sleep(20 * time.Millisecond) // the hook, were it left, fires now
	}
}
