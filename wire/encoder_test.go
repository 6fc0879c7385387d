package wire_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/wire"
)

// TestEncoderTagLengths crosses every boundary of the type tag string's
// space: the Encoder writes the first tags in place and keeps longer
// strings aside, and must match AppendMessage byte for byte.
func TestEncoderTagLengths(t *testing.T) {
	var e wire.Encoder
	for n := 0; n <= 20; n++ {
		vals := make([]wire.Value, n)
		for i := range vals {
			switch i % 4 {
			case 0:
				vals[i] = wire.Int32(int32(i))
			case 1:
				vals[i] = wire.String(fmt.Sprint("s", i))
			case 2:
				vals[i] = wire.Blob([]byte{byte(i)})
			default:
				vals[i] = wire.Bool(i%2 == 0)
			}
		}
		want, err := wire.AppendMessage(nil, "/tags", vals...)
		require.NoError(t, err)

		e.Reset()
		e.Message("/tags")
		for _, v := range vals {
			e.Value(v)
		}
		got, err := e.End().Bytes()
		require.NoError(t, err)
		require.Equal(t, want, got, "%d args through Value", n)

		// The same message rebuilt from its parsed arguments, inside a
		// bundle, with an array wrapped around them.
		m, err := wire.ParseMessage(want)
		require.NoError(t, err)
		e.Reset()
		e.BeginBundle(wire.Immediately).Message("/tags")
		r := m.Args()
		for r.Next() {
			e.Arg(r.Arg())
		}
		e.End().Message("/arr").BeginArray()
		r = m.Args()
		for r.Next() {
			e.Arg(r.Arg())
		}
		pkt, err := e.EndArray().End().EndBundle().Bytes()
		require.NoError(t, err)
		var msgs []wire.Message
		require.NoError(t, wire.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
			msgs = append(msgs, m.Clone())
			return nil
		}))
		require.Len(t, msgs, 2)
		require.Equal(t, want, msgs[0].Bytes())
		require.Equal(t, 1, msgs[1].NumArgs())
		require.Equal(t, n+2, len(msgs[1].TypeTags()))
	}
}

func TestEncoderErrors(t *testing.T) {
	var e wire.Encoder
	_, err := e.Int32(1).Bytes()
	require.ErrorIs(t, err, wire.ErrEncoderState, "argument outside a message")

	e.Reset()
	_, err = e.Message("/a").String("x\x00y").Int32(2).End().Bytes()
	require.ErrorIs(t, err, wire.ErrInvalidString)

	e.Reset()
	_, err = e.Message("no-slash").Int32(2).End().Bytes()
	require.ErrorIs(t, err, wire.ErrAddress)

	e.Reset()
	_, err = e.Message("/a").BeginArray().End().Bytes()
	require.ErrorIs(t, err, wire.ErrEncoderState, "open array at End")

	// A failed packet stays failed until Reset, whatever follows.
	e.Reset()
	e.Message("/a").Blob(nil).Value(wire.Symbol("a\x00"))
	for range 10 {
		e.Int32(1).Float32(2).String("s")
	}
	_, err = e.End().Bytes()
	require.True(t, errors.Is(err, wire.ErrInvalidString), "first error kept, got %v", err)
	e.Reset()
	pkt, err := e.Message("/ok").Int32(1).End().Bytes()
	require.NoError(t, err)
	require.Equal(t, 12, len(pkt))
}

// TestEncoderStringCopy checks the copy-and-check of strings and addresses
// for every length up to past the word loop, with a NUL at every position
// and without one.
func TestEncoderStringCopy(t *testing.T) {
	var e wire.Encoder
	for n := 0; n <= 48; n++ {
		base := make([]byte, n)
		for i := range base {
			base[i] = byte('a' + i%26)
		}
		for nul := -1; nul < n; nul++ {
			s := append([]byte(nil), base...)
			if nul >= 0 {
				s[nul] = 0
			}
			e.Reset()
			pkt, err := e.Message("/s").String(string(s)).Value(wire.Symbol(string(s))).End().Bytes()
			if nul >= 0 {
				require.ErrorIs(t, err, wire.ErrInvalidString, "len %d, NUL at %d", n, nul)
			} else {
				require.NoError(t, err)
				want, err := wire.AppendMessage(nil, "/s", wire.String(string(s)), wire.Symbol(string(s)))
				require.NoError(t, err)
				require.Equal(t, want, pkt, "len %d", n)
			}

			addr := "/" + string(s)
			e.Reset()
			pkt, err = e.Message(addr).Int32(1).End().Bytes()
			if nul >= 0 && nul == n-1 { // a trailing NUL is trimmed
				require.NoError(t, err)
				m, err := wire.ParseMessage(pkt)
				require.NoError(t, err)
				require.Equal(t, addr[:len(addr)-1], m.AddressString())
			} else if nul >= 0 {
				require.ErrorIs(t, err, wire.ErrAddress, "address len %d, NUL at %d", n+1, nul+1)
			} else {
				require.NoError(t, err)
				m, err := wire.ParseMessage(pkt)
				require.NoError(t, err)
				require.Equal(t, addr, m.AddressString())
			}
		}
	}
}

// TestEncoderBlobCopy checks every blob length up to past the small-blob
// paths against AppendMessage, with the blob's neighbours in place.
func TestEncoderBlobCopy(t *testing.T) {
	var e wire.Encoder
	for n := 0; n <= 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(0xa0 + i)
		}
		e.Reset()
		pkt, err := e.Message("/b").Int32(-1).Blob(b).Int32(7).Blob(b).End().Bytes()
		require.NoError(t, err)
		want, err := wire.AppendMessage(nil, "/b", wire.Int32(-1), wire.Blob(b), wire.Int32(7), wire.Blob(b))
		require.NoError(t, err)
		require.Equal(t, want, pkt, "blob of %d bytes", n)
	}
}
