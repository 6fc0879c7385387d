package oscquery

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/osckit/osc/wire"
)

func goldenHandler(t testing.TB) *Handler {
	t.Helper()
	ns := &Namespace{}
	if err := json.Unmarshal(readGolden(t, "root.json"), ns); err != nil {
		t.Fatal(err)
	}
	if err := ns.Add("/pending", Node{Type: "i", Access: AccessRead}); err != nil {
		t.Fatal(err)
	}
	if err := ns.Add("/writeonly", Node{Type: "i", Access: AccessWrite}); err != nil {
		t.Fatal(err)
	}
	return NewHandler(ns, HostInfo{Name: "desk", OSCIP: "127.0.0.1", OSCPort: 9000})
}

// serve sends a raw request target through the handler, as the server
// would parse it.
func serve(t testing.TB, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandler(t *testing.T) {
	h := goldenHandler(t)
	root := readGolden(t, "root.json")
	var whole map[string]json.RawMessage
	_ = json.Unmarshal(root, &whole)
	var contents map[string]json.RawMessage
	_ = json.Unmarshal(whole["CONTENTS"], &contents)
	hostInfo := `{"NAME":"desk","OSC_IP":"127.0.0.1","OSC_PORT":9000,"OSC_TRANSPORT":"UDP","EXTENSIONS":{
		"ACCESS":true,"VALUE":true,"RANGE":true,"DESCRIPTION":true,"TAGS":true,"EXTENDED_TYPE":true,
		"UNIT":true,"CRITICAL":true,"CLIPMODE":true,"OVERLOADS":true,"TYPE":true,
		"LISTEN":true,"PATH_CHANGED":true,"PATH_ADDED":true,"PATH_REMOVED":true,"PATH_RENAMED":true}}`
	for _, tc := range []struct {
		method, target string
		status         int
		body           string // JSON-equal, when status is 200
	}{
		{"GET", "/bus", 200, string(contents["bus"])},
		{"GET", "/bus/", 200, string(contents["bus"])},
		{"GET", "/bus#frag", 200, string(contents["bus"])},
		{"GET", "/bus/mode?VALUE", 200, `{"VALUE":["post"]}`},
		{"GET", "/bus/mode?VALUE#x", 200, `{"VALUE":["post"]}`},
		{"GET", "/bus/mode?VALUE=", 200, `{"VALUE":["post"]}`},
		{"GET", "/bus/mode?RANGE", 200, `{"RANGE":[{"VALS":["pre","post","off"]}]}`},
		{"GET", "/bus/mode?CRITICAL", 200, `{"CRITICAL":true}`},
		{"GET", "/gain?TYPE", 200, `{"TYPE":"f"}`},
		{"GET", "/gain?ACCESS", 200, `{"ACCESS":1}`},
		{"GET", "/gain?FULL_PATH", 200, `{"FULL_PATH":"/gain"}`},
		{"GET", "/gain?UNIT", 200, `{"UNIT":["gain.linear"]}`},
		{"GET", "/gain?CLIPMODE", 200, `{"CLIPMODE":["both"]}`},
		{"GET", "/pan?TAGS", 200, `{"TAGS":["mixer","midi"]}`},
		{"GET", "/pan?DESCRIPTION", 200, `{"DESCRIPTION":"two integers with their own ranges"}`},
		{"GET", "/pan?%56ALUE", 200, `{"VALUE":[7,64]}`},
		{"GET", "/bus?TYPE", 200, `{}`},                                            // a pure container has no type
		{"GET", "/gain?CONTENTS", 200, `{}`},                                       // a method has no contents
		{"GET", "/gain?OVERLOADS", 200, `{}`},                                      // none
		{"GET", "/pending?VALUE", 200, `{}`},                                       // readable, no value yet
		{"GET", "/pending", 200, `{"FULL_PATH":"/pending","TYPE":"i","ACCESS":1}`}, // no VALUE key
		{"GET", "/writeonly?VALUE", 204, ""},
		{"GET", "/bus?VALUE", 204, ""},
		{"GET", "/bus/mode?HOST_INFO", 200, hostInfo},
		{"GET", "/nowhere?HOST_INFO", 200, hostInfo},
		{"GET", "/HOST_INFO", 200, hostInfo},
		{"GET", "/?HOST_INFO", 200, hostInfo},
		{"GET", "/nowhere", 404, ""},
		{"GET", "/bus/mode/deeper", 404, ""},
		{"GET", "/bus//mode", 404, ""},
		{"GET", "/bus/mode?value", 400, ""},
		{"GET", "/bus/mode?HTML", 400, ""},
		{"GET", "/bus/mode?LISTEN", 400, ""},
		{"GET", "/bus/mode?VALUE&TYPE", 400, ""},
		{"GET", "/bus/mode?%zz", 400, ""},
		{"GET", "/bus/mode?" + strings.Repeat("A", 100), 400, ""},
		{"GET", "/" + strings.Repeat("a", 2000), 404, ""},
		{"GET", "*", 400, ""},
		{"POST", "/bus", 405, ""},
		{"PUT", "/bus?VALUE", 405, ""},
		{"DELETE", "/", 405, ""},
		{"OPTIONS", "*", 405, ""},
	} {
		rec := serve(t, h, tc.method, tc.target)
		if rec.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.target, rec.Code, tc.status, rec.Body)
			continue
		}
		if tc.status == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", tc.method, tc.target, rec.Header().Get("Allow"))
		}
		if tc.status != 200 {
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.target, ct)
		}
		assertJSONEqual(t, rec.Body.Bytes(), []byte(tc.body))
	}

	// The whole tree, with the nodes added to the golden file.
	rec := serve(t, h, "GET", "/")
	var got map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if c, _ := got["CONTENTS"].(map[string]any); len(c) != 5 || !jsonEqual(decodeJSON(t, contents["gain"]), decodeJSONAny(t, c["gain"])) {
		t.Errorf("GET /: %s", rec.Body)
	}
	// HEAD: the headers of GET.
	rec = serve(t, h, "HEAD", "/gain")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d %v", rec.Code, rec.Header())
	}
}

