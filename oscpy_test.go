package osc_test

// Tests named after oscpy's test suite (tests/test_server.py), each checking
// over real sockets that osckit does what an oscpy program expects.

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// TestOscpyAdvancedMatching sends oscpy's test_advanced_matching bundle to
// pattern bindings: incoming addresses that contain ? * [ reach a pattern
// whose bytes they match as a literal address.
func TestOscpyAdvancedMatching(t *testing.T) {
	var mu sync.Mutex
	result := map[string][]int32{}
	done := make(chan struct{}, 1)
	r := router.New()
	bind := func(name, pattern string) {
		_, err := r.Handle(pattern, router.HandlerFunc(func(w router.ResponseWriter, req *router.Request) {
			v, _ := req.Message.AppendArgs(nil)[0].Int32()
			mu.Lock()
			result[name] = append(result[name], v)
			mu.Unlock()
		}))
		require.NoError(t, err)
	}
	bind("singlechar", "/?")
	bind("twochars", "/??")
	bind("prefix", "/prefix*")
	bind("suffix", "/*suffix")
	bind("somechars", "/[abcd]")
	bind("somestrings", "/{string1,string2}")
	bind("parts", "/part1/part2")
	bind("parts_star", "/part1/*/part3")
	bind("parts_prefix", "/part1/part2/?")
	bind("parts_somechars", "/part1/[abcd]/part3")
	bind("parts_somecharsrange", "/part1/[c-f]/part3")
	bind("parts_notsomechars", "/part1/[!abcd]/part3")
	bind("parts_notsomecharsrange", "/part1/[!c-f]/part3")
	bind("parts_somestrings", "/part1/{string1,string2}/part3")
	bind("parts_somestrings2", "/part1/part2/{string1,string2}")
	bind("parts_somestrings3", "/part1/part2/prefix-{string1,string2}")
	// Two parts, so that none of the incoming patterns below (/?* say)
	// matches it.
	r.HandleFunc("/test/done", func(router.ResponseWriter, *router.Request) { done <- struct{}{} })

	s := newServer(t, r)
	ep := listen(t, s, "osc.udp://127.0.0.1:0")
	c := dial(t, ep.URL())

	sent := []struct {
		addr string
		v    int32
	}{
		{"/a", 1}, {"/b", 2}, {"/z", 3}, {"/1", 3}, {"/?", 4},
		{"/ab", 5}, {"/bb", 6}, {"/z?", 7}, {"/??", 8}, {"/?*", 9},
		{"/prefixab", 10}, {"/prefixbb", 11}, {"/prefixz?", 12}, {"/prefix??", 13}, {"/prefix?*", 14},
		{"/absuffix", 15}, {"/bbsuffix", 16}, {"/z?suffix", 17}, {"/??suffix", 18}, {"/?*suffix", 19},
		{"/string1", 20}, {"/string2", 21}, {"/string1aa", 22}, {"/string1b", 23}, {"/string1?", 24}, {"/astring1?", 25},
		{"/part1", 26}, {"/part1/part", 27}, {"/part1/part2", 28}, {"/part1/part3/part2", 29}, {"/part1/part2/part3", 30}, {"/part1/part?/part2", 31},
		{"/part1", 32}, {"/part1/a/part", 33}, {"/part1/b/part2", 34}, {"/part1/c/part3/part2", 35}, {"/part1/d/part2/part3", 36}, {"/part1/e/part?/part2", 37},
		{"/part1/test/part2", 38}, {"/part1/a/part2", 39}, {"/part1/b/part2", 40}, {"/part1/c/part2/part2", 41}, {"/part1/d/part2/part3", 42}, {"/part1/0/part2", 43},
		{"/part1/string1/part", 45}, {"/part1/string2/part3", 46}, {"/part1/part2/string1", 47}, {"/part1/part2/string2", 48},
		{"/part1/part2/prefix-string1", 49}, {"/part1/part2/sprefix-tring2", 50},
	}
	require.NoError(t, c.SendBundle(wire.Immediately, func(e *wire.Encoder) {
		for _, m := range sent {
			e.Message(m.addr).Int32(m.v).End()
		}
	}))
	require.NoError(t, c.Send("/test/done"))
	within(t, done, 5*time.Second, "/test/done after the bundle")

	want := map[string][]int32{
		"singlechar":         {1, 2, 3, 3, 4},
		"twochars":           {5, 6, 7, 8, 9},
		"prefix":             {10, 11, 12, 13, 14},
		"suffix":             {15, 16, 17, 18, 19},
		"somechars":          {1, 2},
		"somestrings":        {20, 21},
		"parts":              {28},
		"parts_star":         {30, 46},
		"parts_somestrings":  {46},
		"parts_somestrings2": {47, 48},
		"parts_somestrings3": {49},
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, want, result)
}

