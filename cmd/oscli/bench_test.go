package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBenchEcho(t *testing.T) {
	for _, scheme := range []string{"osc.udp", "osc.tcp"} {
		t.Run(scheme, func(t *testing.T) {
			p := start(t, "echo", "-timeout", "15s", scheme+"://127.0.0.1:0")
			url := p.listening(t)
			// In-process (and perhaps under the race detector) the echo
			// may fall behind and UDP drop some: the interop tests check
			// for no loss between separate processes.
			code, out, errOut := oscli(t, "", "bench", "-count", "1000", "-rate", "2000", "-json", url)
			require.Zero(t, code, errOut)
			var r benchReport
			require.NoError(t, json.Unmarshal([]byte(out), &r), out)
			require.Equal(t, uint64(1000), r.Sent, out)
			require.NotNil(t, r.Echo, out)
			require.NotNil(t, r.Latency, out)
			require.Positive(t, r.Echo.Received, out)
			require.Equal(t, r.Sent, r.Echo.Received+r.Echo.Lost, out)
			require.Equal(t, int64(r.Echo.Received), r.Latency.N)
			require.Greater(t, r.Latency.P50, 0.0)
			require.LessOrEqual(t, r.Latency.P50, r.Latency.P99)
			require.LessOrEqual(t, r.Latency.P999, r.Latency.Max)
			require.Nil(t, r.Receiver, "an echo sends no report")
		})
	}
}

func TestBenchStatsReceiver(t *testing.T) {
	p := start(t, "dump", "-stats", "-timeout", "15s", "127.0.0.1:0")
	url := p.listening(t)
	code, out, errOut := oscli(t, "", "bench", "-count", "3000", "-rate", "max", "-workers", "3", "-profile", "fader", url)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "sent      3000 messages")
	require.Contains(t, out, "receiver  received 3000 of 3000, lost 0 (0.000%), reordered 0", out)
	require.Equal(t, "bench: received 3000 of 3000, lost 0 (0.000%), reordered 0", next(t, p.out, "dump's line"))

	// -size pads the message.
	code, out, errOut = oscli(t, "", "bench", "-count", "10", "-size", "256", url)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "(/bench sb, 256 bytes)")
	require.True(t, strings.Contains(out, "received 10 of 10"), out)
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "-rate", "fast", "9000"},
		{"bench", "-size", "41", "9000"},
		{"bench", "-profile", "x", "9000"},
		{"bench", "-workers", "0", "9000"},
	} {
		code, _, errOut := oscli(t, "", args...)
		require.Equal(t, 2, code, "%v: %s", args, errOut)
	}
}
