package wire_test

import (
	"errors"
	"fmt"

	"github.com/osckit/osc/wire"
)

func ExampleEncoder() {
	var e wire.Encoder
	e.Message("/synth/1/freq").Int32(440).Float32(0.5).String("hello").End()
	pkt, err := e.Bytes()
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d bytes\n% x\n", len(pkt), pkt[:16])
	// Output:
	// 40 bytes
	// 2f 73 79 6e 74 68 2f 31 2f 66 72 65 71 00 00 00
}

func ExampleEncoder_bundle() {
	var e wire.Encoder
	e.BeginBundle(wire.NewTimetag(3_900_000_000, 0))
	e.Message("/a").Int32(1).End()
	e.BeginBundle(wire.Immediately).Message("/b").Bool(true).End().EndBundle()
	pkt, _ := e.EndBundle().Bytes()

	_ = wire.Walk(pkt, func(m wire.Message, tt wire.Timetag) error {
		fmt.Println(tt.Seconds(), m.String())
		return nil
	})
	// Output:
	// 3900000000 /a i 1
	// 3900000000 /b T #T
}

func ExampleParseMessage() {
	pkt, _ := wire.AppendMessage(nil, "/mixer/ch/3/fader", wire.Float32(0.75), wire.String("main"))
	m, err := wire.ParseMessage(pkt)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.AddressString(), string(m.TypeTags()), m.NumArgs())
	r := m.Args()
	for r.Next() {
		a := r.Arg()
		switch a.Type() {
		case wire.TypeFloat32:
			v, _ := a.Float32()
			fmt.Println("gain", v)
		case wire.TypeString:
			s, _ := a.StringBytes()
			fmt.Println("bus", string(s))
		}
	}
	// Output:
	// /mixer/ch/3/fader fs 2
	// gain 0.75
	// bus main
}

func ExampleOptions_ParseArgs() {
	pkt, _ := wire.AppendMessage(nil, "/synth/1/note", wire.Int32(60), wire.Float32(0.8), wire.String("piano"))

	// One pass validates the packet and collects the arguments, like
	// liblo's argv; a stack array keeps it free of allocations. The zero
	// Options decode strictly.
	var strict wire.Options
	var argv [8]wire.Arg
	m, args, err := strict.ParseArgs(pkt, argv[:0])
	if err != nil {
		panic(err)
	}
	note, _ := args[0].Int32()
	vel, _ := args[1].Float32()
	patch, _ := args[2].StringBytes()
	fmt.Println(m.AddressString(), string(m.TypeTags()), note, vel, string(patch))
	// Output:
	// /synth/1/note ifs 60 0.8 piano
}

func ExampleMessage_AppendArgs() {
	var e wire.Encoder
	e.BeginBundle(wire.Immediately)
	e.Message("/light/1").Float32(0.5).End()
	e.Message("/light/2").Float32(1).Int32(3).End()
	pkt, _ := e.EndBundle().Bytes()

	var argv [8]wire.Arg
	_ = wire.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
		args := m.AppendArgs(argv[:0])
		level, _ := args[0].Float32()
		fmt.Println(m.AddressString(), len(args), level)
		return nil
	})
	// Output:
	// /light/1 1 0.5
	// /light/2 2 1
}

func ExampleMessage_AnyArgs() {
	pkt, _ := wire.AppendMessage(nil, "/cue", wire.Int32(3), wire.String("go"), wire.Array(wire.Float32(0.5), wire.Bool(true)))
	m, _ := wire.ParseMessage(pkt)
	args := m.AnyArgs() // plain values that own their data
	clear(pkt)          // the packet's buffer may be reused
	for _, a := range args {
		fmt.Printf("%T %v\n", a, a)
	}
	// Output:
	// int32 3
	// string go
	// []interface {} [0.5 true]
}

func ExampleArg_Array() {
	pkt, _ := wire.AppendMessage(nil, "/xy", wire.Array(wire.Int32(3), wire.Int32(4)), wire.Impulse())
	m, _ := wire.ParseMessage(pkt)
	r := m.Args()
	r.Next()
	elems, _ := r.Arg().Array()
	for elems.Next() {
		v, _ := elems.Arg().Int32()
		fmt.Println(v)
	}
	fmt.Println(m.String())
	// Output:
	// 3
	// 4
	// /xy [ii]I [3 4] Impulse
}

func ExampleParseError() {
	// A blob that claims 2 GiB in a 16-byte packet.
	pkt := []byte("/a\x00\x00,b\x00\x00\x7f\xff\xff\xff\x00\x00\x00\x00")
	_, err := wire.ParseMessage(pkt)
	var pe *wire.ParseError
	fmt.Println(errors.As(err, &pe), pe.Off, pe.Arg)
	fmt.Println(err)
	// Output:
	// true 8 0
	// osc: invalid blob size at offset 8 (arg 0)
}

func ExampleMessage_Clone() {
	buf := make([]byte, 0, 64)
	buf, _ = wire.AppendMessage(buf, "/keep", wire.Int32(7))
	m, _ := wire.ParseMessage(buf)
	kept := m.Clone() // owns its bytes
	clear(buf[:cap(buf)])
	v, _ := kept.AppendArgs(nil)[0].Int32()
	fmt.Println(kept.AddressString(), v)
	// Output:
	// /keep 7
}

func ExampleOptions_lenient() {
	// An old sender that writes the address alone, without a type tag string.
	pkt := []byte("/foo\x00\x00\x00\x00")
	_, err := wire.ParseMessage(pkt)
	fmt.Println(err)
	lenient := wire.Options{Lenient: true}
	m, err := lenient.ParseMessage(pkt)
	fmt.Println(m.AddressString(), m.NumArgs(), err)
	// Output:
	// osc: invalid type tag string at offset 8
	// /foo 0 <nil>
}
