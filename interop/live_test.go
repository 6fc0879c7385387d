package interop

import (
	"bufio"
	"context"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// live is a process running in the background for a test: its output
// arrives line by line; Cleanup kills it.
type live struct {
	out, err chan string
	cmd      *exec.Cmd
}

func lineChan(r io.Reader) chan string {
	c := make(chan string, 4096)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			c <- sc.Text()
		}
		close(c)
	}()
	return c
}

// startLive starts a process bounded to 60 seconds and killed at the end
// of the test.
func startLive(t *testing.T, name string, args ...string) *live {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, name, args...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start(), name)
	l := &live{out: lineChan(stdout), err: lineChan(stderr), cmd: cmd}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	return l
}

// line waits up to 10 seconds for the next line of c.
func line(t *testing.T, c chan string, what string) string {
	t.Helper()
	select {
	case l, ok := <-c:
		if !ok {
			t.Fatalf("%s: the process ended its output", what)
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no line within 10s", what)
	}
	return ""
}

// startDump starts oscli dump on a free loopback port of scheme and
// returns it with its URL.
func startDump(t *testing.T, scheme string, flags ...string) (*live, string) {
	t.Helper()
	args := append(append([]string{"dump"}, flags...), "-timeout", "50s", scheme+"://127.0.0.1:0")
	d := startLive(t, oscliPath, args...)
	l := line(t, d.err, "oscli dump's listening line")
	_, url, ok := strings.Cut(l, "listening on ")
	require.True(t, ok, l)
	return d, url
}

func portOf(t *testing.T, url string) string {
	t.Helper()
	i := strings.LastIndexByte(url, ':')
	require.Positive(t, i, url)
	return strings.TrimSuffix(url[i+1:], "/")
}

// freePort returns a port that was free a moment ago on 127.0.0.1 for
// both UDP and TCP (for peers that cannot pick their own).
func freePort(t *testing.T) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			u.Close()
			return strconv.Itoa(port)
		}
	}
	t.Fatal("no free port")
	return ""
}

// TestOscsendToDump: liblo's oscsend to oscli dump -json, every type it
// can send, over UDP and over TCP (liblo frames with a size prefix, which
// dump detects).
func TestOscsendToDump(t *testing.T) {
	oscsend := needOscsend(t)
	for _, scheme := range []string{"osc.udp", "osc.tcp"} {
		t.Run(scheme, func(t *testing.T) {
			d, url := startDump(t, scheme, "-json")
			for _, c := range oscsendCases {
				mustRun(t, nil, oscsend, append([]string{url}, c.args...)...)
				require.Equal(t, c.json, line(t, d.out, c.name), c.name)
			}
		})
	}
}

// oscdumpCases are oscli send command lines and what liblo's oscdump
// prints for them after the timetag.
var oscdumpCases = []struct {
	args []string
	want string
}{
	{[]string{"/a/b", "ihfdsScTFNI", "1", "-2", "3.5", "4.25", "hello", "sym", "x"},
		`/a/b ihfdsScTFNI 1 -2 3.500000 4.250000 "hello" 'sym 'x' #T #F Nil Infinitum`},
	{[]string{"/blob", "bm", "0102ff", "00904064"}, `/blob bm [3b 0x1 0x2 0xff] MIDI [0x00 0x90 0x40 0x64]`},
	{[]string{"/t", "t", "00000064.80000000"}, `/t t 00000064.80000000`},
	{[]string{"/limits", "ih", "-2147483648", "9223372036854775807"}, `/limits ih -2147483648 9223372036854775807`},
	{[]string{"/empty"}, `/empty`},
}

// TestSendToOscdump: oscli send to liblo's oscdump over UDP and TCP.
func TestSendToOscdump(t *testing.T) {
	needOscsend(t)
	oscdump, err := exec.LookPath("oscdump")
	if err != nil {
		missing(t, "oscdump (Debian package liblo-tools)")
	}
	tt := regexp.MustCompile(`^[0-9a-f]{8}\.[0-9a-f]{8} `)
	for _, scheme := range []string{"osc.udp", "osc.tcp"} {
		t.Run(scheme, func(t *testing.T) {
			port := freePort(t)
			url := scheme + "://127.0.0.1:" + port
			d := startLive(t, oscdump, "-L", scheme+"://:"+port)
			if scheme == "osc.tcp" {
				waitListening(t, "127.0.0.1:"+port)
			}
			for i, c := range oscdumpCases {
				// oscdump may not be listening yet: resend the first message
				// until it prints.
				var got string
				for try := 0; ; try++ {
					oscli(t, nil, append([]string{"send", url}, c.args...)...)
					if i > 0 {
						got = line(t, d.out, c.want)
						break
					}
					select {
					case got = <-d.out:
					case <-time.After(300 * time.Millisecond):
						require.Less(t, try, 30, "oscdump printed nothing")
						continue
					}
					break
				}
				require.Regexp(t, tt, got)
				require.Equal(t, c.want, strings.TrimRight(got[18:], " "))
			}
		})
	}
}

