package oscquery

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandler sends arbitrary request targets (path, query, fragment,
// escapes) through the HTTP handler: it must never panic, answer only
// with the statuses it documents, and answer 200 only with bounded JSON.
func FuzzHandler(f *testing.F) {
	for _, s := range []string{
		"/", "/bus/mode?VALUE", "/bus?TYPE", "/?HOST_INFO", "/HOST_INFO", "/nowhere", "/bus//mode",
		"/bus/mode?%zz", "/%2F?VALUE", "/bus#frag?VALUE", "*", "/a?b=c&d", "/pending?VALUE=", "/bus/",
	} {
		f.Add("GET", s)
	}
	f.Add("HEAD", "/gain")
	f.Add("POST", "/gain?VALUE")
	h := goldenHandler(f)
	h.MaxResponseBytes = 2048
	f.Fuzz(func(t *testing.T, method, target string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
		if err != nil {
			return // the HTTP server answers 400 before any handler runs
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("200 without application/json: %q", rec.Header().Get("Content-Type"))
			}
			if rec.Body.Len() > h.MaxResponseBytes {
				t.Fatalf("%d bytes, over the limit", rec.Body.Len())
			}
			if req.Method == http.MethodGet && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid JSON: %s", rec.Body)
			}
		case 204, 400, 404, 405, 500:
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
