package osc_test

import (
	"context"
	"fmt"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// A server on a free loopback port answers /ping with /pong; a client
// sends and reads the reply on its own socket.
func ExampleServer() {
	r := router.New()
	r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
		var argv [8]wire.Arg
		args := req.Message.AppendArgs(argv[:0])
		if len(args) != 1 {
			return
		}
		n, _ := args[0].Int32()
		w.Encoder().Message("/pong").Int32(n + 1).End()
		w.Flush()
	})
	srv := &osc.Server{Handler: r}
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	c, err := osc.Dial(ep.URL())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Send("/ping", wire.Int32(41))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pkt, err := c.Receive(ctx)
	if err != nil {
		panic(err)
	}
	m, _ := wire.ParseMessage(pkt)
	fmt.Println(m.String())
	// Output:
	// /pong i 42
}

// The examples repeat their server and client setup on purpose: each shows
// the whole of it on its documentation page.

// An Inbox lets a goroutine pull messages instead of being called.
func ExampleInbox() {
	in := osc.NewInbox(16)
	srv := &osc.Server{Handler: in}
	ep, err := srv.Listen("osc.tcp://127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	c, err := osc.Dial(ep.URL())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Send("/note", wire.Int32(60), wire.Float32(0.8))
	c.Send("/note", wire.Int32(64), wire.Float32(0.6))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	for req := range in.All(ctx) {
		fmt.Println(req.Message.String())
		if n++; n == 2 {
			break
		}
	}
	// Output:
	// /note if 60 0.8
	// /note if 64 0.6
}

// A bundle timed 500 ms ahead is held by the server's scheduler and
// dispatched at its time; a message sent after it is not held up.
func ExampleClient_SendAt() {
	done := make(chan string, 2)
	srv := &osc.Server{Handler: router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
		done <- req.Message.AddressString()
	})}
	ep, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())
	c, err := osc.Dial(ep.URL())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	c.SendAt(time.Now().Add(500*time.Millisecond), "/later")
	c.Send("/now")
	for range 2 {
		select {
		case addr := <-done:
			fmt.Println(addr)
		case <-time.After(5 * time.Second):
			fmt.Println("nothing dispatched in 5 s")
		}
	}
	// Output:
	// /now
	// /later
}

// The Server's scheduler is configured through ScheduleConfig: here a
// bundle that arrives after its time is dropped and counted rather than
// dispatched late, while bare messages go through at once.
func ExampleScheduleConfig() {
	got := make(chan string, 2)
	srv := &osc.Server{
		Schedule: osc.ScheduleConfig{Late: osc.DropLate},
		UDP:      osc.UDPConfig{ReadBuffer: 1 << 20},
	}
	srv.HandleFunc("/*", func(w osc.ResponseWriter, req *osc.Request) { got <- req.Message.AddressString() })
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	c, err := osc.Dial(ep.URL())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.SendBundle(wire.TimetagOf(time.Now().Add(-time.Second)), func(e *wire.Encoder) {
		e.Message("/late").End()
	})
	c.Send("/now")
	fmt.Println(<-got)
	st := ep.Stats()
	fmt.Println("late", st.Late, "dropped", st.Dropped)
	// Output:
	// /now
	// late 1 dropped 1
}

// SendAny sends one message of plain values to a URL, with no client to
// dial or close: the one it dials is kept for the next message there. The
// values are typed as python-osc types them (a float64 is an OSC float).
func ExampleSendAny() {
	got := make(chan string, 1)
	var srv osc.Server
	srv.HandleFunc("/synth/1/freq", func(w osc.ResponseWriter, req *osc.Request) {
		got <- req.Message.String()
	})
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown(context.Background())

	if err := osc.SendAny(ep.URL(), "/synth/1/freq", 440.0, "sine"); err != nil {
		panic(err)
	}
	fmt.Println(<-got)
	// Output:
	// /synth/1/freq fs 440 "sine"
}
