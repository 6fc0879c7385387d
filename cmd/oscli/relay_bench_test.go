package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// benchReceiver is the far end of the relay benchmarks: a UDP socket or
// a TCP listener whose one connection carries size-prefixed frames.
type benchReceiver struct {
	url  string
	udp  *net.UDPConn
	tcpl net.Listener
	tcp  net.Conn
	buf  []byte
}

func newBenchReceiver(b *testing.B, network string) *benchReceiver {
	r := &benchReceiver{buf: make([]byte, 1500)}
	var err error
	if network == "udp" {
		r.udp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		r.url = "osc.udp://" + r.udp.LocalAddr().String()
	} else {
		r.tcpl, err = net.Listen("tcp4", "127.0.0.1:0")
		r.url = "osc.tcp+size://" + r.tcpl.Addr().String()
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if r.udp != nil {
			r.udp.Close()
		}
		if r.tcpl != nil {
			r.tcpl.Close()
		}
		if r.tcp != nil {
			r.tcp.Close()
		}
	})
	return r
}

// read waits (at most 2 s) for one packet.
func (r *benchReceiver) read() error {
	if r.udp != nil {
		r.udp.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _, err := r.udp.ReadFrom(r.buf)
		return err
	}
	if r.tcp == nil {
		r.tcpl.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
		c, err := r.tcpl.Accept()
		if err != nil {
			return err
		}
		r.tcp = c
	}
	r.tcp.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(r.tcp, r.buf[:4]); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint32(r.buf))
	if n > len(r.buf) {
		return fmt.Errorf("frame of %d bytes", n)
	}
	_, err := io.ReadFull(r.tcp, r.buf[:n])
	return err
}

// benchPkt is a 24-byte message, /mixer/ch/1/gain 0.5.
var benchPkt = []byte("/mixer/ch/1/gain\x00\x00\x00\x00,f\x00\x00\x3f\x00\x00\x00")

// BenchmarkRelayLatency: the one-way latency of a message sent over
// loopback UDP to a receiver, one message in flight: directly, and through
// oscli relay to a UDP and to a TCP destination. p50-us and p99-us come
// from every message; compare the sub-benchmarks of one run (relay-UDP
// minus direct is what the relay adds).
func BenchmarkRelayLatency(b *testing.B) {
	for _, c := range []struct{ name, to string }{{"direct", "udp"}, {"udp-udp", "udp"}, {"udp-tcp", "tcp"}} {
		b.Run(c.name, func(b *testing.B) {
			r := newBenchReceiver(b, c.to)
			to := r.url
			if c.name != "direct" {
				to = startRelay(b, "-from", "osc.udp://127.0.0.1:0", "-to", r.url)
			}
			sc, err := net.Dial("udp4", strings.TrimPrefix(to, "osc.udp://"))
			if err != nil {
				b.Fatal(err)
			}
			defer sc.Close()
			if c.to == "tcp" { // the relay dials its destination in the background
				if _, err := sc.Write(benchPkt); err != nil {
					b.Fatal(err)
				}
				if err := r.read(); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, b.N)
			b.ResetTimer()
			for i := range lat {
				t0 := time.Now()
				if _, err := sc.Write(benchPkt); err != nil {
					b.Fatal(err)
				}
				if err := r.read(); err != nil {
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

// BenchmarkRelayThroughput: messages a second through oscli relay, UDP to
// UDP and UDP to TCP, with at most 64 in flight, so that nothing overflows
// a socket buffer or the relay's queue: every message sent arrives (a loss
// fails the benchmark), and msg/s is the rate sustained without loss.
func BenchmarkRelayThroughput(b *testing.B) {
	const window = 64
	for _, to := range []string{"udp", "tcp"} {
		b.Run("udp-"+to, func(b *testing.B) {
			r := newBenchReceiver(b, to)
			url := startRelay(b, "-from", "osc.udp://127.0.0.1:0", "-to", r.url)
			sc, err := net.Dial("udp4", strings.TrimPrefix(url, "osc.udp://"))
			if err != nil {
				b.Fatal(err)
			}
			defer sc.Close()
			if to == "tcp" {
				if _, err := sc.Write(benchPkt); err != nil {
					b.Fatal(err)
				}
				if err := r.read(); err != nil {
					b.Fatal(err)
				}
			}
			tokens := make(chan struct{}, window) // messages in flight
			var recvd atomic.Int64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range b.N {
					if err := r.read(); err != nil {
						return // counted short below
					}
					recvd.Add(1)
					<-tokens
				}
			}()
			b.ResetTimer()
			t0 := time.Now()
			for range b.N {
				select {
				case tokens <- struct{}{}:
				case <-done:
					b.Fatalf("%d of %d received: lost", recvd.Load(), b.N)
				}
				if _, err := sc.Write(benchPkt); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			b.StopTimer()
			if recvd.Load() != int64(b.N) {
				b.Fatalf("%d of %d received", recvd.Load(), b.N)
			}
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "msg/s")
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