func decodeJSONAny(t testing.TB, v any) any {
	t.Helper()
	b, _ := json.Marshal(v)
	return decodeJSON(t, b)
}

func TestHandlerValueFollowsMessages(t *testing.T) {
	h := goldenHandler(t)
	h.Namespace.Observe(msg(t, "/pending", wire.Int32(42)))
	h.Namespace.Observe(msg(t, "/writeonly", wire.Int32(1)))
	assertJSONEqual(t, serve(t, h, "GET", "/pending?VALUE").Body.Bytes(), []byte(`{"VALUE":[42]}`))
	if rec := serve(t, h, "GET", "/writeonly"); strings.Contains(rec.Body.String(), "VALUE") {
		t.Errorf("value of a write-only node served: %s", rec.Body)
	}
}

func TestHandlerLimits(t *testing.T) {
	ns := NewNamespace()
	for i := range 200 {
		if err := ns.Add("/n/"+strings.Repeat("x", 40)+string(rune('a'+i%26))+strings.Repeat("y", i), Node{Type: "f", Access: AccessRead}); err != nil {
			t.Fatal(err)
		}
	}
	h := &Handler{Namespace: ns, MaxResponseBytes: 4096}
	if rec := serve(t, h, "GET", "/"); rec.Code != 500 || rec.Body.Len() > 4096 {
		t.Errorf("oversize: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := serve(t, h, "GET", "/n?FULL_PATH"); rec.Code != 200 {
		t.Errorf("small answer refused: %d", rec.Code)
	}
	// A Handler without a namespace serves an empty root.
	rec := serve(t, &Handler{}, "GET", "/")
	assertJSONEqual(t, rec.Body.Bytes(), []byte(`{"FULL_PATH":"/","ACCESS":0}`))
	rec = serve(t, &Handler{HostInfo: HostInfo{OSCTransport: TransportTCP, WSIP: "10.0.0.1", WSPort: 8080, Extensions: map[string]bool{"VALUE": true}}}, "GET", "/?HOST_INFO")
	assertJSONEqual(t, rec.Body.Bytes(), []byte(`{"OSC_TRANSPORT":"TCP","WS_IP":"10.0.0.1","WS_PORT":8080,"EXTENSIONS":{"VALUE":true}}`))
}
