// Package vectors loads the OSC conformance vectors (testdata/packets.json
// of wire and internal/oscjson) for the tests of several packages, so that
// each test reads the same fields the same way.
package vectors

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// File is the part of packets.json that the tests read.
type File struct {
	Valid                 []Valid   `json:"valid"`
	Invalid               []Invalid `json:"invalid"`
	ImplementationDefined []Packet  `json:"implementation_defined"`
}

// Valid is a packet every peer must accept, with its structured value.
type Valid struct {
	ID    string          `json:"id"`
	Value json.RawMessage `json:"value"`
	Hex   string          `json:"hex"`
}

// Invalid is a packet every peer must refuse.
type Invalid struct {
	ID          string `json:"id"`
	Hex         string `json:"hex"`
	Recommended string `json:"recommended"`
}

// Packet is a packet whose handling is left to the implementation.
type Packet struct {
	ID  string `json:"id"`
	Hex string `json:"hex"`
}

// Load reads the vectors file at path and fails tb unless it holds valid
// and invalid packets.
func Load(tb testing.TB, path string) File {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(raw, &f); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if len(f.Valid) == 0 || len(f.Invalid) == 0 {
		tb.Fatalf("%s: %d valid and %d invalid vectors", path, len(f.Valid), len(f.Invalid))
	}
	return f
}

// Hexes returns the hex of every valid packet, then of every invalid one.
func (f File) Hexes() []string {
	hs := make([]string, 0, len(f.Valid)+len(f.Invalid))
	for _, v := range f.Valid {
		hs = append(hs, v.Hex)
	}
	for _, v := range f.Invalid {
		hs = append(hs, v.Hex)
	}
	return hs
}

// AddSeeds adds every valid and invalid packet to f's seed corpus.
func (f File) AddSeeds(fz *testing.F) {
	for _, h := range f.Hexes() {
		fz.Add(Decode(fz, h))
	}
}

// Decode returns the packet of a vector's hex, and fails tb if it is not
// hex.
func Decode(tb testing.TB, h string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		tb.Fatalf("vector hex %.20q: %v", h, err)
	}
	return b
}