// TestOscpyFormatMessageNullTerminatedAddress sends an address that ends in
// its NUL padding (oscpy's test_format_message_null_terminated_address):
// the encoder trims the padding instead of refusing the address.
func TestOscpyFormatMessageNullTerminatedAddress(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	ep := listen(t, s, "osc.udp://127.0.0.1:0")
	c := dial(t, ep.URL())

	require.NoError(t, c.Send("/test\x00\x00\x00", wire.Int32(1)))
	require.Equal(t, "/test", recv(t, ch).addr)

	want, err := wire.AppendMessage(nil, "/test", wire.Int32(2))
	require.NoError(t, err)
	pkt, err := wire.AppendMessage(nil, "/test\x00", wire.Int32(2))
	require.NoError(t, err)
	require.Equal(t, want, pkt)
	var e wire.Encoder
	pkt, err = e.Message("/test\x00\x00\x00\x00").Int32(2).End().Bytes()
	require.NoError(t, err)
	require.Equal(t, want, pkt)
	_, err = c.Write(pkt)
	require.NoError(t, err)
	g := recv(t, ch)
	require.Equal(t, "/test", g.addr)

	// A NUL inside the address is still refused.
	require.ErrorContains(t, c.Send("/te\x00st", wire.Int32(3)), "invalid address")
}

// TestOscpyValidateMessageAddressDisabled sends a message whose address has
// no leading '/' (oscpy's test_validate_message_address_disabled): a server
// decoding with LooseAddress hands it to its handler, a strict one counts it
// as malformed.
func TestOscpyValidateMessageAddressDisabled(t *testing.T) {
	pkt := []byte("malformed\x00\x00\x00,s\x00\x00message\x00")

	ch := make(chan got, 4)
	loose := &osc.Server{Handler: recorder(t, ch), Logger: quietLogger, Decode: wire.Options{LooseAddress: true}}
	t.Cleanup(func() { require.NoError(t, loose.Shutdown(ctxTimeout(t, 5*time.Second))) })
	ep := listen(t, loose, "osc.udp://127.0.0.1:0")
	c := dial(t, ep.URL())
	_, err := c.Write(pkt)
	require.NoError(t, err)
	g := recv(t, ch)
	require.Equal(t, "malformed", g.addr)
	require.Equal(t, []any{"message"}, g.vals)

	strict := newServer(t, recorder(t, ch))
	ep = listen(t, strict, "osc.udp://127.0.0.1:0")
	c = dial(t, ep.URL())
	_, err = c.Write(pkt)
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for ep.Stats().Malformed == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.EqualValues(t, 1, ep.Stats().Malformed)
	require.Empty(t, ch)
}

// TestOscpyListenDefault: the endpoint opened with ListenDefault is the
// default, a second default is refused while it is open, and another one
// may be opened once it is closed (oscpy's test_listen_default). A plain
// Listen does not make a default.
func TestOscpyListenDefault(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	plain := listen(t, s, "osc.udp://127.0.0.1:0")
	require.Nil(t, s.Default())

	a, err := s.ListenDefault("osc.udp://127.0.0.1:0", nil)
	require.NoError(t, err)
	require.Equal(t, a, s.Default())
	_, err = s.ListenDefault("osc.udp://127.0.0.1:0", nil)
	require.ErrorIs(t, err, osc.ErrConfig)
	require.Len(t, s.Endpoints(), 2, "a refused default opens nothing")

	// The default sends: the plain endpoint hears it, from a's port.
	pkt, err := wire.AppendMessage(nil, "/from/default", wire.Int32(1))
	require.NoError(t, err)
	to := netip.MustParseAddrPort(plain.Addr().String())
	_, err = s.WriteTo(pkt, to)
	require.NoError(t, err)
	g := recv(t, ch)
	require.Equal(t, "/from/default", g.addr)
	require.Equal(t, a.Addr().String(), g.from.String())

	require.NoError(t, a.Close())
	require.Nil(t, s.Default())
	b, err := s.ListenDefault("osc.udp://127.0.0.1:0", nil)
	require.NoError(t, err)
	require.Equal(t, b, s.Default())

	// SetDefault replaces the default on purpose; a closed endpoint
	// leaves none.
	s.SetDefault(plain)
	require.Equal(t, plain, s.Default())
	s.SetDefault(a)
	require.Nil(t, s.Default())
	_, err = s.WriteTo(pkt, to)
	require.ErrorIs(t, err, osc.ErrNoDefault)
}

// TestOscpySendMessageWithoutSocket: a server without a default endpoint
// says so when asked to send (oscpy's test_send_message_without_socket).
func TestOscpySendMessageWithoutSocket(t *testing.T) {
	s := newServer(t, router.New())
	pkt, err := wire.AppendMessage(nil, "/test")
	require.NoError(t, err)
	to := netip.MustParseAddrPort("127.0.0.1:9")
	_, err = s.WriteTo(pkt, to)
	require.ErrorIs(t, err, osc.ErrNoDefault)
	listen(t, s, "osc.udp://127.0.0.1:0")
	_, err = s.WriteTo(pkt, to)
	require.ErrorIs(t, err, osc.ErrNoDefault, "a plain Listen makes no default")
}

