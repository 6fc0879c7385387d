package mdns

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func sample() *Message {
	return &Message{
		Flags: flagResponse | flagAuthoritative,
		Answers: []Record{
			{Name: "_oscjson._tcp.local", Type: TypePTR, TTL: 4500, Target: `My\.App (2)._oscjson._tcp.local`},
		},
		Additionals: []Record{
			{Name: `My\.App (2)._oscjson._tcp.local`, Type: TypeSRV, CacheFlush: true, TTL: 120, Port: 8080, Target: "host.local"},
			{Name: `My\.App (2)._oscjson._tcp.local`, Type: TypeTXT, CacheFlush: true, TTL: 4500, Text: []string{"txtvers=1"}},
			{Name: "host.local", Type: TypeA, CacheFlush: true, TTL: 120, Addr: netip.MustParseAddr("127.0.0.1")},
			{Name: "host.local", Type: TypeAAAA, CacheFlush: true, TTL: 120, Addr: netip.MustParseAddr("fe80::1")},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	m.Questions = []Question{{Name: "_osc._udp.local", Type: TypePTR, Unicast: true}}
	b, err := m.Append(nil)
	require.NoError(t, err)
	got, err := Parse(b)
	require.NoError(t, err)
	for i := range got.Answers {
		got.Answers[i].Class = 0
	}
	for i := range got.Additionals {
		got.Additionals[i].Class = 0
	}
	require.Equal(t, m, got)
	// Compression: the service type is written once.
	require.Equal(t, 1, bytes.Count(b, []byte("_oscjson")))
	require.Equal(t, []string{"My.App (2)", "_oscjson", "_tcp", "local"}, Labels(got.Answers[0].Target))
}

func TestParseErrors(t *testing.T) {
	hdr := func(qd, an byte) []byte { return []byte{0, 0, 0x84, 0, 0, qd, 0, an, 0, 0, 0, 0} }
	cases := []struct {
		name string
		pkt  []byte
		off  int
	}{
		{"short header", []byte{0, 0, 0}, 3},
		{"counts beyond the packet", hdr(0, 200), 4},
		{"pointer loop", append(hdr(1, 0), 0xc0, 12, 0, 1, 0, 1), 12},
		{"pointer past end", append(hdr(1, 0), 0xc0, 0xff, 0, 1, 0, 1), 12},
		{"label > 63", append(hdr(1, 0), append([]byte{0x40}, make([]byte, 68)...)...), 12},
		{"label runs past end", append(hdr(1, 0), 9, 'a', 'b', 0, 0, 0), 12},
		{"rdata overrun", append(hdr(0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 1, 2, 3, 4), 21},
	}
	long := hdr(1, 0)
	for range 5 {
		long = append(long, 60)
		long = append(long, bytes.Repeat([]byte{'x'}, 60)...)
	}
	long = append(long, 0, 0, 1, 0, 1)
	cases = append(cases, struct {
		name string
		pkt  []byte
		off  int
	}{"name > 255", long, 12 + 4*61})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.pkt)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "%v", err)
			require.Equal(t, c.off, pe.Offset, "%v", err)
		})
	}
}

func FuzzParse(f *testing.F) {
	b, _ := sample().Append(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(b) && pe.Offset != MaxPacket {
				t.Fatalf("error %v is not a *ParseError with an offset in the packet", err)
			}
			return
		}
		// What parses re-encodes (unknown record data aside) and parses again.
		out, err := m.Append(nil)
		if err != nil {
			return // names with empty labels parse but are not written
		}
		if _, err := Parse(out); err != nil && len(out) <= MaxPacket {
			t.Fatalf("re-encoded packet does not parse: %v", err)
		}
	})
}

func TestTruncate(t *testing.T) {
	require.Equal(t, "abc", truncate("abc", 5))
	require.Equal(t, "ab", truncate("abé", 3), "é is two bytes: not cut in half")
	long := string(bytes.Repeat([]byte("é"), 40))
	require.LessOrEqual(t, len(truncate(long, maxLabel)), maxLabel)
}
