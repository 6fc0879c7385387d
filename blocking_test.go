package osc_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestBlockingRead: a server with UDPConfig.BlockingRead answers, a
// client's Receive with a context that never ends (a blocking wait) gets
// the answer, Close of the client ends such a Receive, and the server
// shuts down promptly with its reader blocked in the kernel.
func TestBlockingRead(t *testing.T) {
	r := router.New()
	r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
		_, _ = w.Write(req.Message.Bytes())
	})
	s := &osc.Server{Handler: r, Logger: quietLogger}
	s.UDP.BlockingRead = true
	ep := listen(t, s, "osc.udp://127.0.0.1:0")
	c := dial(t, "osc.udp://"+ep.Addr().String())
	msg, err := wire.AppendMessage(nil, "/ping", wire.Int32(7))
	if err != nil {
		t.Fatal(err)
	}
	// A watchdog: a lost datagram ends the test through Close, not a hang.
	watchdog := time.AfterFunc(10*time.Second, func() { c.Close() })
	defer watchdog.Stop()
	for i := range 3 {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		pkt, err := c.Receive(context.Background())
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if string(pkt) != string(msg) {
			t.Fatalf("round %d: reply %q", i, pkt)
		}
		// A Receive with a context that can end goes back to the poller,
		// where its deadline applies.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		if _, err := c.Receive(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: Receive with nothing to read: %v, want the deadline", i, err)
		}
		cancel()
	}
	// Close ends a Receive blocked in the kernel.
	done := make(chan error, 1)
	go func() {
		_, err := c.Receive(context.Background())
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Receive at Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocking Receive in 5 s")
	}
	// The server's reader waits in the kernel; Shutdown ends it at once.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Shutdown took %v with a blocking reader", d)
	}
}

// TestReceiveContextHook: the cancellation hook a Receive leaves registered
// for its context, when that context ends later, neither fails a Receive
// with another context nor outlives it, and a context value that is not
// comparable is accepted.
func TestReceiveContextHook(t *testing.T) {
	r := router.New()
	r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
		_, _ = w.Write(req.Message.Bytes())
	})
	s := newServer(t, r)
	ep := listen(t, s, "osc.udp://127.0.0.1:0")
	c := dial(t, "osc.udp://"+ep.Addr().String())
	msg, err := wire.AppendMessage(nil, "/ping", wire.Int32(7))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip := func(ctx context.Context) error {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		_, err := c.Receive(ctx)
		return err
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	if err := roundTrip(ctx1); err != nil {
		t.Fatal(err)
	}
	cancel1() // its hook, still registered, runs now: the deadline goes to the past
	if _, err := c.Receive(ctx1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive with an ended context: %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := roundTrip(ctx2); err != nil {
		t.Fatalf("Receive after another context ended: %v", err)
	}
	// Twice: comparing two such values with == would panic.
	for i := range 2 {
		if err := roundTrip(uncomparableCtx{ctx2, []int{i}}); err != nil {
			t.Fatalf("Receive with an uncomparable context: %v", err)
		}
	}
}

// uncomparableCtx is a context whose dynamic value cannot be compared
// with ==.
type uncomparableCtx struct {
	context.Context
	tag []int
}
