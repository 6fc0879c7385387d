package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/wire"
)

// nestedBundle is #bundle t1 { /mixer/a, #bundle t2 { /other, /mixer/b },
// #bundle t3 { /other } }.
func nestedBundle(t testing.TB) []byte {
	var enc wire.Encoder
	enc.BeginBundle(wire.NewTimetag(100, 0))
	enc.Message("/mixer/a").Int32(1).End()
	enc.BeginBundle(wire.NewTimetag(200, 0))
	enc.Message("/other").End()
	enc.Message("/mixer/b").String("x").End()
	enc.EndBundle()
	enc.BeginBundle(wire.NewTimetag(300, 0))
	enc.Message("/other").End()
	enc.EndBundle()
	b, err := enc.EndBundle().Bytes()
	require.NoError(t, err)
	return bytes.Clone(b)
}

func packets(t *testing.T, b []byte, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for range n {
		var p []byte
		p, b = nextPacket(b)
		require.NoError(t, new(wire.Options).Validate(p))
		out = append(out, p)
	}
	require.Empty(t, b, "bytes after the packets")
	return out
}

// TestRewriterNestedBundles: filtering and rewriting keep nested bundles
// and their timetags; a nested bundle left empty is dropped; flattening
// gives the kept messages in order.
func TestRewriterNestedBundles(t *testing.T) {
	rule, err := parseRewrite("/mixer=/console")
	require.NoError(t, err)
	rw := rewriter{filters: [][]byte{[]byte("/mixer/*")}, rules: []rewriteRule{rule}}
	b, n, err := rw.appendPacket([]byte("keep"), nestedBundle(t))
	require.NoError(t, err)
	require.Equal(t, "keep", string(b[:4]))
	got := packets(t, b[4:], n)
	require.Len(t, got, 1)

	var enc wire.Encoder
	enc.BeginBundle(wire.NewTimetag(100, 0))
	enc.Message("/console/a").Int32(1).End()
	enc.BeginBundle(wire.NewTimetag(200, 0))
	enc.Message("/console/b").String("x").End()
	enc.EndBundle()
	want, err := enc.EndBundle().Bytes()
	require.NoError(t, err)
	require.Equal(t, want, got[0])

	rw.flatten = true
	b, n, err = rw.appendPacket(nil, nestedBundle(t))
	require.NoError(t, err)
	got = packets(t, b, n)
	require.Len(t, got, 2)
	a, err := wire.AppendMessage(nil, "/console/a", wire.Int32(1))
	require.NoError(t, err)
	c, err := wire.AppendMessage(nil, "/console/b", wire.String("x"))
	require.NoError(t, err)
	require.Equal(t, [][]byte{a, c}, got)

	rw = rewriter{filters: [][]byte{[]byte("/nothing")}}
	b, n, err = rw.appendPacket(nil, nestedBundle(t))
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, b)
}

// TestRewriteRules: a prefix applies at a part boundary; the first rule
// that applies wins; padding follows the new address length.
func TestRewriteRules(t *testing.T) {
	r1, err := parseRewrite("/a=/longer/prefix")
	require.NoError(t, err)
	r2, err := parseRewrite("/ab=/x")
	require.NoError(t, err)
	rw := rewriter{rules: []rewriteRule{r1, r2}}
	for in, out := range map[string]string{
		"/a":     "/longer/prefix",
		"/a/b/c": "/longer/prefix/b/c",
		"/ab":    "/x",
		"/abc":   "/abc",
	} {
		m, err := wire.AppendMessage(nil, in, wire.Int32(7), wire.String("s"))
		require.NoError(t, err)
		b, n, err := rw.appendPacket(nil, m)
		require.NoError(t, err)
		p := packets(t, b, n)
		want, err := wire.AppendMessage(nil, out, wire.Int32(7), wire.String("s"))
		require.NoError(t, err)
		require.Equal(t, want, p[0], in)
	}
	for _, spec := range []string{"", "/a", "a=/b", "/a=b"} {
		_, err := parseRewrite(spec)
		require.Error(t, err, spec)
	}
}

// TestRewriterMalformed: bad input gives a typed error with an offset and
// appends nothing.
func TestRewriterMalformed(t *testing.T) {
	rw := rewriter{rules: []rewriteRule{{[]byte("/a"), []byte("/b")}}}
	pkt := append(nestedBundle(t), 0, 0, 0, 8, '/', 'x', 0) // an element cut short
	b, n, err := rw.appendPacket([]byte("x"), pkt)
	var pe *wire.ParseError
	require.True(t, errors.As(err, &pe), "%v", err)
	require.Positive(t, pe.Off)
	require.Zero(t, n)
	require.Equal(t, "x", string(b))
}

// FuzzRewrite: any input gives valid packets or a typed error, never a
// panic.
func FuzzRewrite(f *testing.F) {
	m, _ := wire.AppendMessage(nil, "/mixer/ch/1", wire.Float32(0.5))
	f.Add(m)
	f.Add(nestedBundle(f))
	f.Add([]byte("#bundle\x00"))
	rules := []rewriteRule{{[]byte("/mixer"), []byte("/c")}, {[]byte("/"), []byte("/root/")}}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, flatten := range []bool{false, true} {
			rw := rewriter{filters: [][]byte{[]byte("/*/b"), []byte("/mixer/*")}, rules: rules, flatten: flatten}
			b, n, err := rw.appendPacket(nil, pkt)
			if err != nil {
				var pe *wire.ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			for range n {
				var p []byte
				p, b = nextPacket(b)
				if err := new(wire.Options).Validate(p); err != nil {
					t.Fatalf("invalid output %x: %v", p, err)
				}
			}
			if len(b) != 0 {
				t.Fatalf("%d bytes after %d packets", len(b), n)
			}
		}
	})
}
