package main

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkRelayUDP: the one-way latency of a 32-byte message sent over
// loopback UDP to a receiver, directly and through oscli relay (UDP to
// UDP), one message in flight. p50-us and p99-us come from every message;
// compare the two sub-benchmarks of one run.
func BenchmarkRelayUDP(b *testing.B) {
	rc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	pkt := []byte("/mixer/ch/1/gain\x00\x00\x00\x00,f\x00\x00\x3f\x00\x00\x00")
	for _, via := range []string{"direct", "relay"} {
		b.Run(via, func(b *testing.B) {
			to := rc.LocalAddr().String()
			if via == "relay" {
				to = startRelay(b, "-from", "osc.udp://127.0.0.1:0", "-to", "osc.udp://"+to)
			}
			sc, err := net.Dial("udp4", strings.TrimPrefix(to, "osc.udp://"))
			if err != nil {
				b.Fatal(err)
			}
			defer sc.Close()
			buf := make([]byte, 1500)
			lat := make([]time.Duration, b.N)
			b.ResetTimer()
			for i := range lat {
				t0 := time.Now()
				if _, err := sc.Write(pkt); err != nil {
					b.Fatal(err)
				}
				rc.SetReadDeadline(time.Now().Add(2 * time.Second))
				if _, _, err := rc.ReadFrom(buf); err != nil {
					b.Fatalf("message %d: %v", i, err)
				}
				lat[i] = time.Since(t0)
			}
			b.StopTimer()
			slices.Sort(lat)
			us := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e3 }
			b.ReportMetric(us(0.5), "p50-us")
			b.ReportMetric(us(0.99), "p99-us")
		})
	}
}

// startRelay runs oscli relay with args until b ends and returns the URL
// of its first endpoint.
func startRelay(b *testing.B, args ...string) string {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	er, ew := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(&env{ctx: ctx, stdin: strings.NewReader(""), stdout: io.Discard, stderr: ew}, append([]string{"relay"}, args...))
		ew.Close()
	}()
	lines := lineChan(er)
	b.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Error("relay did not end")
		}
	})
	select {
	case l := <-lines:
		_, url, ok := strings.Cut(l, "listening on ")
		if !ok {
			b.Fatal(l)
		}
		return url
	case <-time.After(10 * time.Second):
		b.Fatal("relay did not start")
	}
	return ""
}
