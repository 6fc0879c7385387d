package osc_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// sendAnyLimits sets the limits of the clients osc.SendAny keeps for the
// test; when it ends the kept clients are closed and the limits restored.
// Called after the test's servers are made, so that its clients are closed
// before the servers shut down.
func sendAnyLimits(t *testing.T, capacity int, idle time.Duration) {
	t.Cleanup(osc.SetSendAnyLimits(capacity, idle))
}

// inboxServer listens at url with an Inbox of n messages.
func inboxServer(t *testing.T, url string, n int) (*osc.Server, *osc.Endpoint, *osc.Inbox) {
	t.Helper()
	in := osc.NewInbox(n)
	s := newServer(t, in)
	return s, listen(t, s, url), in
}

// TestSendAnyURL sends plain values with osc.SendAny over UDP, TCP and a
// UNIX datagram socket, and they arrive typed as Client.SendAny types
// them.
func TestSendAnyURL(t *testing.T) {
	urls := []string{"osc.udp://127.0.0.1:0", "osc.tcp://127.0.0.1:0",
		"osc.unix://" + filepath.Join(t.TempDir(), "s.sock")}
	for _, url := range urls {
		t.Run(url[:7], func(t *testing.T) {
			_, ep, in := inboxServer(t, url, 4)
			sendAnyLimits(t, 64, time.Minute)
			require.NoError(t, osc.SendAny(ep.URL(), "/ping", 41, 2.5, "hi", []byte{7}, int64(3), []any{1, "x"}, true))
			req := within(t, in.C(), 5*time.Second, "the message")
			require.Equal(t, "/ping", req.Message.AddressString())
			require.Equal(t, []any{int32(41), float32(2.5), "hi", []byte{7}, int64(3), []any{int32(1), "x"}, true}, req.Message.AnyArgs())
			require.Equal(t, 1, osc.SendAnyClients())
		})
	}
}

// TestSendAnyURLReuse sends twice to one UDP endpoint: both leave from the
// same local port, the kept client's.
func TestSendAnyURLReuse(t *testing.T) {
	_, ep, in := inboxServer(t, "osc.udp://127.0.0.1:0", 4)
	sendAnyLimits(t, 64, time.Minute)
	require.NoError(t, osc.SendAny(ep.URL(), "/a", 1))
	require.NoError(t, osc.SendAny(ep.URL(), "/b", 2))
	a := within(t, in.C(), 5*time.Second, "the first message")
	b := within(t, in.C(), 5*time.Second, "the second message")
	require.Equal(t, "/a", a.Message.AddressString())
	require.Equal(t, "/b", b.Message.AddressString())
	require.True(t, a.Remote.IsValid())
	require.Equal(t, a.Remote, b.Remote, "the two sends left from different ports")
	c := osc.SendAnyClient(ep.URL())
	require.NotNil(t, c, "no client kept")
	local, ok := c.LocalAddr().(*net.UDPAddr)
	require.True(t, ok)
	require.Equal(t, int(a.Remote.Port()), local.Port)
	require.Equal(t, 1, osc.SendAnyClients())
}

// TestSendAnyURLCap sends to more endpoints than the cache holds, twice
// over: every message arrives (an evicted destination is dialed again),
// and no more clients are kept than the cap.
func TestSendAnyURLCap(t *testing.T) {
	const limit, n = 3, 5
	in := osc.NewInbox(4 * n)
	s := newServer(t, in)
	var urls []string
	for range n {
		urls = append(urls, listen(t, s, "osc.tcp://127.0.0.1:0").URL())
	}
	sendAnyLimits(t, limit, time.Minute)
	got := map[string]int{}
	for round := range 2 {
		for i, url := range urls {
			require.NoError(t, osc.SendAny(url, fmt.Sprintf("/to/%d", i), round))
			require.LessOrEqual(t, osc.SendAnyClients(), limit)
		}
	}
	require.Equal(t, limit, osc.SendAnyClients())
	for range 2 * n {
		req := within(t, in.C(), 5*time.Second, "a message")
		got[req.Message.AddressString()]++
	}
	for i := range n {
		require.Equal(t, 2, got[fmt.Sprintf("/to/%d", i)], "messages to endpoint %d", i)
	}
}