// TestOscpyStopAll: after every endpoint is closed, the server listens
// again, on the same port (oscpy's test_stop_all); only Close ends it.
func TestOscpyStopAll(t *testing.T) {
	ch := make(chan got, 4)
	s := newServer(t, recorder(t, ch))
	a, err := s.ListenDefault("osc.udp://127.0.0.1:0", nil)
	require.NoError(t, err)
	listen(t, s, "osc.tcp://127.0.0.1:0")
	require.Len(t, s.Endpoints(), 2)
	for _, e := range s.Endpoints() {
		require.NoError(t, e.Close())
	}
	require.Empty(t, s.Endpoints())

	again := listen(t, s, a.URL())
	require.Equal(t, a.Addr().String(), again.Addr().String())
	require.Len(t, s.Endpoints(), 1)
	c := dial(t, again.URL())
	require.NoError(t, c.Send("/again"))
	require.Equal(t, "/again", recv(t, ch).addr)

	require.NoError(t, s.Close())
	_, err = s.Listen(a.URL(), nil)
	require.ErrorIs(t, err, osc.ErrServerClosed)
}

// reuseCount counts the calls of reuseSuccess, the callback that
// TestOscpyReuseCallback binds twice.
var reuseCount atomic.Int32

func reuseSuccess(router.ResponseWriter, *router.Request) { reuseCount.Add(1) }

// TestOscpyReuseCallback binds one callback twice to one address and once
// to another (oscpy's test_reuse_callback): one binding each, and a
// message runs the callback once.
func TestOscpyReuseCallback(t *testing.T) {
	r := router.New()
	b1, err := r.HandleFunc("/success", reuseSuccess)
	require.NoError(t, err)
	b2, err := r.HandleFunc("/success", reuseSuccess)
	require.NoError(t, err)
	require.Same(t, b1, b2)
	_, err = r.HandleFunc("/success2", reuseSuccess)
	require.NoError(t, err)
	count := map[string]int{}
	for _, b := range r.Bindings() {
		count[b.Method()]++
	}
	require.Equal(t, map[string]int{"/success": 1, "/success2": 1}, count)

	// A pattern and a comparable handler are kept once too; a different
	// type filter is another binding.
	done := make(chan struct{}, 4)
	h := router.HandlerFunc(func(router.ResponseWriter, *router.Request) { done <- struct{}{} })
	p1, err := r.Handle("/succ*", h)
	require.NoError(t, err)
	p2, err := r.Handle("/succ*", h)
	require.NoError(t, err)
	require.Same(t, p1, p2)
	typed, err := r.HandleFunc("/success", reuseSuccess, router.Types("i"))
	require.NoError(t, err)
	require.NotSame(t, b1, typed)
	require.Len(t, r.Bindings(), 4)

	s := newServer(t, r)
	ep := listen(t, s, "osc.udp://127.0.0.1:0")
	c := dial(t, ep.URL())
	require.NoError(t, c.Send("/success"))
	within(t, done, 5*time.Second, "the pattern binding")
	require.NoError(t, c.Send("/success2"))
	within(t, done, 5*time.Second, "the pattern binding")
	require.EqualValues(t, 2, reuseCount.Load(), "each message ran the callback once")
	select {
	case <-done:
		t.Fatal("the pattern binding ran twice")
	default:
	}
}

// TestOscpyGetVersion and TestOscpyGetRoutes: what oscpy answers on
// /_oscpy/version and /_oscpy/routes, a program reads directly: the
// module's version, the bound addresses and patterns, the bound sockets.
func TestOscpyGetVersion(t *testing.T) {
	// Tests run inside osckit's own module: the build records "(devel)".
	require.Equal(t, "(devel)", osc.Version())
}

func TestOscpyGetRoutes(t *testing.T) {
	r := router.New()
	r.HandleFunc("/test_route", reuseSuccess)
	_, err := r.Handle("/synth/*", router.HandlerFunc(reuseSuccess))
	require.NoError(t, err)
	var routes []string
	for _, b := range r.Bindings() {
		routes = append(routes, b.Method())
	}
	require.Equal(t, []string{"/test_route", "/synth/*"}, routes)

	s := newServer(t, r)
	ep := listen(t, s, "osc.udp://127.0.0.1:0")
	var addrs []net.Addr
	for _, e := range s.Endpoints() {
		addrs = append(addrs, e.Addr())
	}
	require.Equal(t, []net.Addr{ep.Addr()}, addrs)
}
