package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/internal/capture"
	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestReplayRealtime: -realtime replays in SCHED_FIFO where permitted
// (else it says why and replays as usual), and leaves every thread of the
// process in the normal class afterwards.
func TestReplayRealtime(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rt.jsonl")
	f, err := os.Create(file)
	require.NoError(t, err)
	w, err := capture.NewWriter(f, capture.JSONL, capture.Header{Start: time.Now()})
	require.NoError(t, err)
	const n = 20
	for i := range n {
		require.NoError(t, w.Write(&capture.Record{Time: int64(i) * int64(2*time.Millisecond), Transport: capture.UDP, Data: msg(t, "/rt", wire.Int32(int32(i)))}))
	}
	require.NoError(t, f.Close())

	out := filepath.Join(dir, "got.jsonl")
	p := start(t, "record", "-o", out, "-count", itoa(n), "-duration", "20s", "osc.udp://127.0.0.1:0")
	code, _, errOut := oscli(t, "", "replay", "-realtime", file, p.listening(t))
	require.Zero(t, code, errOut)
	require.Zero(t, p.wait(t))
	_, got := readRecording(t, out)
	require.Len(t, got, n)
	if strings.Contains(errOut, "-realtime:") {
		t.Logf("not permitted here: %s", errOut)
	}

	ents, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		require.NoError(t, err)
		a, err := unix.SchedGetAttr(tid, 0)
		if err != nil {
			continue // the thread ended
		}
		require.Equal(t, uint32(schedOther), a.Policy, "thread %d", tid)
	}
}
