package main

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/sched"
	"github.com/osckit/osc/wire"
)

// relayURL waits for relay's listening line and returns its URL. With
// -stats, a status line may come first on a loaded machine: up to 20 lines
// are read.
func relayURL(t *testing.T, p *proc) string {
	t.Helper()
	for range 20 {
		l := next(t, p.err, "relay's listening line")
		if _, url, ok := strings.Cut(l, "listening on "); ok {
			return url
		}
	}
	t.Fatal("relay printed no listening line in its first 20 lines")
	return ""
}

// TestRelayFanOut: relay forwards what arrives on UDP to a UDP and a TCP
// dump, as it came, bundles included.
func TestRelayFanOut(t *testing.T) {
	du := start(t, "dump", "-timeout", "15s", "osc.udp://127.0.0.1:0")
	dt := start(t, "dump", "-timeout", "15s", "osc.tcp://127.0.0.1:0")
	r := start(t, "relay", "-timeout", "15s", "-stats", "100ms", "-from", "osc.udp://127.0.0.1:0",
		"-to", du.listening(t), "-to", dt.listening(t))
	url := relayURL(t, r)
	code, _, errOut := oscli(t, "", "send", url, "/a/x", "i", "1")
	require.Zero(t, code, errOut)
	require.Contains(t, next(t, du.out, "udp dump"), " /a/x i 1")
	require.Contains(t, next(t, dt.out, "tcp dump"), " /a/x i 1")
	code, _, errOut = oscli(t, "", "send", "-in", "1ms", url, "/b", "s", "hi")
	require.Zero(t, code, errOut)
	for _, d := range []*proc{du, dt} {
		require.Contains(t, next(t, d.out, "bundle"), "#bundle ")
		require.Contains(t, next(t, d.out, "its message"), ` /b s "hi"`)
	}
	require.Contains(t, next(t, r.err, "stats line"), "packets=")
}

// TestRelayFilterRewriteFlatten: -filter keeps /a/*, -rewrite moves it
// to /c, -flatten unbundles.
func TestRelayFilterRewriteFlatten(t *testing.T) {
	d := start(t, "dump", "-json", "-timeout", "15s", "osc.udp://127.0.0.1:0")
	r := start(t, "relay", "-timeout", "15s", "-filter", "/a/*", "-rewrite", "/a=/c", "-flatten",
		"-from", "osc.ws://127.0.0.1:0/", "-to", d.listening(t))
	url := relayURL(t, r)
	code, _, errOut := oscli(t, "", "send", "-json", url,
		`{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/a/x","args":[{"type":"i","value":1}]},{"address":"/b/y","args":[]},{"address":"/a/zz","args":[{"type":"s","value":"q"}]}]}`,
		`{"address":"/b","args":[]}`, `{"address":"/a/1","args":[]}`)
	require.Zero(t, code, errOut)
	require.Equal(t, `{"address":"/c/x","args":[{"type":"i","value":1}]}`, next(t, d.out, "first"))
	require.Equal(t, `{"address":"/c/zz","args":[{"type":"s","value":"q"}]}`, next(t, d.out, "second"))
	require.Equal(t, `{"address":"/c/1","args":[]}`, next(t, d.out, "third"))
}

// TestRelayStalledDestination: a TCP destination that accepts and never
// reads fills its queue and drops, counted; the other destination, whose
// queue is as large but which reads, gets every packet.
func TestRelayStalledDestination(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepts, never reads
		}
	}()
	d := start(t, "dump", "-timeout", "30s", "osc.tcp://127.0.0.1:0")
	r := start(t, "relay", "-timeout", "30s", "-queue", "1000", "-from", "osc.tcp://127.0.0.1:0",
		"-to", "osc.tcp://"+l.Addr().String(), "-to", d.listening(t))
	url := relayURL(t, r)
	const n = 3000
	var b strings.Builder
	blob := strings.Repeat("ab", 2000)
	for range n {
		b.WriteString(`{"address":"/x","args":[{"type":"b","value":"` + blob + `"}]}` + "\n")
	}
	code, _, errOut := oscli(t, b.String(), "send", "-json", url)
	require.Zero(t, code, errOut)
	for range n {
		require.Contains(t, next(t, d.out, "a packet through the other destination"), " /x b ")
	}
	r.cancel()
	stalled := "osc.tcp://" + l.Addr().String() + " "
	var line string
	for l := range r.err {
		if strings.HasPrefix(l, "oscli relay: "+stalled) {
			line = l
		}
	}
	require.NotEmpty(t, line, "no stats line for the stalled destination")
	require.NotContains(t, line, " drops=0 ", line)
}

