//go:build !race

package osc_test

import (
	"context"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestServeNoAllocs sends messages over loopback UDP and waits for each to
// be received, decoded and dispatched to a handler that reads every
// argument. Once warm, the whole round (client send included) allocates
// nothing.
func TestServeNoAllocs(t *testing.T) {
	done := make(chan int32, 1)
	r := router.New()
	r.HandleFunc("/synth/1/freq", func(w router.ResponseWriter, req *router.Request) {
		var sum int32
		it := req.Message.Args()
		for it.Next() {
			if v, ok := it.Arg().Int32(); ok {
				sum += v
			}
		}
		select {
		case done <- sum:
		default: // a resent datagram's duplicate
		}
	})
	s := newServer(t, r)
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	blob := []byte("0123456789abcdef")
	round := retryRound("dispatched", func() error {
		return c.Send("/synth/1/freq", wire.Int32(440), wire.Float32(0.5), wire.String("hello"), wire.Blob(blob))
	}, done, func(v int32) {
		if v != 440 {
			panic("wrong argument")
		}
	})
	checkRoundNoAllocs(t, "send+receive+dispatch", round)
}

// retryRound returns a round for checkRoundNoAllocs: it sends with send
// and waits up to a second for got, then checks what came. A datagram lost
// on a loaded machine is sent again, a bounded number of times; the timer
// is reused so that the wait allocates nothing.
func retryRound[T any](what string, send func() error, got <-chan T, check func(T)) func() {
	timer := time.NewTimer(time.Hour)
	return func() {
		for try := 0; ; try++ {
			if err := send(); err != nil {
				panic(err)
			}
			timer.Reset(time.Second)
			select {
			case v := <-got:
				timer.Stop()
				check(v)
				return
			case <-timer.C:
				if try == 4 {
					panic("no datagram " + what + " in 5 tries")
				}
			}
		}
	}
}

// checkRoundNoAllocs warms round up and fails t if it allocates.
func checkRoundNoAllocs(t *testing.T, name string, round func()) {
	t.Helper()
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(500, round); n != 0 {
		t.Fatalf("%s: %v allocs per round, want 0", name, n)
	}
}

func TestClientSendNoAllocs(t *testing.T) {
	s := newServer(t, router.New())
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	send := func() {
		if err := c.Send("/mixer/ch/1/fader", wire.Float32(0.75)); err != nil {
			panic(err)
		}
	}
	send()
	if n := testing.AllocsPerRun(1000, send); n != 0 {
		t.Fatalf("Client.Send: %v allocs, want 0", n)
	}
}

// TestAcceptHookNoAllocs: a server whose Accept hook sees every datagram
// (as oscli dump does) allocates nothing per packet.
func TestAcceptHookNoAllocs(t *testing.T) {
	seen := make(chan int, 1)
	s := newServer(t, router.New())
	s.Accept = func(w router.ResponseWriter, p *osc.Packet) bool {
		select {
		case seen <- len(p.Data):
		default: // a resent datagram's duplicate
		}
		return false
	}
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	round := retryRound("seen", func() error { return c.Send("/a", wire.Int32(1)) }, seen, func(int) {})
	checkRoundNoAllocs(t, "Accept hook", round)
}

// TestClientReceiveNoAllocs: a round trip through a client (Write, then
// Receive with a context that has a deadline, as a caller with a timeout
// has) and a server that answers allocates nothing once warm, with the same
// context reused from call to call.
func TestClientReceiveNoAllocs(t *testing.T) {
	r := router.New()
	r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
		_, _ = w.Write(req.Message.Bytes())
	})
	s := newServer(t, r)
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	msg, err := wire.AppendMessage(nil, "/ping", wire.Int32(1))
	if err != nil {
		t.Fatal(err)
	}
	// Loopback does not lose a datagram of an idle socket; a lost one
	// fails the test when ctx ends, within a minute.
	round := func() {
		if _, err := c.Write(msg); err != nil {
			panic(err)
		}
		pkt, err := c.Receive(ctx)
		if err != nil {
			panic(err)
		}
		if len(pkt) != len(msg) {
			panic("wrong reply")
		}
	}
	checkRoundNoAllocs(t, "Client.Write+Receive", round)
}
