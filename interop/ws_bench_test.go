package interop

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/wire"
)

// BenchmarkOscjsWebSocket: osckit's WebSocket Client against osc.js's
// WebSocketPort (npm osc over npm ws, peer.js echo ws) and, in the same
// run, against oscli echo on osc.ws://: the round trip of one message
// (p50-us, p99-us, one in flight) and messages a second with 64 in
// flight, every one echoed back (msg/s).
func BenchmarkOscjsWebSocket(b *testing.B) {
	if _, err := exec.LookPath("node"); err != nil {
		b.Fatal("node is missing (Debian package nodejs); npm ci in interop/js")
	}
	for _, peer := range []string{"oscjs", "oscli"} {
		url := startEchoPeer(b, peer)
		c, err := osc.Dial(url)
		if err != nil {
			b.Fatal(err)
		}
		msg, err := wire.AppendMessage(nil, "/mixer/ch/1/gain", wire.Float32(0.5))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.Run(peer+"/rtt", func(b *testing.B) {
			lat := make([]time.Duration, b.N)
			for i := range lat {
				t0 := time.Now()
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Receive(ctx); err != nil {
					b.Fatal(err)
				}
				lat[i] = time.Since(t0)
			}
			b.StopTimer()
			slices.Sort(lat)
			us := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e3 }
			b.ReportMetric(us(0.5), "p50-us")
			b.ReportMetric(us(0.99), "p99-us")
		})
		b.Run(peer+"/rate", func(b *testing.B) {
			tokens := make(chan struct{}, 64)
			var back atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range b.N {
					rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					_, err := c.Receive(rctx)
					cancel()
					if err != nil {
						return
					}
					back.Add(1)
					<-tokens
				}
			}()
			t0 := time.Now()
			for range b.N {
				select {
				case tokens <- struct{}{}:
				case <-done:
					b.Fatalf("%d of %d came back", back.Load(), b.N)
				}
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			b.StopTimer()
			if back.Load() != int64(b.N) {
				b.Fatalf("%d of %d came back", back.Load(), b.N)
			}
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "msg/s")
		})
		c.Close()
	}
}

// startEchoPeer starts an echoing WebSocket peer until b ends and returns
// its osc.ws:// URL.
func startEchoPeer(b *testing.B, peer string) string {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var cmd *exec.Cmd
	if peer == "oscjs" {
		cmd = exec.CommandContext(ctx, "node", filepath.Join("js", "peer.js"), "echo", "ws")
	} else {
		cmd = exec.CommandContext(ctx, oscliPath, "echo", "osc.ws://127.0.0.1:0/")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	errOut, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); cmd.Wait() })
	r := bufio.NewScanner(out)
	if peer == "oscli" {
		r = bufio.NewScanner(errOut)
	}
	lines := make(chan string, 1)
	go func() {
		for r.Scan() {
			select {
			case lines <- r.Text():
			default:
			}
		}
	}()
	select {
	case l := <-lines:
		if port, ok := strings.CutPrefix(l, "listening "); ok {
			return "osc.ws://127.0.0.1:" + port + "/"
		}
		if _, url, ok := strings.Cut(l, "listening on "); ok {
			return url
		}
		b.Fatalf("%s: %q", peer, l)
	case <-time.After(10 * time.Second):
		b.Fatalf("%s did not start", peer)
	}
	return ""
}
