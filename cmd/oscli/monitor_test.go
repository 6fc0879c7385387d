package main

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// block reads one table printed by oscli monitor -plain (lines up to a
// blank one).
func block(t *testing.T, p *proc) []string {
	t.Helper()
	var lines []string
	for {
		l := next(t, p.out, "monitor table")
		if l == "" {
			return lines
		}
		lines = append(lines, l)
	}
}

// rowFields finds the row of an address in a table: its fields split on
// spaces, the marker column dropped.
func rowFields(lines []string, name string) []string {
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return f
		}
	}
	return nil
}

var headerRe = regexp.MustCompile(`^packets (\d+) \(\d+/s\)  bytes \S+ \(\S+/s\)  bundles (\d+) \(late (\d+), future (\d+)\)$`)

// TestMonitorPlain sends known traffic over UDP (oscli bench's fader
// profile, single messages, a bundle and a malformed packet) to oscli
// monitor -plain and reads the rows, counts and values from its tables.
func TestMonitorPlain(t *testing.T) {
	p := start(t, "monitor", "-plain", "-src", "-interval", "100ms", "-sort", "name", "127.0.0.1:0")
	url := p.listening(t)
	code, out, errOut := oscli(t, "", "bench", "-profile", "fader", "-channels", "8", "-count", "800", "-rate", "20000", "-wait", "0s", url)
	require.Zero(t, code, "%s%s", out, errOut)
	c := udpTo(t, url)
	for _, v := range []float32{0.25, -3, 7.5} {
		b, err := wire.AppendMessage(nil, "/mixer/gain", wire.Float32(v), wire.String("dB"))
		require.NoError(t, err)
		_, err = c.Write(b)
		require.NoError(t, err)
	}
	var e wire.Encoder
	e.BeginBundle(wire.TimetagOf(time.Now().Add(-time.Minute)))
	e.Message("/mixer/mute").Int32(1).End()
	e.EndBundle()
	b, err := e.Bytes()
	require.NoError(t, err)
	_, err = c.Write(b)
	require.NoError(t, err)
	_, err = c.Write([]byte("/bad\x00\x00\x00\x00,i\x00\x00"))
	require.NoError(t, err)

	// oscli bench ends with one to three /oscli/bench/end messages.
	var lines []string
	want := ""
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		lines = block(t, p)
		want = "805"
		if f := rowFields(lines, "/oscli/bench/end"); f != nil {
			n, _ := strconv.Atoi(f[3])
			want = strconv.Itoa(805 + n)
		}
		if m := headerRe.FindStringSubmatch(lines[0]); m != nil && m[1] == want {
			break
		}
	}
	table := strings.Join(lines, "\n")
	m := headerRe.FindStringSubmatch(lines[0])
	require.NotNil(t, m, table)
	require.Equal(t, []string{want, "1", "1", "0"}, m[1:], table)
	require.Regexp(t, `^malformed 1  dropped 0  kernel drops 0  addresses 11  last malformed: .+ at offset 12`, lines[1])
	require.Equal(t, url, lines[2])
	require.Regexp(t, `^  ADDRESS +RATE +10S +COUNT +RANGE +HISTORY +FROM +LAST$`, lines[3])
	for ch := 1; ch <= 8; ch++ {
		f := rowFields(lines, "/ch/0"+strconv.Itoa(ch)+"/mix/fader")
		require.NotNil(t, f, "channel %d in\n%s", ch, table)
		require.Equal(t, "100", f[3], "count of channel %d", ch)
		v := strconv.FormatFloat(float64(float32(ch)/8), 'g', 3, 64)
		require.Equal(t, v+".."+v, f[4], "range of channel %d", ch)
		require.Equal(t, "fb", f[len(f)-27], "types of channel %d: %v", ch, f)
	}
	g := rowFields(lines, "/mixer/gain")
	require.NotNil(t, g, table)
	require.Equal(t, "3", g[3])
	require.Equal(t, "-3..7.5", g[4])
	require.Regexp(t, `^127\.0\.0\.1:\d+$`, g[len(g)-4])
	require.Equal(t, []string{"fs", "7.5", `"dB"`}, g[len(g)-3:])
	mute := rowFields(lines, "/mixer/mute")
	require.Equal(t, []string{"1", "1..1"}, mute[3:5], table)
	// Sorted by name: the channels, then /mixer/gain, /mixer/mute.
	var names []string
	for _, l := range lines[4:] {
		names = append(names, strings.Fields(l)[0])
	}
	require.IsNonDecreasing(t, names)
}

func TestMonitorUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"monitor"}, "want at least one PORT or URL"},
		{[]string{"monitor", "-sort", "size", "0"}, "-sort"},
		{[]string{"monitor", "-filter", "x", "0"}, "-filter"},
		{[]string{"monitor", "-group", "x", "0"}, "not an OSC address pattern"},
		{[]string{"monitor", "-rows", "0", "0"}, "-rows"},
	} {
		code, _, errOut := oscli(t, "", c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Contains(t, errOut, c.msg, "%v", c.args)
	}
}

// TestMonitorEndpoints listens on UDP and TCP at once: the rows add up
// both, each endpoint has its own counters line, and a bad TCP frame
// (from the server's Invalid hook) counts as malformed.
func TestMonitorEndpoints(t *testing.T) {
	p := start(t, "monitor", "-plain", "-interval", "100ms", "127.0.0.1:0", "osc.tcp://127.0.0.1:0")
	urls := strings.Fields(p.listening(t))
	require.Len(t, urls, 2)
	pkt := mustHex(t, "2f6100002c69000000000007") // /a i 7
	_, err := udpTo(t, urls[0]).Write(pkt)
	require.NoError(t, err)
	ep, err := netio.ParseEndpoint(urls[1])
	require.NoError(t, err)
	tcpSend(t, ep.Address, netio.AppendFrame(nil, pkt, netio.FrameSLIP))
	tcpSend(t, ep.Address, []byte{0, 0, 0, 3, 1, 2, 3})

	var lines []string
	for range 100 {
		lines = block(t, p)
		if strings.HasPrefix(lines[1], "malformed 1 ") && rowFields(lines, "/a") != nil && rowFields(lines, "/a")[3] == "2" {
			break
		}
	}
	table := strings.Join(lines, "\n")
	require.Regexp(t, `^malformed 1  dropped 0  kernel drops 0  addresses 1  last malformed: .+`, lines[1], table)
	require.Equal(t, urls[0]+"  packets 1  malformed 0  dropped 0  kernel drops 0", lines[2], table)
	require.Regexp(t, `^`+regexp.QuoteMeta(urls[1])+`  packets 1  malformed 1  dropped 0  kernel drops 0  conns \d/2$`, lines[3], table)
	require.Equal(t, []string{"/a", "2"}, []string{rowFields(lines, "/a")[0], rowFields(lines, "/a")[3]}, table)
}

// TestMonitorGroupFilter: -group counts the channels in one row, -filter
// leaves out the rest (counted in the totals only), -sort recent.
func TestMonitorGroupFilter(t *testing.T) {
	p := start(t, "monitor", "-plain", "-interval", "100ms", "-group", "/ch/*/mix/fader", "-filter", "/ch/*/mix/*", "-sort", "recent", "127.0.0.1:0")
	url := p.listening(t)
	code, out, errOut := oscli(t, "", "bench", "-profile", "fader", "-channels", "8", "-count", "80", "-rate", "10000", "-wait", "0s", url)
	require.Zero(t, code, "%s%s", out, errOut)
	c := udpTo(t, url)
	_, err := c.Write(mustHex(t, "2f63682f30392f6d69782f6f6e0000002c69000000000001")) // /ch/09/mix/on i 1
	require.NoError(t, err)
	var lines []string
	for range 100 {
		lines = block(t, p)
		if len(lines) == 6 {
			break
		}
	}
	table := strings.Join(lines, "\n")
	require.Len(t, lines, 6, table)
	require.Regexp(t, `addresses 2$`, lines[1])
	require.Equal(t, []string{"/ch/09/mix/on", "/ch/*/mix/fader"}, []string{strings.Fields(lines[4])[0], strings.Fields(lines[5])[0]}, table)
	g := rowFields(lines, "/ch/*/mix/fader")
	require.Equal(t, []string{"80", "0.125..1"}, g[3:5], table)
}

// TestSparkNonFinite: infinite values (a valid OSC float) are drawn at the
// ends of the scale instead of indexing past the bars.
func TestSparkNonFinite(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		in   []float64
		want string
	}{
		{[]float64{0, 1, math.Inf(1)}, "▁██"},
		{[]float64{math.Inf(-1), 0, 1, math.Inf(1)}, "▁▁██"},
		{[]float64{math.Inf(-1), math.Inf(1), nan}, "▁█ "},
		{[]float64{math.Inf(1), math.Inf(1)}, "██"},
		{[]float64{2, nan, 2}, "▄ ▄"},
		{[]float64{0, 0.5, 1}, "▁▄█"},
	} {
		require.Equal(t, c.want, spark(c.in), "%v", c.in)
	}
}
