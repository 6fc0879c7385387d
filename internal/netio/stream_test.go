package netio

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

type framingVector struct {
	ID        string          `json:"id"`
	PacketHex json.RawMessage `json:"packet_hex"`
	StreamHex string          `json:"stream_hex"`
}

func loadFramingVectors(t *testing.T) []framingVector {
	t.Helper()
	b, err := os.ReadFile("testdata/framing.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []framingVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 6 {
		t.Fatalf("only %d framing vectors", len(vs))
	}
	return vs
}

func (v framingVector) packets(t *testing.T) [][]byte {
	t.Helper()
	var one string
	var many []string
	if string(v.PacketHex) == "null" {
		return nil
	}
	if json.Unmarshal(v.PacketHex, &one) == nil {
		many = []string{one}
	} else if json.Unmarshal(v.PacketHex, &many) != nil {
		many = nil // null: no valid packet
	}
	var out [][]byte
	for _, h := range many {
		out = append(out, mustHex(t, h))
	}
	return out
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll reads frames until EOF or a fatal error, collecting copies and the
// recoverable errors.
func readAll(sr *StreamReader) (frames [][]byte, recov []error, err error) {
	for range 10000 {
		f, err := sr.ReadFrame()
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) && fe.Recoverable {
				recov = append(recov, err)
				continue
			}
			if err == io.EOF {
				return frames, recov, nil
			}
			return frames, recov, err
		}
		frames = append(frames, bytes.Clone(f))
	}
	return frames, recov, errors.New("too many frames")
}

func TestFramingVectors(t *testing.T) {
	for _, v := range loadFramingVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			stream := mustHex(t, v.StreamHex)
			want := v.packets(t)
			for _, chunk := range []int{0, 1, 3, 7} {
				var r io.Reader = bytes.NewReader(stream)
				if chunk > 0 {
					r = &chunkReader{b: stream, n: chunk}
				}
				got, recov, err := readAll(NewStreamReader(r, FrameAuto, 0))
				if err != nil {
					t.Fatalf("chunk %d: %v", chunk, err)
				}
				if len(got) != len(want) {
					t.Fatalf("chunk %d: got %d frames, want %d", chunk, len(got), len(want))
				}
				for i := range got {
					if !bytes.Equal(got[i], want[i]) {
						t.Fatalf("chunk %d frame %d: got %x want %x", chunk, i, got[i], want[i])
					}
				}
				if want == nil && (len(recov) != 1 || !errors.Is(recov[0], ErrSLIPEscape)) {
					t.Fatalf("chunk %d: want one ErrSLIPEscape, got %v", chunk, recov)
				}
			}
			// Encoding reproduces the stream for single-packet vectors.
			for _, f := range []struct {
				framing Framing
				match   bool
			}{
				{FrameSizePrefix, strings.Contains(v.ID, "tcp10")},
				{FrameSLIP, strings.HasPrefix(v.ID, "slip")},
			} {
				if len(want) == 0 || !f.match {
					continue
				}
				var enc []byte
				for _, p := range want {
					enc = AppendFrame(enc, p, f.framing)
				}
				if !bytes.Equal(enc, stream) {
					t.Fatalf("AppendFrame %v: %x want %x", f.framing, enc, stream)
				}
			}
		})
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), c.n, len(c.b))
	copy(p, c.b[:k])
	c.b = c.b[k:]
	return k, nil
}

func TestSLIPBadEscapeDropsOnlyThatFrame(t *testing.T) {
	a := []byte("/a\x00\x00,i\x00\x00\x00\x00\x00\x01")
	var s []byte
	s = AppendFrame(s, a, FrameSLIP)
	s = append(s, 0xC0, 'x', 0xDB, 0x41, 'y', 0xC0) // bad escape
	s = AppendFrame(s, a, FrameSLIP)
	s = append(s, 0xC0, 'x', 0xDB, 0xC0) // ESC END
	s = AppendFrame(s, []byte{0xC0, 0xDB}, FrameSLIP)
	for _, chunk := range []int{1, 2, 5, 1000} {
		got, recov, err := readAll(NewStreamReader(&chunkReader{b: s, n: chunk}, FrameSLIP, 0))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], a) || !bytes.Equal(got[2], []byte{0xC0, 0xDB}) {
			t.Fatalf("chunk %d: frames %q", chunk, got)
		}
		if len(recov) != 2 {
			t.Fatalf("chunk %d: errors %v", chunk, recov)
		}
		var fe *FrameError
		if !errors.As(recov[0], &fe) || !errors.Is(fe, ErrSLIPEscape) || fe.Offset != int64(len(a)+4) {
			t.Fatalf("chunk %d: first error %#v", chunk, recov[0])
		}
	}
}

func TestSLIPOversizeDropped(t *testing.T) {
	big := bytes.Repeat([]byte{1, 2, 3, 4}, 100)
	small := []byte("/ok\x00")
	var s []byte
	s = AppendFrame(s, big, FrameSLIP)
	s = AppendFrame(s, small, FrameSLIP)
	for _, chunk := range []int{1, 64, 100000} {
		got, recov, err := readAll(NewStreamReader(&chunkReader{b: s, n: chunk}, FrameAuto, 64))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !bytes.Equal(got[0], small) {
			t.Fatalf("chunk %d: frames %q", chunk, got)
		}
		if len(recov) != 1 || !errors.Is(recov[0], ErrFrameTooLarge) {
			t.Fatalf("chunk %d: errors %v", chunk, recov)
		}
	}
}