func TestRelayUsage(t *testing.T) {
	for _, args := range [][]string{
		{"relay", "-from", "osc.udp://127.0.0.1:0"},
		{"relay", "-to", "osc.udp://127.0.0.1:9"},
		{"relay", "-from", "9000", "-to", "9001", "-rewrite", "nope"},
		{"relay", "-from", "9000", "-to", "9001", "-filter", "x"},
		{"relay", "-from", "9000", "-to", "osc.bogus://h:1"},
	} {
		code, _, errOut := oscli(t, "", args...)
		require.Equal(t, 2, code, "%v: %s", args, errOut)
	}
}

// TestRelayNestedBundles: a filtered and rewritten bundle reaches the
// destination with its nested bundles and their timetags, byte for byte
// as expected; a nested bundle the filter empties is dropped.
func TestRelayNestedBundles(t *testing.T) {
	dst, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer dst.Close()
	r := start(t, "relay", "-timeout", "15s", "-filter", "/mixer/*", "-rewrite", "/mixer=/console",
		"-from", "osc.udp://127.0.0.1:0", "-to", "osc.udp://"+dst.LocalAddr().String())
	url := relayURL(t, r)
	src, err := net.Dial("udp", strings.TrimPrefix(url, "osc.udp://"))
	require.NoError(t, err)
	defer src.Close()
	_, err = src.Write(nestedBundle(t))
	require.NoError(t, err)

	var enc wire.Encoder
	enc.BeginBundle(wire.NewTimetag(100, 0))
	enc.Message("/console/a").Int32(1).End()
	enc.BeginBundle(wire.NewTimetag(200, 0))
	enc.Message("/console/b").String("x").End()
	enc.EndBundle()
	want, err := enc.EndBundle().Bytes()
	require.NoError(t, err)
	buf := make([]byte, 1500)
	require.NoError(t, dst.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := dst.Read(buf)
	require.NoError(t, err, "the relayed bundle")
	require.Equal(t, want, buf[:n])
}

// TestRelayFlattenDue: with -flatten=due a bundle timed ahead reaches the
// destination as bare messages no sooner than its time, a nested bundle
// at its own later time; an immediate bundle is flattened at once; a
// bundle beyond the horizon is refused and counted.
func TestRelayFlattenDue(t *testing.T) {
	dst, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer dst.Close()
	r := start(t, "relay", "-timeout", "15s", "-flatten=due",
		"-from", "osc.udp://127.0.0.1:0", "-to", "osc.udp://"+dst.LocalAddr().String())
	url := relayURL(t, r)
	src, err := net.Dial("udp", strings.TrimPrefix(url, "osc.udp://"))
	require.NoError(t, err)
	defer src.Close()
	read := func(what string) ([]byte, time.Time) {
		t.Helper()
		buf := make([]byte, 1500)
		require.NoError(t, dst.SetReadDeadline(time.Now().Add(10*time.Second)))
		n, err := dst.Read(buf)
		require.NoError(t, err, what)
		return buf[:n], time.Now()
	}
	msg := func(addr string) []byte {
		m, err := wire.AppendMessage(nil, addr)
		require.NoError(t, err)
		return m
	}

	t0 := time.Now()
	var enc wire.Encoder
	enc.BeginBundle(wire.TimetagOf(t0.Add(300 * time.Millisecond)))
	enc.Message("/first").End()
	enc.BeginBundle(wire.TimetagOf(t0.Add(600 * time.Millisecond)))
	enc.Message("/nested").End()
	enc.EndBundle()
	enc.Message("/second").End()
	ahead, err := enc.EndBundle().Bytes()
	require.NoError(t, err)
	_, err = src.Write(ahead)
	require.NoError(t, err)

	enc.Reset()
	enc.BeginBundle(wire.Immediately)
	enc.Message("/now").End()
	now, err := enc.EndBundle().Bytes()
	require.NoError(t, err)
	_, err = src.Write(now)
	require.NoError(t, err)

	enc.Reset()
	enc.BeginBundle(wire.TimetagOf(t0.Add(3 * time.Hour)))
	enc.Message("/never").End()
	far, err := enc.EndBundle().Bytes()
	require.NoError(t, err)
	_, err = src.Write(far)
	require.NoError(t, err)

	p, _ := read("the immediate bundle")
	require.Equal(t, msg("/now"), p, "an immediate bundle goes at once, flattened")
	p, at := read("the first message")
	require.Equal(t, msg("/first"), p)
	require.False(t, at.Before(t0.Add(300*time.Millisecond)), "sent %v early", t0.Add(300*time.Millisecond).Sub(at))
	p, _ = read("the second message")
	require.Equal(t, msg("/second"), p, "the messages of a level go together, in order")
	p, at = read("the nested message")
	require.Equal(t, msg("/nested"), p)
	require.False(t, at.Before(t0.Add(600*time.Millisecond)), "nested sent %v early", t0.Add(600*time.Millisecond).Sub(at))

	r.cancel()
	var line string
	for l := range r.err {
		if strings.Contains(l, "bundles queued=") {
			line = l
		}
	}
	require.Contains(t, line, " refused=1 ", line)
}

// TestRelayFlattenDueBound: bundles past the scheduler's bound are refused
// and counted, not queued without limit.
func TestRelayFlattenDueBound(t *testing.T) {
	r := newRelay(false)
	r.sched = sched.New(sched.Config{MaxQueue: 8, Logger: slog.New(slog.DiscardHandler)}, r.dispatch)
	defer r.sched.Close(context.Background())
	d := newDest("test", 8, nil)
	r.dests = []*dest{d}
	var enc wire.Encoder
	enc.BeginBundle(wire.TimetagOf(time.Now().Add(time.Minute)))
	enc.Message("/later").End()
	b, err := enc.EndBundle().Bytes()
	require.NoError(t, err)
	for range 10 {
		r.forward(&osc.Packet{Data: b})
	}
	require.Equal(t, uint64(2), r.refused.Load())
	require.Equal(t, 8, r.sched.Stats().Queued)
	require.Zero(t, len(d.q), "nothing sent before its time")
}

// TestRelayMalformedCounted: a packet that -rewrite cannot read is not
// forwarded, and the status line counts it.
func TestRelayMalformedCounted(t *testing.T) {
	dst, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer dst.Close()
	r := start(t, "relay", "-timeout", "15s", "-rewrite", "/a=/b",
		"-from", "osc.udp://127.0.0.1:0", "-to", "osc.udp://"+dst.LocalAddr().String())
	src, err := net.Dial("udp", strings.TrimPrefix(relayURL(t, r), "osc.udp://"))
	require.NoError(t, err)
	defer src.Close()
	_, err = src.Write([]byte("junk"))
	require.NoError(t, err)
	m, err := wire.AppendMessage(nil, "/a/x")
	require.NoError(t, err)
	_, err = src.Write(m)
	require.NoError(t, err)
	buf := make([]byte, 64)
	require.NoError(t, dst.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := dst.Read(buf)
	require.NoError(t, err)
	want, err := wire.AppendMessage(nil, "/b/x")
	require.NoError(t, err)
	require.Equal(t, want, buf[:n], "the junk is not forwarded")
	r.cancel()
	var line string
	for l := range r.err {
		if strings.Contains(l, "malformed=") {
			line = l
		}
	}
	require.Contains(t, line, "malformed=1 ")
}
