package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// sample returns one record of every kind a recording holds.
func sample(t testing.TB) []Record {
	var e wire.Encoder
	e.BeginBundle(wire.Timetag(1))
	e.Message("/b/x").Int32(7).End()
	e.EndBundle()
	bundle, err := e.Bytes()
	require.NoError(t, err)
	msg := func(addr string, v ...wire.Value) []byte {
		b, err := wire.AppendMessage(nil, addr, v...)
		require.NoError(t, err)
		return b
	}
	src4, dst4 := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:9000")
	src6, dst6 := netip.MustParseAddrPort("[::1]:40001"), netip.MustParseAddrPort("[::1]:9001")
	return []Record{
		{Time: 0, Transport: UDP, Src: src4, Dst: dst4, Endpoint: "osc.udp://127.0.0.1:9000", Data: msg("/udp/four", wire.Float32(0.5), wire.String("hi"))},
		{Time: 1500, Transport: UDP, Src: src6, Dst: dst6, Endpoint: "osc.udp://[::1]:9001", Data: bytes.Clone(bundle)},
		{Time: 2_000_000, Transport: TCP, Slip: true, Src: src4, Dst: netip.MustParseAddrPort("127.0.0.1:9002"), Endpoint: "osc.tcp://127.0.0.1:9002", Data: msg("/tcp/slip", wire.Blob([]byte{0xC0, 0xDB, 1}))},
		{Time: 2_000_001, Transport: TCP, Src: src6, Dst: netip.MustParseAddrPort("[::1]:9003"), Endpoint: "osc.tcp://[::1]:9003", Data: msg("/tcp/size", wire.Int32(3))},
		{Time: 3_000_000, Transport: Unix, Path: "/tmp/sender.sock", Endpoint: "osc.unix:///tmp/r.sock", Data: msg("/unix/path", wire.Int32(4))},
		{Time: 4_000_000, Transport: UDP, Src: src4, Dst: dst4, Endpoint: "osc.udp://127.0.0.1:9000", Data: []byte("/bad\x00"), Malformed: "wire: offset 5: truncated"},
		{Time: 5_000_000, Transport: WebSocket, Src: src4, Dst: netip.MustParseAddrPort("127.0.0.1:9004"), Endpoint: "osc.ws://127.0.0.1:9004", Data: msg("/ws/four", wire.Int32(5))},
		{Time: 5_000_001, Transport: WebSocket, Src: src6, Dst: netip.MustParseAddrPort("[::1]:9005"), Endpoint: "osc.ws://[::1]:9005", Data: bytes.Clone(bundle)},
	}
}

func writeAll(t testing.TB, f Format, recs []Record, start time.Time) []byte {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f, Header{Start: start})
	require.NoError(t, err)
	for i := range recs {
		require.NoError(t, w.Write(&recs[i]))
	}
	return buf.Bytes()
}

func readAll(t testing.TB, b []byte) (Header, []Record) {
	r, err := NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	var out []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		c := *rec
		c.Data = bytes.Clone(rec.Data)
		out = append(out, c)
	}
	return r.Header(), out
}

func TestRoundTrip(t *testing.T) {
	start := time.Date(2026, 3, 1, 20, 0, 0, 123456789, time.UTC)
	recs := sample(t)
	for _, f := range []Format{Pcapng, JSONL} {
		h, got := readAll(t, writeAll(t, f, recs, start))
		require.True(t, h.Start.Equal(start), "format %d start %v", f, h.Start)
		require.Len(t, got, len(recs), "format %d", f)
		for i := range recs {
			want := recs[i]
			if want.Transport != TCP {
				want.Slip = false
			}
			require.Equal(t, want, got[i], "format %d record %d", f, i)
		}
	}
}

