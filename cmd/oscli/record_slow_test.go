package main

import (
	"context"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// TestRecordSlowWriter: a file that takes nothing (a pipe nobody reads)
// fills the queue; the packets that find it full are counted and
// reported, the sockets keep being read, and the exit status says so.
func TestRecordSlowWriter(t *testing.T) {
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	defer pw.Close()
	er, ew := io.Pipe()
	errLines := lineChan(er)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(&env{ctx: ctx, stdin: strings.NewReader(""), stdout: pw, stderr: ew}, []string{"record", "-queue", "64", "osc.udp://127.0.0.1:0"})
		ew.Close()
	}()
	l := next(t, errLines, "listening line")
	_, url, ok := strings.Cut(l, "listening on ")
	require.True(t, ok, l)
	u := udpTo(t, url)
	pkt, err := wire.AppendMessage(nil, "/big", wire.Blob(make([]byte, 1000)))
	require.NoError(t, err)
	// 1 MiB of buffer and 64 KiB of pipe take ~1100 of these; send more.
	var full string
	for i := 0; i < 20000 && full == ""; i++ {
		u.Write(pkt)
		if i%100 == 99 {
			time.Sleep(time.Millisecond)
		}
		select {
		case full = <-errLines:
		default:
		}
	}
	require.Contains(t, full, "queue full")
	pr.Close() // the writer's blocked write fails now
	cancel()
	var code int
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("oscli record did not end")
	}
	require.Equal(t, 1, code)
	var summary string
	for l := range errLines {
		if strings.Contains(l, "packets recorded") {
			summary = l
		}
	}
	m := regexp.MustCompile(`(\d+) dropped \(queue full\), (\d+) lost to write errors`).FindStringSubmatch(summary)
	require.NotNil(t, m, summary)
	dropped, _ := strconv.Atoi(m[1])
	require.Positive(t, dropped, summary)
}
