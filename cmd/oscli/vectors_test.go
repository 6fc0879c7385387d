package main

import (
	"bufio"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/internal/vectors"
)

// The shared conformance vectors and the JSON form of each valid one, as
// internal/oscjson's tests check them.
const (
	vectorsFile = "../../internal/oscjson/testdata/packets.json"
	goldenFile  = "../../internal/oscjson/testdata/vectors.golden"
)

// TestVectors runs oscli decode and encode over every vector: a valid
// packet decodes to its JSON form and encodes back to its bytes; an invalid
// one exits 1 and names the offset.
func TestVectors(t *testing.T) {
	vf := vectors.Load(t, vectorsFile)

	golden := map[string]string{}
	f, err := os.Open(goldenFile)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, js, _ := strings.Cut(sc.Text(), " ")
		golden[id] = js
	}
	require.NoError(t, sc.Err())

	for _, v := range vf.Valid {
		pkt := vectors.Decode(t, v.Hex)
		code, out, errOut := oscli(t, string(pkt), "decode", "-json")
		require.Zero(t, code, "%s: %s", v.ID, errOut)
		require.Equal(t, golden[v.ID]+"\n", out, v.ID)
		code, back, errOut := oscli(t, out, "encode")
		require.Zero(t, code, "%s: %s", v.ID, errOut)
		require.Equal(t, v.Hex, hex.EncodeToString([]byte(back)), v.ID)
	}

	offset := regexp.MustCompile(`^oscli decode: packet 1: osc: .* at offset \d+( \(arg \d+\))?: \d+ bytes: [0-9a-f]*(\.\.\.)?\n$`)
	for _, v := range vf.Invalid {
		pkt := vectors.Decode(t, v.Hex)
		code, out, errOut := oscli(t, string(pkt), "decode")
		require.Equal(t, 1, code, v.ID)
		require.Empty(t, out, v.ID)
		require.Regexp(t, offset, errOut, v.ID)
	}
}
