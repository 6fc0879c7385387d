package netio

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

var benchPkt = []byte("/synth/1/freq\x00\x00\x00,ifsb\x00\x00\x00\x00\x00\x01\xb8\x3f\x00\x00\x00hello\x00\x00\x00\x00\x00\x00\x10\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f")

// BenchmarkUDPReadBatch measures the receiver: each iteration first fills
// the socket buffer (GSO sender where available, 64 datagrams a call), then
// drains it with ReadBatch; only the draining is timed.
func BenchmarkUDPReadBatch(b *testing.B) {
	for _, bs := range []int{1, 8, 64} {
		b.Run("batch="+itoa(bs), func(b *testing.B) {
			rx := listenUDP(b, "udp4", "127.0.0.1:0", UDPConfig{Batch: bs, ReadBuffer: 16 << 20})
			tx := listenUDP(b, "udp4", "127.0.0.1:0", UDPConfig{})
			to := rx.LocalAddrPort()
			const burst = 4096
			seg := len(benchPkt)
			data := bytes.Repeat(benchPkt[:seg], burst)
			dst := make([]Packet, 64)
			rx.SetReadDeadline(time.Now().Add(10 * time.Minute))
			b.ReportAllocs()
			var msgs int
			var readTime time.Duration
			for b.Loop() {
				b.StopTimer()
				if _, err := tx.WriteSegments(data, seg, to); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				for got := 0; got < burst; {
					n, err := rx.ReadBatch(dst)
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
				readTime += time.Since(t0)
				msgs += burst
			}
			b.ReportMetric(float64(msgs)/readTime.Seconds(), "msgs/s")
			b.ReportMetric(float64(readTime.Nanoseconds())/float64(msgs), "ns/msg")
		})
	}
}

// BenchmarkUDPWriteBatch compares sendmmsg with one write per datagram.
func BenchmarkUDPWriteBatch(b *testing.B) {
	rx := listenUDP(b, "udp4", "127.0.0.1:0", UDPConfig{Batch: 64})
	tx := listenUDP(b, "udp4", "127.0.0.1:0", UDPConfig{})
	to := rx.LocalAddrPort()
	out := make([]OutPacket, 64)
	for i := range out {
		out[i] = OutPacket{Data: benchPkt, Addr: to}
	}
	go drain(rx)
	b.Run("WriteBatch64", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tx.WriteBatch(out); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*64)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("WriteTo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for range 64 {
				if _, err := tx.WriteTo(benchPkt, to); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*64)/b.Elapsed().Seconds(), "msgs/s")
	})
}

func drain(c *UDPConn) {
	dst := make([]Packet, 64)
	for {
		if _, err := c.ReadBatch(dst); err != nil {
			return
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func BenchmarkSLIPDecode(b *testing.B) {
	benchDecode(b, append(bytes.Clone(benchPkt), 0xC0, 0xDB, 0, 0), FrameSLIP)
}

func BenchmarkSizePrefixDecode(b *testing.B) {
	benchDecode(b, benchPkt, FrameSizePrefix)
}

// benchDecode times reading back a stream of 64 frames of pkt.
func benchDecode(b *testing.B, pkt []byte, f Framing) {
	var stream []byte
	for range 64 {
		stream = AppendFrame(stream, pkt, f)
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	r := bytes.NewReader(stream)
	sr := NewStreamReader(r, f, 0)
	for b.Loop() {
		r.Reset(stream)
		sr.Reset(r)
		for range 64 {
			if _, err := sr.ReadFrame(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	pkt := append(bytes.Clone(benchPkt), 0xC0, 0xDB, 0, 0)
	buf := make([]byte, 0, 256)
	for _, f := range []Framing{FrameSLIP, FrameSizePrefix} {
		b.Run(f.String(), func(b *testing.B) {
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendFrame(buf[:0], pkt, f)
			}
		})
	}
}
