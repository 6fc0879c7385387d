package router_test

import (
	"fmt"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/router/routertest"
	"github.com/osckit/osc/wire"
)

func ExampleMatch() {
	fmt.Println(router.Match("/mixer/ch/*/fader", "/mixer/ch/3/fader"))
	fmt.Println(router.Match("/*", "/mixer/ch")) // '*' never crosses '/'
	fmt.Println(router.Match("/{gain,pan}/[0-9]", "/pan/7"))
	fmt.Println(router.Match("//fader", "/mixer/ch/3/fader")) // OSC 1.1: any number of levels
	fmt.Println(router.Match("/[abc", "/a"))                  // malformed: matches nothing
	// Output:
	// true
	// false
	// true
	// true
	// false
}

func ExampleRouter_Handle() {
	var rt router.Router
	rt.HandleFunc("/mixer/ch/1/fader", func(w router.ResponseWriter, r *router.Request) {
		// The argument views go into the handler's own array: no allocation.
		var argv [8]wire.Arg
		args := r.Message.AppendArgs(argv[:0])
		if len(args) != 1 {
			return
		}
		f, _ := args[0].Float32()
		fmt.Println(r.Method, f)
		// Answer the sender.
		w.Encoder().Message("/ack").Float32(f).End()
		_ = w.Flush()
	})
	rt.HandleFunc("/mixer/ch/2/fader", func(w router.ResponseWriter, r *router.Request) {
		fmt.Println(r.Method)
	})

	rec := routertest.NewRecorder()
	rt.ServeOSC(rec, routertest.NewRequest("/mixer/ch/1/fader", wire.Float32(0.5)))
	rt.ServeOSC(rec, routertest.NewRequest("/mixer/ch/*/fader", wire.Float32(0.25)))
	fmt.Println(len(rec.Packets), "replies")
	// Output:
	// /mixer/ch/1/fader 0.5
	// /mixer/ch/1/fader 0.25
	// /mixer/ch/2/fader
	// 2 replies
}

func ExampleRouter_Handle_pattern() {
	var rt router.Router
	rt.Handle("/synth/*/gate", router.HandlerFunc(func(w router.ResponseWriter, r *router.Request) {
		fmt.Println(r.Method, "matched", r.Message.AddressString())
	}))
	rt.NotFound(router.HandlerFunc(func(w router.ResponseWriter, r *router.Request) {
		fmt.Println("no method for", r.Message.AddressString())
	}))

	rec := routertest.NewRecorder()
	rt.ServeOSC(rec, routertest.NewRequest("/synth/3/gate", wire.Bool(true)))
	rt.ServeOSC(rec, routertest.NewRequest("/synth/3/freq", wire.Float32(440)))
	// Output:
	// /synth/*/gate matched /synth/3/gate
	// no method for /synth/3/freq
}

func ExampleTypes() {
	var rt router.Router
	rt.HandleFunc("/note", func(w router.ResponseWriter, r *router.Request) {
		fmt.Println("note with pitch and velocity")
	}, router.Types(",if"))
	rt.HandleFunc("/note", func(w router.ResponseWriter, r *router.Request) {
		fmt.Println("note off")
	}, router.Types(","))

	rec := routertest.NewRecorder()
	rt.ServeOSC(rec, routertest.NewRequest("/note", wire.Int32(60), wire.Float32(0.8)))
	rt.ServeOSC(rec, routertest.NewRequest("/note"))
	rt.ServeOSC(rec, routertest.NewRequest("/note", wire.String("C4"))) // no filter admits ",s"
	// Output:
	// note with pitch and velocity
	// note off
}
