package interop

import (
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
	require.Regexp(t, `echo      received (\d+) of (\d+), lost 0 \(0\.000%\), reordered 0`, out)
	require.Regexp(t, `p99\.9 [0-9.]+(µs|ms)  max `, out)
}

// TestBenchStatsNoLoss: 50,000 messages a second for 2 seconds to oscli
// dump -stats on loopback UDP, and the receiver counts them all.
func TestBenchStatsNoLoss(t *testing.T) {
	d, url := startDump(t, "osc.udp", "-stats")
	out := string(oscli(t, nil, "bench", "-count", "100000", "-rate", "50000", url))
	require.Contains(t, out, "receiver  received 100000 of 100000, lost 0 (0.000%)", out)
	require.Contains(t, line(t, d.out, "dump -stats line"), "bench: received 100000 of 100000, lost 0")
}
