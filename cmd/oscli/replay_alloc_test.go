//go:build !race

package main

import (
	"net"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// TestReplayStepNoAllocs: once warm, the send loop's step (waiting,
// sleeping then polling the clock, rebasing a bundle's timetags, writing
// to a UDP destination) allocates nothing, so that no garbage collection
// starts during a replay.
func TestReplayStepNoAllocs(t *testing.T) {
	l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer l.Close()
	l.SetReadBuffer(4 << 20)
	c, err := osc.Dial("osc.udp://" + l.LocalAddr().String())
	require.NoError(t, err)
	defer c.Close()
	bundle := bundleOf(t, wire.TimetagOf(time.Now()), "/b")
	for _, mode := range []string{"keep", "rebase", "immediate"} {
		p := &player{timetags: mode, spin: 20 * time.Microsecond, start: time.Now(), done: make(chan struct{})}
		pks := []replayPacket{
			{data: msg(t, "/m", wire.Int32(1)), to: []*osc.Client{c}},
			{data: bundle, rec: 1000, to: []*osc.Client{c}, retime: mode != "keep"},
		}
		for k := range pks {
			pk := &pks[k]
			// Due 100 us after each call: the sleep and the polling run.
			step := func() { p.step(pk, time.Now().Add(100*time.Microsecond)) }
			step()
			require.Zero(t, testing.AllocsPerRun(200, step), "%s, packet %d", mode, k)
		}
		require.Zero(t, p.errs)
		require.Equal(t, 2*202, p.sent)
	}
}
