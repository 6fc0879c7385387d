//go:build !race

package osc_test

import (
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
		done <- sum
	})
	s := newServer(t, r)
	ep, err := s.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ep.Addr().String())
	blob := []byte("0123456789abcdef")
	// A datagram lost on a loaded machine is sent again, a bounded number
	// of times; the timer is reused so that the wait allocates nothing.
	timer := time.NewTimer(time.Hour)
	round := func() {
		for try := 0; ; try++ {
			if err := c.Send("/synth/1/freq", wire.Int32(440), wire.Float32(0.5), wire.String("hello"), wire.Blob(blob)); err != nil {
				panic(err)
			}
			timer.Reset(time.Second)
			select {
			case v := <-done:
				timer.Stop()
				if v != 440 {
					panic("wrong argument")
				}
				return
			case <-timer.C:
				if try == 4 {
					panic("no datagram dispatched in 5 tries")
				}
			}
		}
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(500, round); n != 0 {
		t.Fatalf("send+receive+dispatch: %v allocs per message, want 0", n)
	}
}

func TestClientSendNoAllocs(t *testing.T) {
	s := newServer(t, router.New())
	ep, err := s.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := osc.Dial(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
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
		seen <- len(p.Data)
		return false
	}
	ep, err := s.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ep.Addr().String())
	timer := time.NewTimer(time.Hour)
	round := func() {
		for try := 0; ; try++ {
			if err := c.Send("/a", wire.Int32(1)); err != nil {
				panic(err)
			}
			timer.Reset(time.Second)
			select {
			case <-seen:
				timer.Stop()
				return
			case <-timer.C:
				if try == 4 {
					panic("no datagram seen in 5 tries")
				}
			}
		}
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(500, round); n != 0 {
		t.Fatalf("Accept hook: %v allocs per packet, want 0", n)
	}
}
