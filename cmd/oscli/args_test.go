package main

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/wire"
)

// encodeArgs runs the send grammar and returns the message as hex.
func encodeArgs(t *testing.T, args ...string) string {
	t.Helper()
	addr, vals, err := parseMessage(args)
	require.NoError(t, err)
	pkt, err := wire.AppendMessage(nil, addr, vals...)
	require.NoError(t, err)
	return hex.EncodeToString(pkt)
}

func h(s string) string { return strings.ReplaceAll(s, " ", "") }

// encodedCase is a send command line after the target, and the message it
// encodes, as spaced hex.
type encodedCase struct {
	args []string
	want string
}

// checkEncoded runs encodeArgs over the cases, one subtest each.
func checkEncoded(t *testing.T, cases []encodedCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			require.Equal(t, h(c.want), encodeArgs(t, c.args...))
		})
	}
}

func TestParseMessageTyped(t *testing.T) {
	checkEncoded(t, []encodedCase{
		// liblo's oscsend example, byte for byte as oscsend writes it.
		{[]string{"/a", "ihfdsScmTFNI", "1", "-2", "3.5", "4.25", "hello", "sym", "x", "00904064"},
			"2f610000 2c696866 64735363 6d54464e 49000000 00000001 ffffffff fffffffe 40600000 40110000 00000000 68656c6c 6f000000 73796d00 00000078 00904064"},
		{[]string{"/a", ",if", "7", "0.5"}, "2f610000 2c696600 00000007 3f000000"},
		{[]string{"/a"}, "2f610000 2c000000"},
		{[]string{"/a", ","}, "2f610000 2c000000"},
		{[]string{"/a", "T"}, "2f610000 2c540000"},
		{[]string{"/a", "i", "0x10"}, "2f610000 2c690000 00000010"},
		{[]string{"/a", "i", "0xffffffff"}, "2f610000 2c690000 ffffffff"},
		{[]string{"/a", "i", "-2147483648"}, "2f610000 2c690000 80000000"},
		{[]string{"/a", "h", "-9223372036854775808"}, "2f610000 2c680000 80000000 00000000"},
		{[]string{"/a", "f", "-0"}, "2f610000 2c660000 80000000"},
		{[]string{"/a", "d", "-0"}, "2f610000 2c640000 80000000 00000000"},
		{[]string{"/a", "f", "nan"}, "2f610000 2c660000 7fc00000"},
		{[]string{"/a", "f", "-inf"}, "2f610000 2c660000 ff800000"},
		{[]string{"/a", "d", "inf"}, "2f610000 2c640000 7ff00000 00000000"},
		{[]string{"/a", "d", "NaN"}, "2f610000 2c640000 7ff80000 00000000"},
		{[]string{"/a", "f", "0.1"}, "2f610000 2c660000 3dcccccd"},
		{[]string{"/a", "d", "0.1"}, "2f610000 2c640000 3fb99999 9999999a"},
		{[]string{"/a", "s", ""}, "2f610000 2c730000 00000000"},
		{[]string{"/a", "s", "abcd"}, "2f610000 2c730000 61626364 00000000"},
		{[]string{"/a", "S", "1"}, "2f610000 2c530000 31000000"},
		{[]string{"/a", "c", "é"}, "2f610000 2c630000 000000e9"},
		{[]string{"/a", "b", ""}, "2f610000 2c620000 00000000"},
		{[]string{"/a", "b", "010203"}, "2f610000 2c620000 00000003 01020300"},
		{[]string{"/a", "r", "FF0000ff"}, "2f610000 2c720000 ff0000ff"},
		{[]string{"/a", "t", "00000064.80000000"}, "2f610000 2c740000 00000064 80000000"},
		{[]string{"/a", "t", "immediate"}, "2f610000 2c740000 00000000 00000001"},
		{[]string{"/a", "t", "1970-01-01T00:00:01Z"}, "2f610000 2c740000 83aa7e81 00000000"},
		{[]string{"/a", "[i[s]]f", "1", "x", "2"}, "2f610000 2c5b695b 735d5d66 00000000 00000001 78000000 40000000"},
		{[]string{"/a", ",[]"}, "2f610000 2c5b5d00"},
	})
}

