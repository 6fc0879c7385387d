package mdns

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/osckit/osc/internal/netnstest"
	"github.com/stretchr/testify/require"
)

// in runs fn in the namespace and fails the test on error.
func in(t *testing.T, ns *netnstest.NS, fn func() error) {
	t.Helper()
	require.NoError(t, ns.Do(fn))
}

// waitFor waits (at most d) until cond holds for the browser's instances.
func waitFor(t *testing.T, b *Browser, d time.Duration, what string, cond func([]Instance) bool) []Instance {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		ins := b.Instances()
		if cond(ins) {
			return ins
		}
		select {
		case <-b.Changed():
		case <-deadline.C:
			t.Fatalf("after %v, %s: instances %+v", d, what, ins)
		}
	}
}

func find(ins []Instance, name, typ string) (Instance, bool) {
	for _, in := range ins {
		if in.Name == name && in.Type == typ && in.Port != 0 && len(in.Addrs) > 0 {
			return in, true
		}
	}
	return Instance{}, false
}

func TestAnnounceBrowseGoodbyeAcrossHosts(t *testing.T) {
	a, b := netnstest.Pair(t)
	var r *Responder
	var br *Browser
	in(t, a, func() (err error) {
		r, err = NewResponder(ResponderConfig{Host: "host-a"})
		return err
	})
	in(t, b, func() (err error) {
		br, err = NewBrowser(Config{}, "_oscjson._tcp", "_osc._udp")
		return err
	})
	defer br.Close()
	name, err := r.Register("My.App", Service{Type: "_oscjson._tcp", Port: 8080, Text: []string{"txtvers=1"}},
		Service{Type: "_osc._udp", Port: 9000})
	require.NoError(t, err)
	require.Equal(t, "My.App", name)
	ins := waitFor(t, br, 5*time.Second, "both services of My.App resolved", func(ins []Instance) bool {
		_, ok1 := find(ins, "My.App", "_oscjson._tcp")
		_, ok2 := find(ins, "My.App", "_osc._udp")
		return ok1 && ok2
	})
	j, _ := find(ins, "My.App", "_oscjson._tcp")
	require.Equal(t, uint16(8080), j.Port)
	require.Equal(t, "host-a.local", j.Host)
	require.Equal(t, []string{"txtvers=1"}, j.Text)
	require.Contains(t, j.Addrs, netip.MustParseAddr(a.Addr))
	require.NotContains(t, j.Addrs, netip.MustParseAddr("127.0.0.1"), "the A records are those of the interface the answer leaves")

	require.NoError(t, r.Close())
	waitFor(t, br, 3*time.Second, "goodbyes followed", func(ins []Instance) bool { return len(ins) == 0 })
}

func TestConflictRenames(t *testing.T) {
	ns := netnstest.New(t)
	var r1, r2 *Responder
	in(t, ns, func() (err error) {
		if r1, err = NewResponder(ResponderConfig{Host: "one"}); err != nil {
			return err
		}
		r2, err = NewResponder(ResponderConfig{Host: "two"})
		return err
	})
	defer r1.Close()
	defer r2.Close()
	n1, err := r1.Register("app", Service{Type: "_osc._udp", Port: 1})
	require.NoError(t, err)
	n2, err := r2.Register("app", Service{Type: "_osc._udp", Port: 2})
	require.NoError(t, err)
	require.Equal(t, "app", n1)
	require.Equal(t, "app (2)", n2)
}

func TestLegacyUnicastQuery(t *testing.T) {
	ns := netnstest.New(t)
	var r *Responder
	var c *net.UDPConn
	in(t, ns, func() (err error) {
		if r, err = NewResponder(ResponderConfig{Host: "legacy", Config: Config{NoIPv6: true}}); err != nil {
			return err
		}
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		return err
	})
	defer r.Close()
	defer c.Close()
	_, err := r.Register("x", Service{Type: "_osc._udp", Port: 7})
	require.NoError(t, err)
	q, _ := (&Message{ID: 0x1234, Questions: []Question{{Name: "x._osc._udp.local", Type: TypeSRV}}}).Append(nil)
	_, err = c.WriteToUDP(q, &net.UDPAddr{IP: group4.AsSlice(), Port: Port})
	require.NoError(t, err)
	buf := make([]byte, MaxPacket)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(3*time.Second)))
	n, _, err := c.ReadFromUDP(buf)
	require.NoError(t, err, "no unicast answer to a legacy query")
	m, err := Parse(buf[:n])
	require.NoError(t, err)
	require.Equal(t, uint16(0x1234), m.ID, "the answer echoes the query's ID")
	require.Len(t, m.Questions, 1)
	require.NotEmpty(t, m.Answers)
	srv := m.Answers[0]
	require.Equal(t, TypeSRV, srv.Type)
	require.Equal(t, uint16(7), srv.Port)
	require.LessOrEqual(t, srv.TTL, uint32(legacyTTL))
	require.False(t, srv.CacheFlush)
}

