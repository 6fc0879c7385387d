package osc_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// writerBehaviour is what every ResponseWriter must do, run by a handler:
// no reply to flush before one is built, then a built reply, then a raw
// packet, both to the sender in that order; WriteTo only where the
// transport can address another peer.
func writerBehaviour(t *testing.T, w router.ResponseWriter, req *router.Request, writeTo bool) {
	require.ErrorIs(t, w.Flush(), osc.ErrNoReply, "Flush before anything was built")
	w.Encoder().Message("/reply").Int32(1).End()
	require.NoError(t, w.Flush())
	require.ErrorIs(t, w.Flush(), osc.ErrNoReply, "a reply is flushed once")
	raw, err := wire.AppendMessage(nil, "/raw", wire.String("x"))
	require.NoError(t, err)
	n, err := w.Write(raw)
	require.NoError(t, err)
	require.Equal(t, len(raw), n)
	if !writeTo {
		_, err := w.WriteTo(raw, netipLoopback(9))
		require.ErrorIs(t, err, osc.ErrNotSupported)
	}
}

// expectReplies reads the two packets writerBehaviour sends.
func expectReplies(t *testing.T, receive func(context.Context) ([]byte, error)) {
	t.Helper()
	for _, want := range []string{"/reply", "/raw"} {
		pkt, err := receive(ctxTimeout(t, 5*time.Second))
		require.NoError(t, err)
		m, err := wire.ParseMessage(pkt)
		require.NoError(t, err)
		require.Equal(t, want, m.AddressString())
	}
}

// TestResponseWriters runs one behaviour against every ResponseWriter:
// the server's on UDP, TCP in both framings and UNIX datagrams, and
// Client.Serve's.
func TestResponseWriters(t *testing.T) {
	for _, url := range []string{
		"osc.udp://127.0.0.1:0",
		"osc.tcp+slip://127.0.0.1:0",
		"osc.tcp+size://127.0.0.1:0",
		"osc.unix://" + filepath.Join(t.TempDir(), "w.sock"),
	} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			ran := make(chan struct{}, 1)
			r := router.New()
			udp := url[:8] == "osc.udp:"
			r.HandleFunc("/go", func(w router.ResponseWriter, req *router.Request) {
				writerBehaviour(t, w, req, udp)
				require.NotNil(t, w.RemoteAddr())
				ran <- struct{}{}
			})
			s := newServer(t, r)
			ep := listen(t, s, url)
			c := dial(t, ep.URL())
			require.NoError(t, c.Send("/go"))
			expectReplies(t, c.Receive)
			select {
			case <-ran:
			case <-time.After(5 * time.Second):
				t.Fatal("handler did not finish")
			}
		})
	}

	t.Run("Client.Serve", func(t *testing.T) {
		got := make(chan string, 4)
		r := router.New()
		r.HandleFunc("/start", func(w router.ResponseWriter, req *router.Request) {
			w.Encoder().Message("/go").End()
			require.NoError(t, w.Flush())
		})
		r.NotFound(router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
			got <- req.Message.AddressString()
		}))
		s := newServer(t, r)
		for _, url := range []string{"osc.udp://127.0.0.1:0", "osc.tcp://127.0.0.1:0"} {
			ep := listen(t, s, url)
			c := dial(t, ep.URL())
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() {
				served <- c.Serve(ctx, router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
					writerBehaviour(t, w, req, false)
					require.Equal(t, ep.Addr().String(), w.RemoteAddr().String())
				}))
			}()
			require.NoError(t, c.Send("/start"))
			for _, want := range []string{"/reply", "/raw"} {
				select {
				case a := <-got:
					require.Equal(t, want, a, url)
				case <-time.After(5 * time.Second):
					t.Fatalf("%s: the server did not get %s", url, want)
				}
			}
			cancel()
			require.ErrorIs(t, within(t, served, 5*time.Second, url+": Serve returning after cancel"), context.Canceled)
		}
	})
}

// TestWildcardReplyAddress: on UDP bound to a wildcard address, WriteTo
// answers another port from the address the peer sent to as well.
func TestWildcardWriteTo(t *testing.T) {
	other, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	require.NoError(t, err)
	defer other.Close()
	r := router.New()
	r.HandleFunc("/fwd", func(w router.ResponseWriter, req *router.Request) {
		raw, _ := wire.AppendMessage(nil, "/fwd")
		_, err := w.WriteTo(raw, other.LocalAddr().(*net.UDPAddr).AddrPort())
		require.NoError(t, err)
	})
	s := newServer(t, r)
	ep := listen(t, s, "osc.udp://0.0.0.0:0")
	c := dial(t, net.JoinHostPort("127.0.0.2", portString(ep.Addr())))
	require.NoError(t, c.Send("/fwd"))
	other.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	_, from, err := other.ReadFromUDP(buf)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.2", from.IP.String(), "answer left from another address than the peer used")
}

func portString(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}