func TestParseMessageInferred(t *testing.T) {
	checkEncoded(t, []encodedCase{
		{[]string{"/a", "1", "-2", "2.5", "hello"}, "2f610000 2c696966 73000000 00000001 fffffffe 40200000 68656c6c 6f000000"},
		{[]string{"/a", "4294967296"}, "2f610000 2c680000 00000001 00000000"},
		{[]string{"/a", "true", "false", "nil"}, "2f610000 2c54464e 00000000"},
		{[]string{"/a", "1e3", ".5", "-0.0"}, "2f610000 2c666666 00000000 447a0000 3f000000 80000000"},
		{[]string{"/a", "1e300"}, "2f610000 2c640000 7e37e43c 8800759c"},
		{[]string{"/a", "nan", "inf", "0x10", "1.", "e5", "1e", "-"}, "2f610000 2c737373 66737373 00000000" +
			"6e616e00 696e6600 30783130 00000000 3f800000 65350000 31650000 2d000000"},
		{[]string{"/a", "hello", "world"}, "2f610000 2c737300 68656c6c 6f000000 776f726c 64000000"},
	})
}

func TestParseMessageErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{nil, "missing /address"},
		{[]string{"a"}, "must start with '/'"},
		{[]string{"/chat", "hi"}, `"hi" reads as types that need 2 values, but 0 follow (to send it as a string, give its type: s hi)`},
		{[]string{"/a", ",ii", "1"}, `types ",ii" need 2 values, but 1 follow`},
		{[]string{"/a", ",ix", "1"}, "unknown type 'x'"},
		{[]string{"/a", "[i", "1"}, "unbalanced '['"},
		{[]string{"/a", "i]", "1"}, "unbalanced ']'"},
		{[]string{"/a", "i", "1.5"}, `value 1 ("1.5") for type i: want an integer of 32 bits`},
		{[]string{"/a", "i", "2147483648"}, "want an integer of 32 bits"},
		{[]string{"/a", "i", "-0x1"}, "want an integer of 32 bits"},
		{[]string{"/a", "f", "1e39"}, "out of range for a 32-bit float"},
		{[]string{"/a", "d", "x"}, "want a number"},
		{[]string{"/a", "c", "ab"}, "want one character"},
		{[]string{"/a", "m", "0090406"}, "want 8 hex digits"},
		{[]string{"/a", "b", "abc"}, "want hex digits"},
		{[]string{"/a", "t", "soon"}, "RFC 3339"},
		{[]string{"/a", "s", "a\x00b"}, "NUL"},
		{[]string{"/a", ",i" + strings.Repeat("[", 33) + strings.Repeat("]", 33), "1"}, "nested deeper than 32"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, _, err := parseMessage(c.args)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestParseTime(t *testing.T) {
	now := func() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }
	tt, err := parseTime("now", now)
	require.NoError(t, err)
	require.Equal(t, wire.TimetagOf(now()), tt)
	tt, err = parseTime("2024-01-02T03:04:05.5+01:00", now)
	require.NoError(t, err)
	require.Equal(t, uint32(0x80000000), tt.Fraction())
	require.Equal(t, now().Add(-time.Hour), tt.Time().Truncate(time.Second))
}

func TestInferFloatRoundTrip(t *testing.T) {
	for _, s := range []string{"0.1", "3.4028235e38", "1e-45", "-1.5"} {
		v := inferValue(s)
		f, ok := v.Float32()
		require.True(t, ok, s)
		require.False(t, math.IsInf(float64(f), 0))
	}
}

func TestParseTarget(t *testing.T) {
	cases := []struct {
		args []string
		dest string
		rest int
		err  string
	}{
		{[]string{"-", "/a"}, "-", 1, ""},
		{[]string{"127.0.0.1", "9000", "/a"}, "osc.udp://127.0.0.1:9000", 1, ""},
		{[]string{"::1", "9000", "/a"}, "osc.udp://[::1]:9000", 1, ""},
		{[]string{"osc.udp://127.0.0.1:9000/", "/a"}, "osc.udp://127.0.0.1:9000", 1, ""},
		{[]string{"osc.udp://[::1]:9000", "/a"}, "osc.udp://[::1]:9000", 1, ""},
		{[]string{"osc.tcp://127.0.0.1:9000", "/a"}, "osc.tcp://127.0.0.1:9000", 1, ""},
		{[]string{"osc.tcp+slip://127.0.0.1:9000", "/a"}, "osc.tcp+slip://127.0.0.1:9000", 1, ""},
		{[]string{"osc.tcp+size://127.0.0.1:9000"}, "osc.tcp+size://127.0.0.1:9000", 0, ""},
		{[]string{"osc.unix:///tmp/x.sock", "/a"}, "osc.unix:///tmp/x.sock", 1, ""},
		{[]string{"http://x:1", "/a"}, "", 0, "want osc.udp://"},
		{[]string{"localhost", "0", "/a"}, "", 0, "want a number from 1 to 65535"},
		{[]string{"localhost", "http", "/a"}, "", 0, "want a number"},
		{[]string{"localhost"}, "", 0, "missing PORT"},
		{nil, "", 0, "missing HOST PORT"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			dest, rest, err := parseTarget(c.args)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.dest, dest)
			require.Len(t, rest, c.rest)
		})
	}
}
