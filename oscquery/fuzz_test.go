package oscquery

import (
	"bufio"
	"encoding/json"
	"errors"
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

// FuzzUnmarshal reads arbitrary JSON as a node, as a client reads what a
// server sends: it must never panic, and what it accepts must write back
// as valid JSON that reads again to the same document.
func FuzzUnmarshal(f *testing.F) {
	for _, name := range []string{"root.json", "types.json"} {
		f.Add(readGolden(f, name))
	}
	for _, s := range []string{
		`{"TYPE":"[[i]f]","VALUE":[[[1]],2],"RANGE":[[[{"MIN":0}]],null]}`,
		`{"TYPE":"ff","VALUE":1,"UNIT":"x","CLIPMODE":["low"]}`,
		`{"FULL_PATH":"/","CONTENTS":{"a":{"CONTENTS":{"b":null}}}}`,
		`{"TYPE":"r","VALUE":["#GG0000FF"],"OVERLOADS":[{"TYPE":"i","ACCESS":3}]}`,
		`{"TYPE":"t","VALUE":[1e400, -1, 18446744073709551616]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		var n Node
		if n.UnmarshalJSON(b) != nil {
			return
		}
		out, err := n.MarshalJSON()
		if err != nil || !json.Valid(out) {
			t.Fatalf("wrote invalid JSON %q (%v)", out, err)
		}
		var m Node
		if err := m.UnmarshalJSON(out); err != nil {
			t.Fatalf("cannot read back %s: %v", out, err)
		}
		again, _ := m.MarshalJSON()
		if string(again) != string(out) {
			t.Fatalf("not stable:\n%s\n%s", out, again)
		}
	})
}

// FuzzCommand reads arbitrary text messages as WebSocket commands: a
// command is LISTEN or IGNORE of a valid address, anything else a
// *CommandError whose offset lies within the message; never a panic.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{
		`{"COMMAND":"LISTEN","DATA":"/a/b"}`, `{"COMMAND":"IGNORE","DATA":"/"}`, `{"DATA":"/a","COMMAND":"LISTEN","X":1}`,
		`{"COMMAND":"LISTEN","DATA":"/a/*"}`, `{"COMMAND":"LISTEN","DATA":7}`, `{"COMMAND":"PATH_ADDED","DATA":"/a"}`,
		`{"COMMAND":"LISTEN","DATA":"/a"}{}`, `{`, `[[[[[[`, `null`, "\xff", `{"COMMAND":null}`,
		`{"COMMAND":"LISTEN","DATA":{"OLD":"/a","NEW":"/b"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cmd, path, err := parseCommand(b)
		if err != nil {
			var ce *CommandError
			if !errors.As(err, &ce) || ce.Offset < 0 || ce.Offset > int64(max(len(b), maxCommand)) {
				t.Fatalf("%q: error %v", b, err)
			}
			return
		}
		if cmd != cmdListen && cmd != cmdIgnore || checkPath(path) != nil {
			t.Fatalf("%q: accepted %q %q", b, cmd, path)
		}
	})
}