func TestKnownAnswerSuppression(t *testing.T) {
	ns := netnstest.New(t)
	var r *Responder
	var c *net.UDPConn
	in(t, ns, func() (err error) {
		if r, err = NewResponder(ResponderConfig{Host: "kas", Config: Config{NoIPv6: true}}); err != nil {
			return err
		}
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		return err
	})
	defer r.Close()
	defer c.Close()
	_, err := r.Register("k", Service{Type: "_osc._udp", Port: 7})
	require.NoError(t, err)
	ptr := Record{Name: "_osc._udp.local", Type: TypePTR, TTL: otherTTL, Target: "k._osc._udp.local"}
	q, _ := (&Message{Questions: []Question{{Name: "_osc._udp.local", Type: TypePTR}}, Answers: []Record{ptr}}).Append(nil)
	_, err = c.WriteToUDP(q, &net.UDPAddr{IP: group4.AsSlice(), Port: Port})
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
	_, _, err = c.ReadFromUDP(make([]byte, MaxPacket))
	require.Error(t, err, "a known answer was sent again")
}

func TestHostilePackets(t *testing.T) {
	ns := netnstest.New(t)
	var r *Responder
	var br *Browser
	var c *net.UDPConn
	in(t, ns, func() (err error) {
		if r, err = NewResponder(ResponderConfig{Host: "sturdy", Config: Config{NoIPv6: true}}); err != nil {
			return err
		}
		if br, err = NewBrowser(Config{NoIPv6: true}, "_osc._udp"); err != nil {
			return err
		}
		lc := net.ListenConfig{Control: reusePort}
		pc, err := lc.ListenPacket(context.Background(), "udp4", "127.0.0.1:5353")
		if err == nil {
			c = pc.(*net.UDPConn)
		}
		return err
	})
	defer r.Close()
	defer br.Close()
	defer c.Close()
	group := &net.UDPAddr{IP: group4.AsSlice(), Port: Port}
	hdr := []byte{0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	bad := [][]byte{
		{1, 2, 3},
		append(append([]byte{}, hdr...), 0xc0, 12, 0, 1, 0, 1),
		{0, 0, 0x84, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	for _, p := range bad {
		_, err := c.WriteToUDP(p, group)
		require.NoError(t, err)
	}
	// A flood of well-formed announcements of distinct records: the cache
	// stays bounded and the excess is counted.
	for i := range MaxCache + 200 {
		m := &Message{Flags: flagResponse, Answers: []Record{{Name: "flood.local", Type: TypeA, TTL: 100,
			Addr: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})}}}
		p, _ := m.Append(nil)
		_, err := c.WriteToUDP(p, group)
		require.NoError(t, err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for br.Stats.Malformed.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.GreaterOrEqual(t, br.Stats.Malformed.Load(), uint64(3))
	require.Positive(t, br.Stats.Limited.Load(), "one source flooding is rate-limited")
	br.mu.Lock()
	require.LessOrEqual(t, len(br.cache), MaxCache)
	br.mu.Unlock()

	// The responder still serves everyone else.
	_, err := r.Register("still", Service{Type: "_osc._udp", Port: 5})
	require.NoError(t, err)
	var br2 *Browser
	in(t, ns, func() (err error) {
		br2, err = NewBrowser(Config{NoIPv6: true}, "_osc._udp")
		return err
	})
	defer br2.Close()
	waitFor(t, br2, 5*time.Second, "the service found after the flood", func(ins []Instance) bool {
		_, ok := find(ins, "still", "_osc._udp")
		return ok
	})
}

// TestQueryJustAfterMulticast: a query that comes less than a second
// after the records were multicast (a browser that has just started) is
// answered when the second is over, not dropped.
func TestQueryJustAfterMulticast(t *testing.T) {
	ns := netnstest.New(t)
	var r *Responder
	var c *net.UDPConn
	in(t, ns, func() (err error) {
		if r, err = NewResponder(ResponderConfig{Host: "late", Config: Config{NoIPv6: true}}); err != nil {
			return err
		}
		lc := net.ListenConfig{Control: reusePort}
		pc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:5353")
		if err != nil {
			return err
		}
		c = pc.(*net.UDPConn)
		return joinLo(c)
	})
	defer r.Close()
	defer c.Close()
	_, err := r.Register("late", Service{Type: "_osc._udp", Port: 7})
	require.NoError(t, err)
	q, _ := (&Message{Questions: []Question{{Name: "_osc._udp.local", Type: TypePTR}}}).Append(nil)
	_, err = c.WriteToUDP(q, &net.UDPAddr{IP: group4.AsSlice(), Port: Port})
	require.NoError(t, err)
	// The answer, unlike the announcements, has the SRV record among
	// its additionals.
	buf := make([]byte, MaxPacket)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(3*time.Second)))
	for {
		n, _, err := c.ReadFromUDP(buf)
		require.NoError(t, err, "the query was not answered")
		m, err := Parse(buf[:n])
		require.NoError(t, err)
		if m.IsResponse() && len(m.Additionals) > 0 && m.Additionals[0].Type == TypeSRV {
			break
		}
	}
}

// TestBrowserRefreshes: a record 80% through its TTL is asked for again,
// by name and type, before it expires.
func TestBrowserRefreshes(t *testing.T) {
	ns := netnstest.New(t)
	var br *Browser
	var c *net.UDPConn
	in(t, ns, func() (err error) {
		lc := net.ListenConfig{Control: reusePort}
		pc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:5353")
		if err != nil {
			return err
		}
		c = pc.(*net.UDPConn)
		if err := joinLo(c); err != nil {
			return err
		}
		br, err = NewBrowser(Config{NoIPv6: true}, "_osc._udp")
		return err
	})
	defer br.Close()
	defer c.Close()
	resp := &Message{Flags: flagResponse | flagAuthoritative, Answers: []Record{
		{Name: "_osc._udp.local", Type: TypePTR, TTL: 100, Target: "short._osc._udp.local"},
		{Name: "short._osc._udp.local", Type: TypeSRV, TTL: 6, CacheFlush: true, Port: 9, Target: "h.local"},
		{Name: "h.local", Type: TypeA, TTL: 100, CacheFlush: true, Addr: netip.MustParseAddr("127.0.0.1")},
	}}
	p, _ := resp.Append(nil)
	_, err := c.WriteToUDP(p, &net.UDPAddr{IP: group4.AsSlice(), Port: Port})
	require.NoError(t, err)
	waitFor(t, br, 3*time.Second, "resolved", func(ins []Instance) bool { _, ok := find(ins, "short", "_osc._udp"); return ok })
	buf := make([]byte, MaxPacket)
	// Asked between 4.8 s (80%) and 6 s, with the browser's 1 s tick.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(6*time.Second)))
	for {
		n, _, err := c.ReadFromUDP(buf)
		require.NoError(t, err, "the SRV record was not asked for before it expired")
		m, err := Parse(buf[:n])
		require.NoError(t, err)
		if !m.IsResponse() && slices.Contains(m.Questions, Question{Name: "short._osc._udp.local", Type: TypeSRV}) {
			break
		}
	}
}

func TestRouteInterface(t *testing.T) {
	a, _ := netnstest.Pair(t)
	one := netnstest.New(t)
	for _, c := range []struct {
		ns   *netnstest.NS
		want string
	}{{a, a.Link}, {one, "lo"}} {
		var ifi net.Interface
		in(t, c.ns, func() (err error) {
			ifi, err = RouteInterface()
			return err
		})
		require.Equal(t, c.want, ifi.Name)
	}
}

// TestGoodbyeDefended: goodbyes another host sends for a service that is
// still announced (an exiting earlier instance, say) make the responder
// announce it again, and a browser that dropped it finds it back.
func TestGoodbyeDefended(t *testing.T) {
	ns := netnstest.New(t)
	var r *Responder
	var br *Browser
	var c *net.UDPConn
	in(t, ns, func() (err error) {
		if r, err = NewResponder(ResponderConfig{Host: "stay", Config: Config{NoIPv6: true}}); err != nil {
			return err
		}
		if br, err = NewBrowser(Config{NoIPv6: true}, "_osc._udp"); err != nil {
			return err
		}
		lc := net.ListenConfig{Control: reusePort}
		pc, err := lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:5353")
		if err == nil {
			c = pc.(*net.UDPConn)
		}
		return err
	})
	defer r.Close()
	defer br.Close()
	defer c.Close()
	_, err := r.Register("stay", Service{Type: "_osc._udp", Port: 7})
	require.NoError(t, err)
	waitFor(t, br, 5*time.Second, "found", func(ins []Instance) bool { _, ok := find(ins, "stay", "_osc._udp"); return ok })
	time.Sleep(3500 * time.Millisecond) // the three announcements are over
	bye := &Message{Flags: flagResponse | flagAuthoritative, Answers: []Record{
		{Name: "_osc._udp.local", Type: TypePTR, TTL: 0, Target: "stay._osc._udp.local"},
		{Name: "stay._osc._udp.local", Type: TypeSRV, TTL: 0, CacheFlush: true, Port: 7, Target: "stay.local"},
	}}
	p, _ := bye.Append(nil)
	sent := r.Stats.Sent.Load()
	_, err = c.WriteToUDP(p, &net.UDPAddr{IP: group4.AsSlice(), Port: Port})
	require.NoError(t, err)
	// The browser drops the service on the goodbye (maybe too briefly to
	// be seen here) and finds it back in the announcement that follows.
	deadline := time.Now().Add(2 * time.Second)
	for r.Stats.Sent.Load() == sent && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Greater(t, r.Stats.Sent.Load(), sent, "no announcement after the goodbye")
	waitFor(t, br, 2*time.Second, "announced again", func(ins []Instance) bool { _, ok := find(ins, "stay", "_osc._udp"); return ok })
}
