package osc_test

// The examples of this file are the programs of oscpy's README, written
// with osckit. oscpy's programs wait for a peer that is not shown
// (sleep(1000)); here that peer is the send helper, on lines marked
// "(peer)", so that each example runs and checks its output.
// TestOscpyExampleLines holds each to at most 1.3 times oscpy's lines.

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/osckit/osc"
)

// send is the peer of the examples: it sends one message of plain values
// to url.
func send(url, address string, args ...any) {
	if err := osc.SendAny(url, address, args...); err != nil {
		log.Fatal(err)
	}
}

// receive is the peer that the client example sends to: a server that
// collects n messages and prints them when done is called.
func receive(n int) (url string, done func()) {
	in := osc.NewInbox(n)
	srv := &osc.Server{Handler: in}
	ep, err := srv.Listen("osc.tcp://127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	return ep.URL(), func() {
		for range n {
			req := <-in.C()
			fmt.Println(req.Message.AddressString(), req.Message.AnyArgs())
		}
		srv.Shutdown(context.Background())
	}
}

// oscpy's first server: a callback bound to an address of a server that
// listens on all interfaces.
func Example_bind() {
	got := make(chan string)
	callback := func(w osc.ResponseWriter, req *osc.Request) {
		got <- fmt.Sprint("got values: ", req.Message.AnyArgs())
	}
	var srv osc.Server
	srv.HandleFunc("/address", callback)
	ep, err := srv.Listen("osc.udp://:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	send(ep.URL(), "/address", 1, 2.5, "hello") // (peer)
	fmt.Println(<-got)
	srv.Shutdown(context.Background())
	// Output: got values: [1 2.5 hello]
}

// oscpy's decorator API: the handler is written where it is bound.
func Example_decorator() {
	got := make(chan string)
	var srv osc.Server
	ep, err := srv.Listen("osc.udp://:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	srv.HandleFunc("/address", func(w osc.ResponseWriter, req *osc.Request) { got <- fmt.Sprint(req.Message.AnyArgs()) })
	send(ep.URL(), "/address", 1, 2.5, "hello") // (peer)
	fmt.Println("got values:", <-got)
	srv.Shutdown(context.Background())
	// Output: got values: [1 2.5 hello]
}

// oscpy's servers that are also clients: the server's /ping answers
// /pong, the client's handler answers /pong with /ping true, and a /ping
// with true ends the game. The client serves the replies it gets on its
// own socket.
func Example_pingPong() {
	done := make(chan bool)
	var srv osc.Server
	srv.HandleFunc("/ping", func(w osc.ResponseWriter, req *osc.Request) {
		fmt.Println("ping called")
		if slices.Contains(req.Message.AnyArgs(), true) {
			close(done)
		} else {
			w.SendAny("/pong")
		}
	})
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	c, err := osc.Dial(ep.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	go c.Serve(context.Background(), osc.HandlerFunc(func(w osc.ResponseWriter, req *osc.Request) {
		fmt.Println("pong called")
		w.SendAny("/ping", true)
	}))
	c.SendAny("/ping")
	<-done
	// Output:
	// ping called
	// pong called
	// ping called
}

// oscpy's client: ten messages in a loop. osc.SendAny dials at the first
// and keeps the client for the next, as oscpy's program keeps its
// OSCClient; a program that reads replies, or sends typed values without
// allocating, dials a Client of its own (Example_pingPong).
func Example_clientLoop() {
	url, done := receive(10) // (peer)
	for i := range 10 {
		if err := osc.SendAny(url, "/ping", i); err != nil {
			log.Fatal(err)
		}
	}
	done() // (peer)
	// Output:
	// /ping [0]
	// /ping [1]
	// /ping [2]
	// /ping [3]
	// /ping [4]
	// /ping [5]
	// /ping [6]
	// /ping [7]
	// /ping [8]
	// /ping [9]
}

// oscpy's encoding example: OSC strings are UTF-8 in Go, with nothing to
// set.
func Example_encoding() {
	got := make(chan []any)
	var srv osc.Server
	srv.HandleFunc("/encoded", func(w osc.ResponseWriter, req *osc.Request) { got <- req.Message.AnyArgs() })
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	c, err := osc.Dial(ep.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.SendAny("/encoded", "hello world", "ééééé ààààà")
	fmt.Println(<-got)
	// Output: [hello world ééééé ààààà]
}
