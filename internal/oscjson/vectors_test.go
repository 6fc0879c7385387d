package oscjson_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/internal/vectors"
	"github.com/osckit/osc/wire"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.golden")

// loadVectors reads the shared conformance vectors.
func loadVectors(t testing.TB) vectors.File {
	t.Helper()
	return vectors.Load(t, "testdata/packets.json")
}

// fromVector rewrites the vectors' value model ({"t":..,"v":..} arguments,
// {"bits":..} floats, [r,g,b,a] colours) into this package's JSON form.
func fromVector(t *testing.T, v any) any {
	t.Helper()
	m := v.(map[string]any)
	if m["type"] == "bundle" {
		elems := []any{}
		for _, e := range m["elements"].([]any) {
			elems = append(elems, fromVector(t, e))
		}
		return map[string]any{"timetag": m["timetag"], "elements": elems}
	}
	args := []any{}
	for _, a := range m["args"].([]any) {
		args = append(args, argFromVector(t, a.(map[string]any)))
	}
	return map[string]any{"address": m["address"], "args": args}
}

func argFromVector(t *testing.T, a map[string]any) any {
	t.Helper()
	typ := a["t"].(string)
	v, hasV := a["v"]
	switch typ {
	case "array":
		elems := []any{}
		for _, e := range v.([]any) {
			elems = append(elems, argFromVector(t, e.(map[string]any)))
		}
		return map[string]any{"type": "array", "value": elems}
	case "f", "d":
		if b, ok := v.(map[string]any); ok {
			return map[string]any{"type": typ, "bits": b["bits"]}
		}
	}
	if !hasV {
		return map[string]any{"type": typ}
	}
	return map[string]any{"type": typ, "value": v}
}

func TestValidVectors(t *testing.T) {
	vf := loadVectors(t)
	var golden bytes.Buffer
	want := readGolden(t)
	for _, v := range vf.Valid {
		t.Run(v.ID, func(t *testing.T) {
			pkt := vectors.Decode(t, v.Hex)

			// Packet to JSON, and back to the same bytes.
			js, err := oscjson.AppendPacket(nil, pkt, nil)
			require.NoError(t, err)
			require.True(t, json.Valid(js), "%s", js)
			back, err := oscjson.Encode(nil, js, nil)
			require.NoError(t, err, "%s", js)
			require.Equal(t, v.Hex, hex.EncodeToString(back), "%s", js)

			// The vector's own value, in the JSON form, encodes to the bytes.
			dec := json.NewDecoder(bytes.NewReader(v.Value))
			dec.UseNumber()
			var model any
			require.NoError(t, dec.Decode(&model))
			mjs, err := json.Marshal(fromVector(t, model))
			require.NoError(t, err)
			got, err := oscjson.Encode(nil, mjs, nil)
			require.NoError(t, err, "%s", mjs)
			require.Equal(t, v.Hex, hex.EncodeToString(got), "%s", mjs)

			golden.WriteString(v.ID + " " + string(js) + "\n")
			if !*update {
				require.Equal(t, want[v.ID], string(js), "golden output")
			}
		})
	}
	if *update {
		require.NoError(t, os.WriteFile("testdata/vectors.golden", golden.Bytes(), 0o644))
	}
}

func readGolden(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	if *update {
		return out
	}
	f, err := os.Open("testdata/vectors.golden")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, js, ok := strings.Cut(sc.Text(), " ")
		require.True(t, ok)
		out[id] = js
	}
	require.NoError(t, sc.Err())
	return out
}

func TestInvalidVectors(t *testing.T) {
	vf := loadVectors(t)
	for _, v := range vf.Invalid {
		t.Run(v.ID, func(t *testing.T) {
			pkt := vectors.Decode(t, v.Hex)
			dst := []byte("keep")
			out, err := oscjson.AppendPacket(dst, pkt, nil)
			var pe *wire.ParseError
			require.True(t, errors.As(err, &pe), "error %v", err)
			require.GreaterOrEqual(t, pe.Off, 0)
			require.LessOrEqual(t, pe.Off, len(pkt))
			require.Equal(t, "keep", string(out))
		})
	}
}