func TestSizePrefixHostile(t *testing.T) {
	cases := []struct {
		name   string
		stream []byte
		want   error
	}{
		{"2GiB", []byte{0x7f, 0xff, 0xff, 0xfc, 1, 2, 3, 4}, ErrFrameTooLarge},
		{"negative", []byte{0x80, 0, 0, 0}, ErrFrameSize},
		{"zero", []byte{0, 0, 0, 0}, ErrFrameSize},
		{"unaligned", []byte{0, 0, 0, 5, 1, 2, 3, 4, 5}, ErrFrameSize},
		{"mid-frame EOF", []byte{0, 0, 0, 8, 1, 2, 3}, ErrPartialFrame},
		{"mid-prefix EOF", []byte{0, 0}, ErrPartialFrame},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sr := NewStreamReader(bytes.NewReader(c.stream), FrameSizePrefix, 0)
			var ms0, ms1 runtimeMem
			ms0.read()
			_, err := sr.ReadFrame()
			ms1.read()
			var fe *FrameError
			if !errors.As(err, &fe) || !errors.Is(err, c.want) || fe.Recoverable || fe.Offset != 0 {
				t.Fatalf("err %v, want fatal %v at 0", err, c.want)
			}
			if c.want == ErrPartialFrame && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("partial frame error does not wrap io.ErrUnexpectedEOF")
			}
			if d := ms1.total - ms0.total; d > 1<<20 {
				t.Fatalf("allocated %d bytes", d)
			}
			if _, err2 := sr.ReadFrame(); err2 != err {
				t.Fatalf("error not sticky: %v", err2)
			}
		})
	}
}

func TestSizePrefixSplit(t *testing.T) {
	var s []byte
	var want [][]byte
	for i := range 50 {
		p := bytes.Repeat([]byte{byte(i)}, 4*(i+1)*37)
		want = append(want, p)
		s = AppendFrame(s, p, FrameSizePrefix)
	}
	for _, r := range []io.Reader{bytes.NewReader(s), iotest.OneByteReader(bytes.NewReader(s)), iotest.HalfReader(bytes.NewReader(s)), iotest.DataErrReader(bytes.NewReader(s))} {
		sr := NewStreamReader(r, FrameAuto, 0)
		got, _, err := readAll(sr)
		if err != nil {
			t.Fatal(err)
		}
		if sr.Framing() != FrameSizePrefix {
			t.Fatalf("detected %v", sr.Framing())
		}
		if len(got) != len(want) {
			t.Fatalf("got %d frames", len(got))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("frame %d differs", i)
			}
		}
		if sr.Offset() != int64(len(s)) {
			t.Fatalf("offset %d want %d", sr.Offset(), len(s))
		}
	}
}

func TestStreamReaderZeroCopy(t *testing.T) {
	p := []byte("/zero\x00\x00\x00,\x00\x00\x00")
	s := AppendFrame(nil, p, FrameSLIP)
	s = AppendFrame(s, p, FrameSLIP)
	sr := NewStreamReader(bytes.NewReader(s), FrameAuto, 0)
	f1, err := sr.ReadFrame()
	if err != nil || !bytes.Equal(f1, p) {
		t.Fatal(f1, err)
	}
	// Whole frame in the buffer: a view of the read buffer.
	if &f1[0] != &sr.buf[1] {
		t.Fatal("frame is not a view of the read buffer")
	}
}

func TestStreamReaderNoProgress(t *testing.T) {
	sr := NewStreamReader(zeroReader{}, FrameAuto, 0)
	if _, err := sr.ReadFrame(); err != io.ErrNoProgress {
		t.Fatalf("got %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestSLIPPartialAtEOF(t *testing.T) {
	sr := NewStreamReader(bytes.NewReader([]byte{0xC0, 1, 2, 3}), FrameAuto, 0)
	_, err := sr.ReadFrame()
	if !errors.Is(err, ErrPartialFrame) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v", err)
	}
}

func TestStreamWriterConcurrent(t *testing.T) {
	var buf lockedBuffer
	w := newStreamWriter(&buf, FrameSLIP)
	const G, N = 4, 200
	startWriters(t, G, N, func(g int) []byte {
		return bytes.Repeat([]byte{byte(g), 0xC0, 0xDB, byte(g)}, 50)
	}, w.WriteFrame).Wait()
	got, recov, err := readAll(NewStreamReader(bytes.NewReader(buf.b), FrameAuto, 0))
	if err != nil || len(recov) != 0 || len(got) != G*N {
		t.Fatalf("%d frames, %v %v", len(got), recov, err)
	}
	for _, f := range got {
		if !bytes.Equal(f, bytes.Repeat([]byte{f[0], 0xC0, 0xDB, f[0]}, 50)) {
			t.Fatal("interleaved frame")
		}
	}
}

// startWriters starts g goroutines, the i-th writing frame(i) n times with
// write, and returns the group to wait for them.
func startWriters(t *testing.T, g, n int, frame func(i int) []byte, write func([]byte) error) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := frame(i)
			for range n {
				if err := write(p); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	return &wg
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.b = append(l.b, p...)
	l.mu.Unlock()
	return len(p), nil
}

func TestFramingNames(t *testing.T) {
	for _, f := range []Framing{FrameAuto, FrameSLIP, FrameSizePrefix} {
		g, err := parseFraming(f.String())
		if err != nil || g != f {
			t.Fatalf("%v: %v %v", f, g, err)
		}
	}
	if _, err := parseFraming("bogus"); err == nil {
		t.Fatal("bogus framing accepted")
	}
	if frameLen([]byte{0xC0, 1}, FrameSLIP) != 5 || frameLen([]byte{1}, FrameSizePrefix) != 5 {
		t.Fatal("FrameLen")
	}
}
