package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/internal/capture"
	"github.com/osckit/osc/wire"
)

// BenchmarkReplayAccuracy replays a recording with irregular gaps
// (log-uniform between 0.1 and 50 ms; OSCKIT_REPLAY_PACKETS packets, 1000
// by default) into a UDP socket that timestamps every arrival (the
// kernel's receive timestamp where there is one), and reports
// how far each packet's arrival, relative to the first and less the median
// of these (the constant latency of sending and receiving), is from its
// recorded offset: p50, p99 and max of the absolute error in
// microseconds, and the drift (median error over the last tenth minus
// over the first tenth). Run it alone: go test -run X -bench
// ReplayAccuracy -benchtime 1x ./cmd/oscli.
func BenchmarkReplayAccuracy(b *testing.B) {
	n := 1000
	if s := os.Getenv("OSCKIT_REPLAY_PACKETS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 20 {
			b.Fatalf("OSCKIT_REPLAY_PACKETS=%q: want a number of packets, at least 20", s)
		}
		n = v
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "gaps.jsonl")
	offsets := writeGaps(b, file, n)
	for _, rt := range []bool{false, true} {
		name, args := "oscli", []string{"replay"}
		if rt {
			name, args = "oscli-realtime", []string{"replay", "-realtime"}
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				var errOut strings.Builder
				reportErrors(b, replayErrors(b, offsets, func(url string) {
					code := run(&env{stdout: io.Discard, stderr: &errOut}, append(args, file, url))
					if code != 0 {
						b.Fatalf("oscli replay exited %d: %s", code, errOut.String())
					}
				}))
				if strings.Contains(errOut.String(), "-realtime:") {
					b.Logf("%s", errOut.String())
				}
			}
		})
	}
	// liblo's oscsendfile reads oscdump's text and sends every line as
	// a bundle, its timetag rebased, after sleeping until it is due; run
	// as is and, like -realtime, under chrt -f 10 (SCHED_FIFO).
	tool, err := exec.LookPath("oscsendfile")
	if err != nil {
		if os.Getenv("OSCKIT_NO_PEERS") == "1" {
			b.Skip("oscsendfile not installed (OSCKIT_NO_PEERS=1)")
		}
		b.Fatal("oscsendfile (Debian package liblo-tools) not installed: run .ci/install-peers.sh as root")
	}
	text := filepath.Join(dir, "gaps.txt")
	var lines []byte
	t0 := wire.TimetagOf(time.Now())
	for i, off := range offsets {
		lines = t0.Add(time.Duration(off)).AppendText(lines)
		lines = fmt.Appendf(lines, " /gap i %d\n", i)
	}
	if err := os.WriteFile(text, lines, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"oscsendfile", "oscsendfile-chrt"} {
		b.Run(name, func(b *testing.B) {
			cmd := []string{tool}
			if name == "oscsendfile-chrt" {
				chrt, err := exec.LookPath("chrt")
				if err != nil {
					b.Skip("chrt (util-linux) not installed")
				}
				if exec.Command(chrt, "-f", "10", "true").Run() != nil {
					b.Skip("chrt -f 10 not permitted here")
				}
				cmd = []string{chrt, "-f", "10", tool}
			}
			for range b.N {
				reportErrors(b, replayErrors(b, offsets, func(url string) {
					if out, err := exec.Command(cmd[0], append(cmd[1:], url, text)...).CombinedOutput(); err != nil {
						b.Fatalf("oscsendfile: %v: %s", err, out)
					}
				}))
			}
		})
	}
}

// reportErrors reports p50, p99 and max of the absolute errors and the
// drift.
func reportErrors(b *testing.B, errs []float64) {
	abs := make([]float64, len(errs))
	for i, e := range errs {
		abs[i] = math.Abs(e)
	}
	slices.Sort(abs)
	tenth := len(errs) / 10
	b.ReportMetric(abs[len(abs)/2], "p50-us")
	b.ReportMetric(abs[len(abs)*99/100], "p99-us")
	b.ReportMetric(abs[len(abs)-1], "max-us")
	b.ReportMetric(median(errs[len(errs)-tenth:])-median(errs[:tenth]), "drift-us")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// writeGaps writes a recording of n messages with irregular gaps and
// returns their offsets.
func writeGaps(b *testing.B, file string, n int) []int64 {
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w, err := capture.NewWriter(bw, capture.JSONL, capture.Header{Start: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(15, 1))
	offsets := make([]int64, n)
	var t int64
	for i := range n {
		if i > 0 {
			t += int64(100e3 * math.Pow(500, rng.Float64())) // 0.1 to 50 ms
		}
		offsets[i] = t
		pkt, err := wire.AppendMessage(nil, "/gap", wire.Int32(int32(i)))
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Write(&capture.Record{Time: t, Transport: capture.UDP, Data: pkt}); err != nil {
			b.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	return offsets
}

// replayErrors has send replay the recording into a UDP socket and
// returns each packet's arrival error in microseconds, relative to the
// first packet.
func replayErrors(b *testing.B, offsets []int64, send func(url string)) []float64 {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	c.SetReadBuffer(4 << 20)
	stamp := arrivalStamps(b, c)
	arrivals := make([]time.Time, len(offsets))
	got := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		buf := make([]byte, 1500)
		oob := make([]byte, 128)
		k := 0
		for k < len(offsets) {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			m, n, _, _, err := c.ReadMsgUDP(buf, oob)
			if err != nil {
				break
			}
			now := stamp(oob[:n])
			var msg wire.Message
			if wire.Walk(buf[:m], func(mm wire.Message, _ wire.Timetag) error { msg = mm; return nil }) != nil {
				continue
			}
			args := msg.Args()
			args.Next()
			v, ok := args.Arg().Int32()
			if i := int(v); ok && i >= 0 && i < len(arrivals) {
				arrivals[v] = now
				k++
			}
		}
		got <- k
	}()
	send("osc.udp://" + c.LocalAddr().String())
	if k := <-got; k != len(offsets) {
		b.Fatalf("received %d of %d packets", k, len(offsets))
	}
	errs := make([]float64, len(offsets))
	for i := range offsets {
		rel := arrivals[i].Sub(arrivals[0]).Nanoseconds() - (offsets[i] - offsets[0])
		errs[i] = float64(rel) / 1e3
	}
	// The first packet's own lateness would shift every other error:
	// measure against the median instead.
	m := median(errs)
	for i := range errs {
		errs[i] -= m
	}
	return errs
}
