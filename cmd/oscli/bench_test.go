package main

import (
	"encoding/json"
	"regexp"
	"strconv"
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

// TestBenchStatsReceiver: bench at full rate from three workers to dump
// -stats over loopback UDP, where a loaded machine may lose datagrams: the
// receiver's counts add up and bench prints what dump counted. (Exact
// counts over TCP: TestDumpStatsTCP.)
func TestBenchStatsReceiver(t *testing.T) {
	p := start(t, "dump", "-stats", "-timeout", "15s", "127.0.0.1:0")
	url := p.listening(t)
	code, out, errOut := oscli(t, "", "bench", "-count", "3000", "-rate", "max", "-workers", "3", "-profile", "fader", url)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "sent      3000 messages")
	counts := requireAddsUp(t, `receiver  received (\d+) of (\d+), lost (\d+) `, out, 3000)
	require.Equal(t, counts, requireAddsUp(t, `^bench: received (\d+) of (\d+), lost (\d+) `, next(t, p.out, "dump's line"), 3000))

	// -size pads the message.
	code, out, errOut = oscli(t, "", "bench", "-count", "10", "-size", "256", url)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "(/bench sb, 256 bytes)")
	requireAddsUp(t, `receiver  received (\d+) of (\d+), lost (\d+) `, out, 10)
}

// requireAddsUp finds "received R of N, lost L" in out with the pattern
// re, and checks that N is sent, that R + L = N and that most arrived. It
// returns the match.
func requireAddsUp(t *testing.T, re, out string, sent int) []string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	require.NotNil(t, m, "%s in %s", re, out)
	r, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	l, _ := strconv.Atoi(m[3])
	require.Equal(t, sent, n, out)
	require.Equal(t, n, r+l, "received + lost: %s", out)
	require.Greater(t, r, n/2, "more than half lost: %s", out)
	return m[1:]
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