// TestTshark checks that tshark decodes the OSC in a recording: UDP
// (IPv4 and IPv6), TCP with both framings, UNIX and WebSocket.
func TestTshark(t *testing.T) {
	tshark := peer(t, "tshark")
	dir := t.TempDir()
	f := filepath.Join(dir, "rec.pcapng")
	require.NoError(t, os.WriteFile(f, writeAll(t, Pcapng, sample(t), time.Now()), 0o644))
	out := tsharkPaths(t, tshark, f, "-d", "tcp.port==9002,osc", "-d", "tcp.port==9003,osc")
	require.Equal(t, "/udp/four\n/b/x\n/tcp/slip\n/tcp/size\n/unix/path\n/ws/four\n/b/x\n", out)
}

// pcapSample is a classic pcap file (microseconds, Ethernet) with one
// OSC message over UDP, as tcpdump writes it.
func pcapSample() []byte {
	msg, _ := wire.AppendMessage(nil, "/pcap/eth", wire.Int32(1))
	ip := appendUDP(nil, netip.MustParseAddrPort("10.0.0.1:5000"), netip.MustParseAddrPort("10.0.0.2:8000"), msg)
	frame := append(make([]byte, 12), 0x08, 0x00)
	frame = append(frame, ip...)
	b := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}
	b = binary.LittleEndian.AppendUint32(b, 1700000000)
	b = binary.LittleEndian.AppendUint32(b, 250)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(frame)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(frame)))
	return append(b, frame...)
}

func TestReadPcap(t *testing.T) {
	h, got := readAll(t, pcapSample())
	require.Len(t, got, 1)
	require.Equal(t, int64(1700000000_000250000), h.Start.UnixNano())
	require.Equal(t, UDP, got[0].Transport)
	require.Equal(t, "10.0.0.1:5000", got[0].Src.String())
	require.Equal(t, "10.0.0.2:8000", got[0].Dst.String())
	m, err := wire.ParseMessage(got[0].Data)
	require.NoError(t, err)
	require.Equal(t, "/pcap/eth", m.AddressString())
}

// TestHostile checks typed errors with offsets for damaged files.
func TestHostile(t *testing.T) {
	good := writeAll(t, Pcapng, sample(t), time.Unix(1, 0))
	huge := bytes.Clone(good[:28+8])
	binary.LittleEndian.PutUint32(huge[len(huge)-4:], 0x7ffffff0) // a block claiming 2 GiB
	for name, b := range map[string][]byte{
		"truncated": good[:len(good)-3],
		"huge":      huge,
		"json":      []byte("{\"time\":0,\"transport\":\"udp\",\"raw\":\"\"}\n{\"time\":1,\"transport\":\"udp\",\"raw\":\"zz\"}\n"),
	} {
		r, err := NewReader(bytes.NewReader(b))
		for err == nil {
			_, err = r.Next()
		}
		var fe *FormatError
		require.ErrorAs(t, err, &fe, name)
		require.Positive(t, fe.Offset, name)
	}
}

// TestBigTCPFrame: a TCP packet larger than an IP packet can hold is
// written in several segments and read back whole.
func TestBigTCPFrame(t *testing.T) {
	blob := make([]byte, 300_000)
	for i := range blob {
		blob[i] = byte(i)
	}
	pkt, err := wire.AppendMessage(nil, "/big", wire.Blob(blob))
	require.NoError(t, err)
	recs := []Record{
		{Time: 1, Transport: TCP, Slip: true, Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: netip.MustParseAddrPort("127.0.0.1:9002"), Endpoint: "osc.tcp://127.0.0.1:9002", Data: pkt},
		{Time: 2, Transport: TCP, Src: netip.MustParseAddrPort("[::1]:40001"), Dst: netip.MustParseAddrPort("[::1]:9003"), Endpoint: "osc.tcp://[::1]:9003", Data: pkt},
	}
	_, got := readAll(t, writeAll(t, Pcapng, recs, time.Unix(1, 0)))
	require.Len(t, got, 2)
	for i := range got {
		require.Equal(t, pkt, got[i].Data, "record %d", i)
	}
}