// TestSendAnyURLIdle closes a kept client once it has idled for the
// timeout.
func TestSendAnyURLIdle(t *testing.T) {
	_, ep, in := inboxServer(t, "osc.tcp://127.0.0.1:0", 4)
	sendAnyLimits(t, 64, 50*time.Millisecond)
	require.NoError(t, osc.SendAny(ep.URL(), "/a"))
	within(t, in.C(), 5*time.Second, "the message")
	deadline := time.Now().Add(5 * time.Second)
	for osc.SendAnyClients() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the idle client is still kept after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The server sees the connection closed.
	deadline = time.Now().Add(5 * time.Second)
	for ep.Stats().ConnsOpen != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the connection is still open after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSendAnyURLRedial restarts the server on the same address: the send
// error drops the kept client and a later call dials the new server.
func TestSendAnyURLRedial(t *testing.T) {
	for _, url := range []string{"osc.tcp://127.0.0.1:0", "osc.unix://" + filepath.Join(t.TempDir(), "s.sock")} {
		t.Run(url[:7], func(t *testing.T) {
			in := osc.NewInbox(64)
			s1 := &osc.Server{Handler: in, Logger: quietLogger}
			t.Cleanup(func() { s1.Close() })
			ep, err := s1.Listen(url, nil)
			require.NoError(t, err)
			url := ep.URL()
			sendAnyLimits(t, 64, time.Minute)
			require.NoError(t, osc.SendAny(url, "/before"))
			require.Equal(t, "/before", within(t, in.C(), 5*time.Second, "the first message").Message.AddressString())
			before := osc.SendAnyClient(url)
			require.NotNil(t, before)

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, s1.Shutdown(ctx))
			s2 := newServer(t, in)
			listen(t, s2, url)

			// The first send may go out before the broken connection
			// shows; a later one fails and drops the client, and the next
			// dials the new server.
			var errs int
			for i := 0; ; i++ {
				if i == 50 {
					t.Fatalf("nothing arrived at the new server after %d sends (%d errors)", i, errs)
				}
				if err := osc.SendAny(url, "/after", i); err != nil {
					errs++
				}
				select {
				case req := <-in.C():
					require.Equal(t, "/after", req.Message.AddressString())
					require.NotSame(t, before, osc.SendAnyClient(url), "the same client")
					t.Logf("arrived at send %d after %d errors", i, errs)
					require.Positive(t, errs, "a message arrived without a redial")
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
	}
}

// TestSendAnyURLErrors: a value with no OSC type is the same
// *wire.TypeError as Client.SendAny's, an invalid address an error, and
// neither dials; a dial error is returned and nothing is kept.
func TestSendAnyURLErrors(t *testing.T) {
	_, ep, in := inboxServer(t, "osc.udp://127.0.0.1:0", 4)
	sendAnyLimits(t, 64, time.Minute)

	err := osc.SendAny(ep.URL(), "/bad", 1, map[string]int{"a": 1})
	var te *wire.TypeError
	require.ErrorAs(t, err, &te)
	require.Equal(t, 1, te.Arg)
	c := dial(t, ep.URL())
	require.Equal(t, c.SendAny("/bad", 1, map[string]int{"a": 1}), err)
	require.Error(t, osc.SendAny(ep.URL(), "no-slash", 1))
	require.Equal(t, 0, osc.SendAnyClients())

	// A TCP port that nobody listens on any more.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "osc.tcp://" + l.Addr().String()
	l.Close()
	require.Error(t, osc.SendAny(closed, "/x"))
	require.Error(t, osc.SendAny("osc.nope://127.0.0.1:1", "/x"))
	require.Equal(t, 0, osc.SendAnyClients())

	require.NoError(t, osc.SendAny(ep.URL(), "/good"))
	require.Equal(t, "/good", within(t, in.C(), 5*time.Second, "the good message").Message.AddressString())
}

// TestSendAnyURLConcurrent sends from several goroutines to more TCP
// endpoints than the cache holds, so that clients are evicted while other
// calls send on them: every message arrives.
func TestSendAnyURLConcurrent(t *testing.T) {
	const goroutines, sends, endpoints = 8, 50, 3
	var mu sync.Mutex
	got := map[string]int{}
	all := make(chan struct{})
	s := newServer(t, router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
		mu.Lock()
		defer mu.Unlock()
		got[req.Message.AddressString()]++
		if len(got) == goroutines*sends {
			close(all)
		}
	}))
	var urls []string
	for range endpoints {
		urls = append(urls, listen(t, s, "osc.tcp://127.0.0.1:0").URL())
	}
	sendAnyLimits(t, endpoints-1, time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*sends)
	for g := range goroutines {
		wg.Go(func() {
			for i := range sends {
				if err := osc.SendAny(urls[(g+i)%endpoints], fmt.Sprintf("/g%d/%d", g, i), i); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d of %d messages arrived", len(got), goroutines*sends)
	}
	require.LessOrEqual(t, osc.SendAnyClients(), endpoints-1)
}

// TestSendAnyURLFirstSendsDialOnce: calls that send to a URL at once, before
// any client is kept for it, wait for one dial instead of each dialing a
// connection of its own that all but one then close.
func TestSendAnyURLFirstSendsDialOnce(t *testing.T) {
	const goroutines = 8
	in := osc.NewInbox(4 * goroutines)
	s := newServer(t, in)
	ep := listen(t, s, "osc.tcp://127.0.0.1:0")
	url := ep.URL()
	sendAnyLimits(t, 64, time.Minute)
	for round := range 5 {
		start := make(chan struct{})
		errs := make(chan error, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				<-start
				errs <- osc.SendAny(url, fmt.Sprintf("/r%d/g%d", round, g))
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for range goroutines {
			within(t, in.C(), 5*time.Second, "a message")
		}
		require.Equal(t, uint64(round+1), ep.Stats().Conns, "connections accepted after round %d", round)
		osc.CloseSendAnyClients()
	}
}