const pyServer = `
import sys, time, liblo
proto = liblo.TCP if sys.argv[1] == "tcp" else liblo.UDP
s = liblo.Server(int(sys.argv[3]), proto)
print("listening", s.port, flush=True)
got = [0]
def show(path, args, types, src):
    print(path, types, repr(args), flush=True)
    got[0] += 1
s.add_method(None, None, show)
deadline = time.monotonic() + 30
while got[0] < int(sys.argv[2]):
    if time.monotonic() > deadline:
        sys.exit("timed out")
    s.recv(100)
`

// TestSendToPyliblo: oscli send to pyliblo over UDP and TCP, values
// compared as Python sees them.
func TestSendToPyliblo(t *testing.T) {
	const py = "/usr/bin/python3"
	if r := run(t, nil, py, "-c", "import liblo"); r.code != 0 {
		missing(t, "pyliblo (Debian package python3-liblo, with /usr/bin/python3)")
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"/a", "ihfdsS", "1", "-2", "0.5", "0.1", "hi", "sym"}, `/a ihfdsS [1, -2, 0.5, 0.1, 'hi', 'sym']`},
		{[]string{"/b", "cmbTFNI", "x", "00904064", "0102"}, `/b cmbTFNI ['x', (0, 144, 64, 100), b'\x01\x02', True, False, None, inf]`},
		{[]string{"/t", "t", "00000064.80000000"}, `/t t [100.5]`},
	}
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			p := startLive(t, py, "-c", pyServer, proto, strconv.Itoa(len(cases)), freePort(t))
			l := line(t, p.out, "pyliblo's listening line")
			port, ok := strings.CutPrefix(l, "listening ")
			require.True(t, ok, l)
			url := "osc." + proto + "://127.0.0.1:" + port
			for _, c := range cases {
				oscli(t, nil, append([]string{"send", url}, c.args...)...)
				require.Equal(t, c.want, line(t, p.out, c.want))
			}
		})
	}
}

// TestOscjsToDump: osc.js sends every type, arrays and nested bundles to
// oscli dump -json, over UDP and over TCP with SLIP.
func TestOscjsToDump(t *testing.T) {
	needOscjs(t)
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			d, url := startDump(t, "osc."+proto, "-json")
			pkts := append(append([]string{}, oscjsPackets...), oscjsNested...)
			mustRun(t, lines(pkts), "node", filepath.Join("js", "peer.js"), "send", proto, "127.0.0.1", portOf(t, url))
			for _, want := range pkts {
				require.Equal(t, want, line(t, d.out, want))
			}
		})
	}
}

// TestSendToOscjs: oscli send -json to an osc.js port, over UDP and over
// TCP with SLIP; what osc.js decodes encodes back to the bytes oscli sent.
func TestSendToOscjs(t *testing.T) {
	needOscjs(t)
	want := oscli(t, lines(oscjsPackets), "encode", "-hex")
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			p := startLive(t, "node", filepath.Join("js", "peer.js"), "recv", proto, strconv.Itoa(len(oscjsPackets)))
			l := line(t, p.out, "osc.js listening line")
			port, ok := strings.CutPrefix(l, "listening ")
			require.True(t, ok, l)
			scheme := "osc." + proto
			if proto == "tcp" {
				scheme = "osc.tcp+slip" // osc.js reads SLIP only; osc.tcp:// sends size prefixes
			}
			oscli(t, lines(oscjsPackets), "send", "-json", scheme+"://127.0.0.1:"+port)
			var got []string
			for range oscjsPackets {
				js := line(t, p.out, "osc.js packet")
				require.NotContains(t, js, `"error"`)
				got = append(got, js)
			}
			back := oscli(t, lines(got), "encode", "-hex")
			require.Equal(t, string(want), string(back))
		})
	}
}

// waitListening waits, at most 10 s, until a TCP port accepts connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
