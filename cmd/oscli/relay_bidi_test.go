package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/wire"
)

// TestRelayBidirectional: many senders on UDP, TCP, WebSocket and a named
// UNIX socket each send their own address through a rewriting relay to
// three echoing destinations (UDP, TCP, WebSocket); each sender gets back
// exactly the replies to its own address, the rewrite undone, one from
// each destination. An unbound UNIX sender cannot be answered: its
// replies are counted, not lost silently.
func TestRelayBidirectional(t *testing.T) {
	var dests []string
	for _, u := range []string{"osc.udp://127.0.0.1:0", "osc.tcp://127.0.0.1:0", "osc.ws://127.0.0.1:0/osc"} {
		dests = append(dests, start(t, "echo", "-timeout", "30s", u).listening(t))
	}
	sock := filepath.Join(t.TempDir(), "relay.sock")
	args := []string{"relay", "-timeout", "30s", "-bidirectional", "-rewrite", "/s=/dev",
		"-from", "osc.udp://127.0.0.1:0", "-from", "osc.tcp://127.0.0.1:0", "-from", "osc.ws://127.0.0.1:0/osc",
		"-from", "osc.unix://" + sock}
	for _, d := range dests {
		args = append(args, "-to", d)
	}
	r := start(t, args...)
	var froms []string
	for range 4 {
		froms = append(froms, relayURL(t, r))
	}
	const perTransport = 8
	type sender struct {
		c    *osc.Client
		addr string
	}
	var senders []sender
	for i, from := range froms {
		n := perTransport
		if strings.HasPrefix(from, "osc.unix") {
			n = 2
		}
		for j := range n {
			c, err := osc.Dial(from)
			require.NoError(t, err, from)
			t.Cleanup(func() { c.Close() })
			senders = append(senders, sender{c, fmt.Sprintf("/s/%d/%d", i, j)})
		}
	}
	// The destinations' connections open in the background (what waits
	// meanwhile is queued): a probe of its own, whose replies are not
	// checked below, sends until replies come back.
	probe, err := osc.Dial(froms[1])
	require.NoError(t, err)
	defer probe.Close()
	for k := range dests {
		require.Eventually(t, func() bool {
			require.NoError(t, probe.Send(fmt.Sprintf("/probe/%d", k)))
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := probe.Receive(ctx)
			return err == nil
		}, 10*time.Second, 10*time.Millisecond, "no reply through the relay")
	}
	for _, s := range senders {
		require.NoError(t, s.c.Send(s.addr, wire.Int32(7)))
	}
	for _, s := range senders {
		want, err := wire.AppendMessage(nil, s.addr, wire.Int32(7))
		require.NoError(t, err)
		for k := range len(dests) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			pkt, err := s.c.Receive(ctx)
			cancel()
			require.NoError(t, err, "%s: reply %d of %d", s.addr, k+1, len(dests))
			require.Equal(t, want, pkt, "%s gets the replies to its own address", s.addr)
		}
	}
	for _, s := range senders {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		pkt, err := s.c.Receive(ctx)
		cancel()
		require.Error(t, err, "%s: a reply too many: %q", s.addr, pkt)
	}

	// An unbound UNIX sender: three replies that cannot go back.
	uc, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	require.NoError(t, err)
	defer uc.Close()
	m, err := wire.AppendMessage(nil, "/s/unbound")
	require.NoError(t, err)
	_, err = uc.Write(m)
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond)
	r.cancel()
	var line string
	for l := range r.err {
		if strings.Contains(l, "replies sent=") {
			line = l
		}
	}
	n := len(senders) * len(dests)
	require.Contains(t, line, fmt.Sprintf("unanswerable=%d ", len(dests)), line)
	require.Contains(t, line, " failed=0 ", line)
	require.Regexp(t, `sent=\d+ `, line)
	var sent int
	_, err = fmt.Sscanf(line[strings.Index(line, "sent="):], "sent=%d", &sent)
	require.NoError(t, err)
	require.GreaterOrEqual(t, sent, n, line)
}

// TestRelayRoutesCap: past -routes addresses, a new one replaces another,
// counted; the newest sender of an address is the one answered; an
// address longer than router.MaxLen is not remembered, counted.
func TestRelayRoutesCap(t *testing.T) {
	rt := newRoutes(4)
	for i := range 10 {
		m, err := wire.AppendMessage(nil, fmt.Sprintf("/a/%d", i))
		require.NoError(t, err)
		rt.remember(m, &osc.Packet{Data: m, Remote: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(1000+i))})
	}
	require.Equal(t, 4, rt.len())
	require.Equal(t, uint64(6), rt.evicted.Load())
	m, err := wire.AppendMessage(nil, "/a/9")
	require.NoError(t, err)
	o, ok := rt.lookup(m)
	require.True(t, ok, "the newest address is kept")
	require.Equal(t, uint16(1009), o.addr.Port())
	rt.remember(m, &osc.Packet{Data: m, Remote: netip.MustParseAddrPort("127.0.0.1:2000")})
	o, _ = rt.lookup(m)
	require.Equal(t, uint16(2000), o.addr.Port(), "the newest sender wins")
	require.Equal(t, 4, rt.len())

	long, err := wire.AppendMessage(nil, "/"+strings.Repeat("x", 2000))
	require.NoError(t, err)
	rt.remember(long, &osc.Packet{Data: long, Remote: netip.MustParseAddrPort("127.0.0.1:3000")})
	require.Equal(t, 4, rt.len(), "an address over router.MaxLen is not remembered")
	require.Equal(t, uint64(1), rt.long.Load())
	require.Equal(t, uint64(6), rt.evicted.Load())
}
