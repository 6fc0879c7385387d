package oscquery

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

// listen serves h on a loopback TCP port with a plain http.Server and
// returns its base URL.
func listen(t testing.TB, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	})
	return "http://" + ln.Addr().String()
}

func TestClient(t *testing.T) {
	h := goldenHandler(t)
	base := listen(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	n, err := Fetch(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := json.Marshal(h.Namespace)
	got, _ := json.Marshal(n)
	assertJSONEqual(t, got, served)

	// A subtree, by the URL's path; the URL's own query and fragment are
	// replaced.
	n, err = Fetch(ctx, base+"/bus?TYPE#x")
	if err != nil {
		t.Fatal(err)
	}
	mode := n.Contents["mode"]
	if n.FullPath != "/bus" || mode == nil || mode.FullPath != "/bus/mode" || !mode.Critical ||
		len(mode.Range) != 1 || len(mode.Range[0].Vals) != 3 || !mode.Value[0].Equal(wire.String("post")) {
		t.Fatalf("Fetch(/bus) = %+v / %+v", n, mode)
	}

	hi, err := FetchHostInfo(ctx, base+"/anything")
	if err != nil {
		t.Fatal(err)
	}
	if hi.Name != "desk" || hi.OSCPort != 9000 || hi.OSCIP != "127.0.0.1" || hi.OSCTransport != TransportUDP ||
		!hi.Extensions["VALUE"] || !hi.Extensions["LISTEN"] || hi.Extensions["HTML"] || "http://"+hi.WSIP+":"+strconv.Itoa(hi.WSPort) != base {
		t.Fatalf("HostInfo = %+v", hi)
	}

	raw, err := FetchAttribute(ctx, base+"/pan", "RANGE")
	if err != nil || !jsonEqual(decodeJSON(t, raw), decodeJSON(t, []byte(`[{"MIN":0,"MAX":15},{"MIN":0,"MAX":127}]`))) {
		t.Fatalf("RANGE = %s, %v", raw, err)
	}
	if raw, err := FetchAttribute(ctx, base+"/bus", "TYPE"); raw != nil || err != nil {
		t.Fatalf("TYPE of a container = %s, %v", raw, err)
	}
	var se *StatusError
	if _, err := FetchAttribute(ctx, base+"/pan", "NOPE"); !errors.As(err, &se) || se.Code != 400 {
		t.Fatalf("unknown attribute: %v", err)
	}
	if _, err := Fetch(ctx, base+"/nowhere"); !errors.As(err, &se) || se.Code != 404 {
		t.Fatalf("unknown node: %v", err)
	}

	var c Client
	vs, err := c.Value(ctx, base+"/pan")
	if err != nil || len(vs) != 2 || !vs[0].Equal(wire.Int32(7)) || !vs[1].Equal(wire.Int32(64)) {
		t.Fatalf("Value(/pan) = %v, %v", vs, err)
	}
	if vs, err := c.Value(ctx, base+"/pending"); vs != nil || err != nil {
		t.Fatalf("Value of a node without value = %v, %v", vs, err)
	}
	h.Namespace.Observe(msg(t, "/pending", wire.Int32(-5)))
	if vs, err := c.Value(ctx, base+"/pending"); err != nil || len(vs) != 1 || !vs[0].Equal(wire.Int32(-5)) {
		t.Fatalf("Value after a message = %v, %v", vs, err)
	}
	if _, err := c.Value(ctx, base+"/writeonly"); !errors.As(err, &se) || se.Code != 204 {
		t.Fatalf("Value of a write-only node: %v", err)
	}

	// Bounded reads.
	small := Client{MaxBytes: 64}
	if _, err := small.Fetch(ctx, base); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize answer: %v", err)
	}
	if _, err := Fetch(ctx, "ftp://127.0.0.1/"); err == nil {
		t.Fatal("non-http URL accepted")
	}
}

func TestClientContext(t *testing.T) {
	release := make(chan struct{})
	base := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Fetch(ctx, base); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled server: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the deadline was not kept: %v", d)
	}

	// A server answering garbage.
	bad := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"FULL_PATH":`))
	}))
	if _, err := Fetch(context.Background(), bad); err == nil {
		t.Fatal("truncated JSON accepted")
	}
	if _, err := FetchHostInfo(context.Background(), bad); err == nil {
		t.Fatal("truncated HOST_INFO accepted")
	}
}

// TestCurl checks the handler with an independent HTTP client.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("OSCKIT_NO_PEERS") == "1" {
			t.Skip("curl is not installed (OSCKIT_NO_PEERS=1)")
		}
		t.Fatal("curl is not installed: run .ci/install-peers.sh as root (make peers), or set OSCKIT_NO_PEERS=1 to skip the peer tests")
	}
	h := goldenHandler(t)
	base := listen(t, h)
	run := func(args ...string) (status, contentType, body string) {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sS", "--max-time", "10", "-o", "-", "-w",
			"\n%{http_code} %{content_type}"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		s := string(out)
		i := strings.LastIndexByte(s, '\n')
		status, contentType, _ = strings.Cut(s[i+1:], " ")
		return status, contentType, s[:i]
	}
	served, _ := json.Marshal(h.Namespace)
	for _, tc := range []struct {
		target, status, body string
	}{
		{"/", "200", string(served)},
		{"/bus/mode?VALUE", "200", `{"VALUE":["post"]}`},
		{"/gain?RANGE", "200", `{"RANGE":[{"MIN":0,"MAX":2}]}`},
		{"/bus?TYPE", "200", `{}`},
		{"/pending?VALUE", "200", `{}`},
		{"/x?HOST_INFO", "200", ""},
		{"/HOST_INFO", "200", ""},
		{"/writeonly?VALUE", "204", ""},
		{"/nowhere", "404", ""},
		{"/gain?BOGUS", "400", ""},
	} {
		status, ct, body := run(base + tc.target)
		if status != tc.status {
			t.Errorf("curl %s: %s, want %s", tc.target, status, tc.status)
			continue
		}
		if status == "200" {
			if ct != "application/json" {
				t.Errorf("curl %s: Content-Type %q", tc.target, ct)
			}
			if tc.body != "" {
				assertJSONEqual(t, []byte(body), []byte(tc.body))
			} else if !strings.Contains(body, `"OSC_PORT":9000`) {
				t.Errorf("curl %s: %s", tc.target, body)
			}
		}
	}
	if status, _, _ := run("-X", "POST", base+"/gain"); status != "405" {
		t.Errorf("curl -X POST: %s", status)
	}
	if status, ct, body := run("-I", base+"/gain"); status != "200" || ct != "application/json" || !strings.Contains(strings.ToLower(body), "content-length:") {
		t.Errorf("curl -I: %s %s %q", status, ct, body)
	}
	// A path curl sends as it is, unnormalised.
	if status, _, _ := run("--path-as-is", base+"/bus/../gain?VALUE"); status != "404" {
		t.Errorf("curl --path-as-is /bus/../gain: %s", status)
	}
}
