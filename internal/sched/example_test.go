package sched_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/osckit/osc/internal/sched"
	"github.com/osckit/osc/wire"
)

// An immediate bundle is dispatched before Submit returns, its messages
// together and in order.
func ExampleScheduler_Submit() {
	s := sched.New(sched.Config{}, func(d *sched.Delivery[netip.AddrPort]) {
		fmt.Printf("group of %d from %v, %v:\n", d.Len(), d.Origin, d.Timetag)
		r := d.Messages()
		for r.Next() {
			m := r.Message()
			args := m.AnyArgs()
			fmt.Println(" ", m.AddressString(), args[0])
		}
	})
	defer s.Close(context.Background())

	var e wire.Encoder
	e.BeginBundle(wire.Immediately).
		Message("/synth/1/freq").Float32(440).End().
		Message("/synth/1/gate").Float32(1).End().
		EndBundle()
	pkt, _ := e.Bytes()

	from := netip.MustParseAddrPort("127.0.0.1:9000")
	if err := s.Submit(pkt, from); err != nil {
		fmt.Println(err)
	}
	// Output:
	// group of 2 from 127.0.0.1:9000, immediately:
	//   /synth/1/freq 440
	//   /synth/1/gate 1
}

// A bundle timed in the past is late: the policy decides, and Stats counts.
func ExampleLatePolicy() {
	s := sched.New(sched.Config{Late: sched.DropBeyondTolerance, Tolerance: time.Second},
		func(d *sched.Delivery[int]) {
			fmt.Printf("packet %d delivered, late by %v\n", d.Origin, d.Late.Round(100*time.Millisecond))
		})
	defer s.Close(context.Background())

	var e wire.Encoder
	for i, ago := range []time.Duration{500 * time.Millisecond, time.Minute} {
		e.Reset()
		e.BeginBundle(wire.TimetagOf(time.Now().Add(-ago))).Message("/note").Int32(60).End().EndBundle()
		pkt, _ := e.Bytes()
		_ = s.Submit(pkt, i)
	}
	st := s.Stats()
	fmt.Println("late:", st.Late, "dropped:", st.DroppedLate)
	// Output:
	// packet 0 delivered, late by 500ms
	// late: 2 dropped: 1
}

// A future bundle waits in the queue, or runs at once with IgnoreTimetags.
// A bundle timed beyond MaxHorizon is refused.
func ExampleConfig() {
	var ran []string
	record := func(d *sched.Delivery[int]) {
		r := d.Messages()
		for r.Next() {
			ran = append(ran, r.Message().AddressString())
		}
	}
	var e wire.Encoder
	e.BeginBundle(wire.TimetagOf(time.Now().Add(time.Minute))).Message("/later").End().EndBundle()
	inAMinute, _ := e.Bytes()

	s := sched.New(sched.Config{MaxHorizon: time.Hour}, record)
	_ = s.Submit(inAMinute, 0)
	fmt.Println("queued:", s.Len(), "ran:", ran)
	_ = s.Close(context.Background()) // drops the queued bundle
	fmt.Println("dropped at close:", s.Stats().DroppedAtClose)

	s = sched.New(sched.Config{IgnoreTimetags: true}, record)
	defer s.Close(context.Background())
	_ = s.Submit(inAMinute, 0)
	fmt.Println("queued:", s.Len(), "ran:", ran)

	quiet := slog.New(slog.DiscardHandler) // refusals are logged, rate-limited
	s2 := sched.New(sched.Config{MaxHorizon: time.Second, Logger: quiet}, record)
	defer s2.Close(context.Background())
	fmt.Println(s2.Submit(inAMinute, 0))
	// Output:
	// queued: 1 ran: []
	// dropped at close: 1
	// queued: 0 ran: [/later]
	// osc: bundle timetag beyond scheduling horizon
}
