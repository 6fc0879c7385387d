package netio

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// splitPackets cuts data into up to three packets at positions derived from
// its length.
func splitPackets(data []byte) [][]byte {
	a, b := len(data)/3, 2*len(data)/3
	return [][]byte{data[:a], data[a:b], data[b:]}
}

func checkFrames(t *testing.T, stream []byte, f Framing, chunk int, want [][]byte) {
	t.Helper()
	sr := NewStreamReader(&chunkReader{b: stream, n: chunk}, f, 0)
	got, recov, err := readAll(sr)
	if err != nil || len(recov) != 0 {
		t.Fatalf("chunk %d: %v %v", chunk, err, recov)
	}
	if len(got) != len(want) {
		t.Fatalf("chunk %d: %d frames, want %d", chunk, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("chunk %d: frame %d = %x, want %x", chunk, i, got[i], want[i])
		}
	}
}

func FuzzSLIP(f *testing.F) {
	f.Add([]byte("/a\x00\x00,i\x00\x00\x00\x00\x00\x01"), uint8(1))
	f.Add([]byte{0xC0, 0xDB, 0xDC, 0xDD, 0xC0}, uint8(2))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var stream []byte
		var want [][]byte
		for _, p := range splitPackets(data) {
			stream = AppendFrame(stream, p, FrameSLIP)
			if len(p) > 0 {
				want = append(want, p)
			}
		}
		if frameLen(data, FrameSLIP) != len(AppendFrame(nil, data, FrameSLIP)) {
			t.Fatal("FrameLen disagrees with AppendFrame")
		}
		checkFrames(t, stream, FrameSLIP, len(stream)+1, want)
		checkFrames(t, stream, FrameAuto, int(chunk)%17+1, want)
	})
}

func FuzzSizePrefix(f *testing.F) {
	f.Add([]byte("/a\x00\x00,i\x00\x00\x00\x00\x00\x01"), uint8(1))
	f.Add([]byte{0xC0, 0, 0, 0}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var stream []byte
		var want [][]byte
		for _, p := range splitPackets(data) {
			p = append(bytes.Clone(p), make([]byte, 4-len(p)%4)...) // non-empty, aligned
			stream = AppendFrame(stream, p, FrameSizePrefix)
			want = append(want, p)
		}
		checkFrames(t, stream, FrameSizePrefix, len(stream)+1, want)
		checkFrames(t, stream, FrameAuto, int(chunk)%17+1, want)
	})
}

func FuzzStreamReader(f *testing.F) {
	f.Add([]byte{0xC0, 1, 0xDB, 0xDC, 0xC0, 0xC0, 0xDB}, uint8(0), uint8(3), uint16(16))
	f.Add([]byte{0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x7f, 0xff, 0xff, 0xfc}, uint8(2), uint8(1), uint16(64))
	f.Fuzz(func(t *testing.T, data []byte, framing, chunk uint8, maxFrame uint16) {
		mf := int(maxFrame)%4096 + 4
		sr := NewStreamReader(&chunkReader{b: data, n: int(chunk)%33 + 1}, Framing(framing%3), mf)
		for range len(data) + 2 {
			fr, err := sr.ReadFrame()
			if cap(sr.frame) > mf+len(sr.buf)+64 {
				t.Fatalf("assembly buffer grew to %d (cap %d)", cap(sr.frame), mf)
			}
			if err == nil {
				if len(fr) == 0 || len(fr) > mf {
					t.Fatalf("frame of %d bytes (cap %d)", len(fr), mf)
				}
				continue
			}
			var fe *FrameError
			if errors.As(err, &fe) {
				if fe.Offset < 0 || fe.Offset > int64(len(data)) {
					t.Fatalf("offset %d outside stream of %d", fe.Offset, len(data))
				}
				if fe.Recoverable {
					continue
				}
				return
			}
			if err != io.EOF {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		t.Fatal("reader did not terminate")
	})
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"osc.udp://localhost:9000", "osc.udp://[::1]:9000", "osc.tcp+slip://h:1",
		"osc.tcp+size://h:1/", "osc.unix:///tmp/x", "9000", "host:1", "osc.udp://[fe80::1%eth0]:1",
		"osc.ws://127.0.0.1:8080/osc", "osc.wss://h:443/", "osc.ws://[::1]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEndpoint(s)
		if err != nil {
			var ee *EndpointError
			if !errors.As(err, &ee) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		e2, err := ParseEndpoint(e.String())
		if err != nil || e2 != e {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, e, e.String(), e2, err)
		}
		_, _, _ = e.Host(), e.Port(), e.IsMulticast()
	})
}
