package interop

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBenchEchoLatency: oscli bench against oscli echo on loopback prints
// a round-trip latency report with nothing lost.
func TestBenchEchoLatency(t *testing.T) {
	e := startLive(t, oscliPath, "echo", "-timeout", "50s", "osc.udp://127.0.0.1:0")
	l := line(t, e.err, "oscli echo's listening line")
	_, url, ok := strings.Cut(l, "listening on ")
	require.True(t, ok, l)
	out := string(oscli(t, nil, "bench", "-duration", "1s", "-rate", "10000", url))
	require.Contains(t, out, "latency   p50 ", out)
	// Loopback UDP may lose datagrams on a loaded machine: the report
	// must add up, not be perfect.
	m := regexp.MustCompile(`echo      received (\d+) of (\d+), lost (\d+) `).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	requireAddsUp(t, m[1], m[3], m[2], out)
	require.Regexp(t, `p99\.9 [0-9.]+(µs|ms)  max `, out)
}

// TestBenchStatsNoLoss: 50,000 messages a second for 2 seconds to oscli
// dump -stats over TCP, and the receiver counts them all; over loopback
// UDP, where a loaded machine may lose some, the counts add up.
func TestBenchStatsNoLoss(t *testing.T) {
	d, url := startDump(t, "osc.tcp+size", "-stats")
	out := string(oscli(t, nil, "bench", "-count", "100000", "-rate", "50000", url))
	require.Contains(t, out, "receiver  received 100000 of 100000, lost 0 (0.000%)", out)
	require.Contains(t, line(t, d.out, "dump -stats line"), "bench: received 100000 of 100000, lost 0")

	d, url = startDump(t, "osc.udp", "-stats")
	out = string(oscli(t, nil, "bench", "-count", "100000", "-rate", "50000", url))
	m := regexp.MustCompile(`receiver  received (\d+) of 100000, lost (\d+) `).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	requireAddsUp(t, m[1], m[2], "100000", out)
	l := line(t, d.out, "dump -stats line")
	m = regexp.MustCompile(`bench: received (\d+) of 100000, lost (\d+)`).FindStringSubmatch(l)
	require.NotNil(t, m, l)
	requireAddsUp(t, m[1], m[2], "100000", l)
}

// requireAddsUp checks received + lost = sent, with most received.
func requireAddsUp(t *testing.T, received, lost, sent, out string) {
	t.Helper()
	r, err1 := strconv.Atoi(received)
	l, err2 := strconv.Atoi(lost)
	n, err3 := strconv.Atoi(sent)
	require.NoError(t, errors.Join(err1, err2, err3))
	require.Equal(t, n, r+l, out)
	require.Greater(t, r, n/2, "more than half lost: %s", out)
}
