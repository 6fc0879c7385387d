package oscjson_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/wire"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// TestRoundTrip covers values whose JSON form needs care: each packet is
// written as exactly the JSON given and encodes back to the same bytes.
func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		hex  string
		json string
	}{
		{"f -0", "2f610000 2c660000 80000000", `{"address":"/a","args":[{"type":"f","value":-0}]}`},
		{"d -0", "2f610000 2c640000 80000000 00000000", `{"address":"/a","args":[{"type":"d","value":-0}]}`},
		{"f inf", "2f610000 2c660000 7f800000", `{"address":"/a","args":[{"type":"f","value":"Infinity"}]}`},
		{"f nan payload", "2f610000 2c660000 7fa00001", `{"address":"/a","args":[{"type":"f","value":"NaN","bits":"7fa00001"}]}`},
		{"f negative nan", "2f610000 2c660000 ffc00000", `{"address":"/a","args":[{"type":"f","value":"NaN","bits":"ffc00000"}]}`},
		{"d signalling nan", "2f610000 2c640000 7ff00000 00000001", `{"address":"/a","args":[{"type":"d","value":"NaN","bits":"7ff0000000000001"}]}`},
		{"f shortest", "2f610000 2c660000 3dcccccd", `{"address":"/a","args":[{"type":"f","value":0.1}]}`},
		{"d shortest", "2f610000 2c640000 3fb99999 9999999a", `{"address":"/a","args":[{"type":"d","value":0.1}]}`},
		{"f tiny", "2f610000 2c660000 00000001", `{"address":"/a","args":[{"type":"f","value":1e-45}]}`},
		{"f max", "2f610000 2c660000 7f7fffff", `{"address":"/a","args":[{"type":"f","value":3.4028235e+38}]}`},
		{"s not utf8", "2f730000 2c730000 fffe0000", `{"address":"/s","args":[{"type":"s","hex":"fffe"}]}`},
		{"S not utf8", "2f530000 2c530000 c3000000", `{"address":"/S","args":[{"type":"S","hex":"c3"}]}`},
		{"s escapes", "2f730000 2c730000 0a22 5c01 7f000000", `{"address":"/s","args":[{"type":"s","value":"\n\"\\\u0001` + "\x7f" + `"}]}`},
		{"address not utf8", "2fff0000 2c000000", `{"addressHex":"2fff","args":[]}`},
		{"c surrogate", "2f630000 2c630000 0000d800", `{"address":"/c","args":[{"type":"c","code":55296}]}`},
		{"c high", "2f630000 2c630000 ffffffff", `{"address":"/c","args":[{"type":"c","code":4294967295}]}`},
		{"c non-ascii", "2f630000 2c630000 000000e9", `{"address":"/c","args":[{"type":"c","value":"é"}]}`},
		{"c nul", "2f630000 2c630000 00000000", `{"address":"/c","args":[{"type":"c","value":"\u0000"}]}`},
		{"m", "2f6d0000 2c6d0000 00904064", `{"address":"/m","args":[{"type":"m","value":"00904064"}]}`},
		{"b empty", "2f620000 2c620000 00000000", `{"address":"/b","args":[{"type":"b","value":""}]}`},
		{"N", "2f6e0000 2c4e0000", `{"address":"/n","args":[{"type":"N","value":null}]}`},
		{"t", "2f740000 2c740000 00000064 80000000", `{"address":"/t","args":[{"type":"t","value":{"sec":100,"frac":2147483648}}]}`},
		{"array of everything", "2f610000 2c5b6966 5d000000 00000001 3fc00000",
			`{"address":"/a","args":[{"type":"array","value":[{"type":"i","value":1},{"type":"f","value":1.5}]}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkt := mustHex(t, c.hex)
			js, err := oscjson.AppendPacket(nil, pkt, nil)
			require.NoError(t, err)
			require.Equal(t, c.json, string(js))
			back, err := oscjson.Encode(nil, js, nil)
			require.NoError(t, err)
			require.Equal(t, pkt, back)
		})
	}
}

// TestInput covers what Encode accepts beyond its own output.
func TestInput(t *testing.T) {
	cases := []struct {
		name string
		json string
		want string // the packet: /a with the given tags and data
	}{
		{"untyped", `{"address":"/a","args":[1,2.5,"x",true,false,null,[3]]}`,
			"2f610000 2c696673 54464e5b 695d0000 00000001 40200000 78000000 00000003"},
		{"untyped big integer", `{"address":"/a","args":[4294967296]}`, "2f610000 2c680000 00000001 00000000"},
		{"type message", `{"type":"message","address":"/a","src":"127.0.0.1:9"}`, "2f610000 2c000000"},
		{"f from integer", `{"address":"/a","args":[{"type":"f","value":3}]}`, "2f610000 2c660000 40400000"},
		{"f rounds once", `{"address":"/a","args":[{"type":"f","value":1.00000005960464477539062500001}]}`, "2f610000 2c660000 3f800001"},
		{"f bits only", `{"address":"/a","args":[{"type":"f","bits":"80000000"}]}`, "2f610000 2c660000 80000000"},
		{"f bits and value agree", `{"address":"/a","args":[{"type":"f","value":-0,"bits":"80000000"}]}`, "2f610000 2c660000 80000000"},
		{"f lowercase inf", `{"address":"/a","args":[{"type":"f","value":"-inf"}]}`, "2f610000 2c660000 ff800000"},
		{"d nan", `{"address":"/a","args":[{"type":"d","value":"NaN"}]}`, "2f610000 2c640000 7ff80000 00000000"},
		{"h osc.js long", `{"address":"/a","args":[{"type":"h","value":{"high":-1,"low":-2,"unsigned":false}}]}`,
			"2f610000 2c680000 ffffffff fffffffe"},
		{"r bytes", `{"address":"/a","args":[{"type":"r","value":[255,0,128,1]}]}`, "2f610000 2c720000 ff008001"},
		{"r osc.js colour", `{"address":"/a","args":[{"type":"r","value":{"r":255,"g":0,"b":128,"a":0.7529411764705882}}]}`, "2f610000 2c720000 ff0080c0"},
		{"m upper hex", `{"address":"/a","args":[{"type":"m","value":"00FF4064"}]}`, "2f610000 2c6d0000 00ff4064"},
		{"c code", `{"address":"/a","args":[{"type":"c","code":65}]}`, "2f610000 2c630000 00000041"},
		{"T bare", `{"address":"/a","args":[{"type":"T"},{"type":"F"},{"type":"N"},{"type":"I","value":1}]}`, "2f610000 2c54464e 49000000"},
		{"t immediate", `{"address":"/a","args":[{"type":"t","value":"immediate"}]}`, "2f610000 2c740000 00000000 00000001"},
		{"t hex", `{"address":"/a","args":[{"type":"t","value":"00000064.80000000"}]}`, "2f610000 2c740000 00000064 80000000"},
		{"t rfc3339", `{"address":"/a","args":[{"type":"t","value":"1970-01-01T00:00:00.5Z"}]}`, "2f610000 2c740000 83aa7e80 80000000"},
		{"t osc.js raw", `{"address":"/a","args":[{"type":"t","value":{"raw":[100,5]}}]}`, "2f610000 2c740000 00000064 00000005"},
		{"t osc.js native", `{"address":"/a","args":[{"type":"t","value":{"native":1000}}]}`, "2f610000 2c740000 83aa7e81 00000000"},
		{"s hex", `{"address":"/a","args":[{"type":"s","hex":"41"}]}`, "2f610000 2c730000 41000000"},
		{"bundle osc.js", `{"timeTag":{"raw":[0,1]},"packets":[{"address":"/a"}]}`,
			"2362756e 646c6500 00000000 00000001 00000008 2f610000 2c000000"},
		{"bundle immediate", `{"timetag":"immediate","elements":[]}`, "2362756e 646c6500 00000000 00000001"},
		{"bundle no elements", `{"type":"bundle","timetag":{"sec":1}}`, "2362756e 646c6500 00000001 00000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := oscjson.Encode(nil, []byte(c.json), nil)
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(mustHex(t, c.want)), hex.EncodeToString(got))
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	deepArray := `{"address":"/a","args":[` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `]}`
	deepBundle := strings.Repeat(`{"timetag":"immediate","elements":[`, 10) + strings.Repeat(`]}`, 10)
	cases := []struct {
		name, json, path, msg string
	}{
		{"syntax", `{"address":`, "", "unexpected EOF"},
		{"trailing", `{"address":"/a"} x`, "", "data after"},
		{"not object", `[1]`, "", "must be an object"},
		{"no kind", `{"args":[]}`, "", "not a packet"},
		{"bad type", `{"type":"x"}`, "type", "want"},
		{"unknown member", `{"address":"/a","arg":[]}`, "arg", "unknown member"},
		{"no slash", `{"address":"a"}`, "address", "start with '/'"},
		{"nul address", `{"address":"/a\u0000"}`, "address", "NUL"},
		{"both addresses", `{"address":"/a","addressHex":"2f61"}`, "", "not both"},
		{"args not array", `{"address":"/a","args":{}}`, "args", "want an array"},
		{"unknown type", `{"address":"/a","args":[{"type":"x","value":1}]}`, "args[0].type", "unknown type"},
		{"no type", `{"address":"/a","args":[{"value":1}]}`, "args[0]", "needs \"type\""},
		{"i range", `{"address":"/a","args":[{"type":"i","value":2147483648}]}`, "args[0].value", "32 bits"},
		{"i float", `{"address":"/a","args":[{"type":"i","value":1.5}]}`, "args[0].value", "32 bits"},
		{"h missing", `{"address":"/a","args":[{"type":"h"}]}`, "args[0]", "needs \"value\""},
		{"f range", `{"address":"/a","args":[{"type":"f","value":1e39}]}`, "args[0].value", "out of range"},
		{"f word", `{"address":"/a","args":[{"type":"f","value":"big"}]}`, "args[0].value", "want a number"},
		{"f bits disagree", `{"address":"/a","args":[{"type":"f","value":0,"bits":"80000000"}]}`, "args[0].bits", "disagrees"},
		{"f bits nan vs number", `{"address":"/a","args":[{"type":"f","value":1,"bits":"7fc00001"}]}`, "args[0].bits", "disagrees"},
		{"f bits short", `{"address":"/a","args":[{"type":"f","bits":"800"}]}`, "args[0].bits", "8 hex digits"},
		{"hex on i", `{"address":"/a","args":[{"type":"i","value":1,"hex":"00"}]}`, "args[0].hex", "unknown member"},
		{"s nul", `{"address":"/a","args":[{"type":"s","value":"a\u0000b"}]}`, "args[0]", "NUL"},
		{"s hex nul", `{"address":"/a","args":[{"type":"s","hex":"6100"}]}`, "args[0]", "NUL"},
		{"s both", `{"address":"/a","args":[{"type":"s","value":"a","hex":"61"}]}`, "args[0]", "not both"},
		{"c two", `{"address":"/a","args":[{"type":"c","value":"ab"}]}`, "args[0].value", "one-character"},
		{"b odd", `{"address":"/a","args":[{"type":"b","value":"abc"}]}`, "args[0].value", "hex"},
		{"r short", `{"address":"/a","args":[{"type":"r","value":"ffffff"}]}`, "args[0].value", "8 hex digits"},
		{"r osc.js alpha", `{"address":"/a","args":[{"type":"r","value":{"r":1,"g":2,"b":3,"a":2}}]}`, "args[0].value.a", "0 to 1"},
		{"r osc.js byte", `{"address":"/a","args":[{"type":"r","value":{"r":256,"g":2,"b":3,"a":1}}]}`, "args[0].value.r", "byte"},
		{"m byte", `{"address":"/a","args":[{"type":"m","value":[1,2,3,256]}]}`, "args[0].value[3]", "byte"},
		{"T false", `{"address":"/a","args":[{"type":"T","value":false}]}`, "args[0].value", "true"},
		{"N value", `{"address":"/a","args":[{"type":"N","value":0}]}`, "args[0].value", "null"},
		{"I value", `{"address":"/a","args":[{"type":"I","value":"x"}]}`, "args[0].value", "no value"},
		{"t word", `{"address":"/a","args":[{"type":"t","value":"soon"}]}`, "args[0].value", "RFC 3339"},
		{"t sec range", `{"address":"/a","args":[{"type":"t","value":{"sec":-1}}]}`, "args[0].value.sec", "0 to 4294967295"},
		{"array not array", `{"address":"/a","args":[{"type":"array","value":1}]}`, "args[0].value", "want an array"},
		{"array depth", deepArray, "args[0]" + strings.Repeat("[0]", 32), "deeper than 32"},
		{"bundle depth", deepBundle, strings.TrimPrefix(strings.Repeat(".elements[0]", 9), "."), "deeper than 8"},
		{"bundle no timetag", `{"elements":[]}`, "", "needs \"timetag\""},
		{"bundle bad element", `{"timetag":"immediate","elements":[1]}`, "elements[0]", "must be an object"},
		{"time order", `{"timetag":{"sec":100},"elements":[{"timetag":{"sec":50},"elements":[]}]}`, "", "earlier than its parent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := oscjson.Encode(dst, []byte(c.json), nil)
			require.Error(t, err)
			require.Equal(t, "keep", string(out))
			var e *oscjson.Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
			require.Equal(t, c.path, e.Path, "%v", err)
			require.Contains(t, err.Error(), c.msg)
		})
	}

	// A lenient decoder's options let the encoder write what they accept.
	lenient := &wire.Options{Lenient: true}
	_, err := oscjson.Encode(nil, []byte(`{"timetag":{"sec":100},"elements":[{"timetag":{"sec":50},"elements":[]}]}`), lenient)
	require.NoError(t, err)
}

func TestDecodeLenient(t *testing.T) {
	pkt := mustHex(t, "2f666f6f 00000000")
	_, err := oscjson.AppendPacket(nil, pkt, nil)
	var pe *wire.ParseError
	require.ErrorAs(t, err, &pe)
	require.ErrorContains(t, err, "invalid type tag string")
	js, err := oscjson.AppendPacket(nil, pkt, &wire.Options{Lenient: true})
	require.NoError(t, err)
	require.Equal(t, `{"address":"/foo","args":[]}`, string(js))
}

func TestReader(t *testing.T) {
	in := `{"address":"/a","args":[1]}
{"address":"/b"}
{"address":"nope"}
{"timetag":"immediate","elements":[{"address":"/c"}]}
`
	r := oscjson.NewReader(strings.NewReader(in), nil)
	var got []string
	var errs []string
	for range 10 {
		pkt, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		js, err := oscjson.AppendPacket(nil, pkt, nil)
		require.NoError(t, err)
		got = append(got, string(js))
	}
	require.Equal(t, []string{
		`{"address":"/a","args":[{"type":"i","value":1}]}`,
		`{"address":"/b","args":[]}`,
		`{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/c","args":[]}]}`,
	}, got)
	require.Equal(t, []string{"packet 3: oscjson: address: an address must start with '/'"}, errs)

	r = oscjson.NewReader(strings.NewReader(`{"address":"/a"} {"address"`), nil)
	_, err := r.Next()
	require.NoError(t, err)
	_, err = r.Next()
	require.ErrorIs(t, err, oscjson.ErrStream)
	require.EqualError(t, err, "packet 2: oscjson: cannot read JSON: unexpected EOF")
	_, err2 := r.Next()
	require.Equal(t, err, err2)
}

// TestFloatShortest checks that every float printed reads back to the same
// bits at its own size, over a spread of bit patterns.
func TestFloatShortest(t *testing.T) {
	var enc wire.Encoder
	for i := range uint64(4000) {
		b32 := uint32(i * 1073741789 % (1 << 32))
		b64 := i * 0x9e3779b97f4a7c15
		enc.Reset()
		enc.Message("/f").Float32(math.Float32frombits(b32)).Float64(math.Float64frombits(b64)).End()
		pkt, err := enc.Bytes()
		require.NoError(t, err)
		js, err := oscjson.AppendPacket(nil, pkt, nil)
		require.NoError(t, err)
		back, err := oscjson.Encode(nil, js, nil)
		require.NoError(t, err)
		require.True(t, bytes.Equal(pkt, back), "%x: %s", pkt, js)
	}
}
