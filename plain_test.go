package osc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestSendAny sends plain Go values over UDP and TCP; the handler reads
// them as plain values and answers with plain values, which the client
// reads back.
func TestSendAny(t *testing.T) {
	for _, url := range []string{"osc.udp://127.0.0.1:0", "osc.tcp://127.0.0.1:0"} {
		t.Run(url[:7], func(t *testing.T) {
			got := make(chan []any, 1)
			r := router.New()
			r.HandleFunc("/ping", func(w router.ResponseWriter, req *router.Request) {
				args := req.Message.AnyArgs()
				select {
				case got <- args:
				default:
				}
				if err := w.SendAny("/pong", args[0].(int32)+1, "ok", []any{true, nil}); err != nil {
					panic(err)
				}
			})
			s := newServer(t, r)
			ep := listen(t, s, url)
			c := dial(t, ep.URL())
			require.NoError(t, c.SendAny("/ping", 41, 2.5, "hi", []byte{7}, int64(3), []any{1, "x"}))
			args := within(t, got, 5*time.Second, "the message")
			require.Equal(t, []any{int32(41), float32(2.5), "hi", []byte{7}, int64(3), []any{int32(1), "x"}}, args)

			pkt, err := c.Receive(ctxTimeout(t, 5*time.Second))
			require.NoError(t, err)
			m, err := wire.ParseMessage(pkt)
			require.NoError(t, err)
			require.Equal(t, "/pong", m.AddressString())
			require.Equal(t, []any{int32(42), "ok", []any{true, nil}}, m.AnyArgs())
		})
	}
}

// TestSendAnyNoOSCType refuses a value without an OSC type with a
// *wire.TypeError naming the argument, and sends nothing.
func TestSendAnyNoOSCType(t *testing.T) {
	got := make(chan string, 4)
	s := newServer(t, router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
		got <- req.Message.AddressString()
	}))
	ep := listen(t, s, "127.0.0.1:0")
	c := dial(t, ep.URL())
	err := c.SendAny("/bad", 1, map[string]int{"a": 1})
	var te *wire.TypeError
	require.ErrorAs(t, err, &te)
	require.Equal(t, 1, te.Arg)
	require.NoError(t, c.SendAny("/good"))
	require.Equal(t, "/good", within(t, got, 5*time.Second, "the good message"))
}
