package capture

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// FuzzReader feeds arbitrary files to the reader: it returns records or a
// *FormatError, never panics, and stops within a bounded number of calls.
func FuzzReader(f *testing.F) {
	start := time.Unix(1700000000, 5)
	recs := sample(f)
	for _, fm := range []Format{Pcapng, JSONL} {
		b := writeAll(f, fm, recs, start)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(pcapSample())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("NewReader: untyped error %v", err)
			}
			return
		}
		for i := 0; i <= len(b); i++ {
			_, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("Next: untyped error %v", err)
				}
				if fe.Offset < 0 || fe.Offset > int64(len(b)) {
					t.Fatalf("offset %d outside the %d byte file", fe.Offset, len(b))
				}
				return
			}
		}
		t.Fatalf("more records than bytes")
	})
}
