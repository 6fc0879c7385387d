package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osckit/osc/internal/netio"
	"github.com/stretchr/testify/require"
)

// proc is an oscli command running in-process, its output read line by
// line as it comes.
type proc struct {
	out, err chan string
	done     chan int
	cancel   context.CancelFunc // ends the command as a signal would
}

func lineChan(r io.Reader) chan string {
	c := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			c <- sc.Text()
		}
		close(c)
	}()
	return c
}

// start runs oscli with args in a goroutine; Cleanup stops it and waits
// for it to end.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	or, ow := io.Pipe()
	er, ew := io.Pipe()
	p := &proc{out: lineChan(or), err: lineChan(er), done: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code := run(&env{ctx: ctx, stdin: strings.NewReader(""), stdout: ow, stderr: ew}, args)
		ow.Close()
		ew.Close()
		p.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		ch := make(chan struct{})
		go func() { wg.Wait(); close(ch) }()
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Errorf("oscli %v did not end", args)
		}
	})
	return p
}

func next(t *testing.T, c chan string, what string) string {
	t.Helper()
	select {
	case l, ok := <-c:
		require.True(t, ok, "%s: output ended", what)
		return l
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no line within 10s", what)
	}
	return ""
}

// listening reads the "listening on URL" line and returns the URL.
func (p *proc) listening(t *testing.T) string {
	t.Helper()
	l := next(t, p.err, "listening line")
	_, url, ok := strings.Cut(l, "listening on ")
	require.True(t, ok, l)
	return url
}

func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case c := <-p.done:
		return c
	case <-time.After(15 * time.Second):
		t.Fatal("oscli did not exit")
	}
	return -1
}

func udpTo(t *testing.T, url string) *net.UDPConn {
	t.Helper()
	ep, err := netio.ParseEndpoint(url)
	require.NoError(t, err)
	addr, err := net.ResolveUDPAddr("udp", net.JoinHostPort("127.0.0.1", itoa(ep.Port())))
	require.NoError(t, err)
	c, err := net.DialUDP("udp", nil, addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// tcpSend dials addr and writes b; the connection closes with the test.
func tcpSend(t *testing.T, addr string, b []byte) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = c.Write(b)
	require.NoError(t, err)
	return c
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

var ttRe = regexp.MustCompile(`^[0-9a-f]{8}\.[0-9a-f]{8} `)

func TestDumpUDP(t *testing.T) {
	p := start(t, "dump", "-timeout", "10s", "-count", "4", "127.0.0.1:0")
	c := udpTo(t, p.listening(t))

	_, out, _ := oscli(t, "", "send", "-", "/a/b", "ifs", "1", "0.1", "hi")
	_, err := c.Write([]byte(out))
	require.NoError(t, err)
	l := next(t, p.out, "message")
	require.Regexp(t, ttRe, l)
	require.Equal(t, `/a/b ifs 1 0.1 "hi"`, l[18:])

	// A malformed packet: one error line, and dumping goes on.
	_, err = c.Write([]byte("junk"))
	require.NoError(t, err)
	e := next(t, p.err, "error line")
	require.Regexp(t, `^oscli dump: malformed packet from 127\.0\.0\.1:\d+: .*offset 0.*: 4 bytes: 6a756e6b$`, e)

	// A nested bundle prints its timetags and nesting.
	_, out, _ = oscli(t, "", "encode", `{"timetag":{"sec":100,"frac":0},"elements":[{"address":"/x","args":[]},{"timetag":{"sec":200,"frac":0},"elements":[{"address":"/y","args":[{"type":"d","value":0.3}]}]}]}`)
	_, err = c.Write([]byte(out))
	require.NoError(t, err)
	require.Equal(t, "#bundle 00000064.00000000", next(t, p.out, "bundle"))
	require.Equal(t, "00000064.00000000 /x", next(t, p.out, "bundle"))
	require.Equal(t, "  #bundle 000000c8.00000000", next(t, p.out, "bundle"))
	require.Equal(t, "000000c8.00000000 /y d 0.3", next(t, p.out, "bundle"))

	_, err = c.Write(mustHex(t, "2f6100002c000000"))
	require.NoError(t, err)
	require.Regexp(t, ttRe, next(t, p.out, "fourth"))
	require.Zero(t, p.wait(t), "-count 4 ends it")
}

func TestDumpJSONFilterSrc(t *testing.T) {
	p := start(t, "dump", "-json", "-src", "-filter", "/keep/*", "-count", "2", "-timeout", "10s", "127.0.0.1:0")
	c := udpTo(t, p.listening(t))
	local := c.LocalAddr().String()
	for _, js := range []string{
		`{"address":"/drop","args":[]}`,
		`{"address":"/keep/a","args":[{"type":"f","value":0.1}]}`,
		`{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/drop","args":[]},{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/keep/b","args":[]}]},{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/no","args":[]}]}]}`,
	} {
		_, pkt, _ := oscli(t, "", "encode", js)
		_, err := c.Write([]byte(pkt))
		require.NoError(t, err)
	}
	require.Equal(t, `{"src":"`+local+`","packet":{"address":"/keep/a","args":[{"type":"f","value":0.1}]}}`, next(t, p.out, "first"))
	require.Equal(t, `{"src":"`+local+`","packet":{"timetag":{"sec":0,"frac":1},"elements":[{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/keep/b","args":[]}]}]}}`, next(t, p.out, "second"))
	require.Zero(t, p.wait(t))
}

func TestDumpTCPFramings(t *testing.T) {
	p := start(t, "dump", "-count", "3", "-timeout", "10s", "osc.tcp://127.0.0.1:0")
	url := p.listening(t)
	ep, err := netio.ParseEndpoint(url)
	require.NoError(t, err)
	pkt := mustHex(t, "2f6100002c69000000000007")
	for _, f := range []netio.Framing{netio.FrameSLIP, netio.FrameSizePrefix} {
		tcpSend(t, ep.Address, netio.AppendFrame(nil, pkt, f))
		require.Equal(t, "/a i 7", next(t, p.out, f.String())[18:])
	}
	// A bad size prefix: an error line, the connection closes, dump goes on.
	tcpSend(t, ep.Address, []byte{0, 0, 0, 3, 1, 2, 3})
	require.Contains(t, next(t, p.err, "frame error"), "bad frame from 127.0.0.1:")
	tcpSend(t, ep.Address, netio.AppendFrame(nil, pkt, netio.FrameSLIP))
	require.Equal(t, "/a i 7", next(t, p.out, "after error")[18:])
	require.Zero(t, p.wait(t))
	require.Empty(t, rest(p.err), "the server's log repeats the bad frame")
}

func TestDumpTimeoutAndUsage(t *testing.T) {
	t0 := time.Now()
	code, _, errOut := oscli(t, "", "dump", "-timeout", "200ms", "127.0.0.1:0")
	require.Zero(t, code, errOut)
	require.Less(t, time.Since(t0), 5*time.Second)
	require.Contains(t, errOut, "listening on osc.udp://127.0.0.1:")

	code, _, errOut = oscli(t, "", "dump", "9000", "9001")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "want one PORT or URL")
	code, _, errOut = oscli(t, "", "dump", "-filter", "nope", "9000")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "not an OSC address pattern")
	code, _, errOut = oscli(t, "", "dump", "osc.bogus://x:1")
	require.Equal(t, 2, code, errOut)
}

// TestSendTCPExpect sends over TCP with both framings to oscli echo and
// waits for the reply with -expect; and over UDP.
func TestSendTCPExpect(t *testing.T) {
	for _, c := range []struct{ scheme, framing string }{{"osc.tcp", "slip"}, {"osc.tcp", "size"}, {"osc.udp", "slip"}} {
		t.Run(c.scheme+" "+c.framing, func(t *testing.T) {
			p := start(t, "echo", "-timeout", "15s", c.scheme+"://127.0.0.1:0")
			url := p.listening(t)
			code, out, errOut := oscli(t, "", "send", "-framing", c.framing, "-expect", "/pi*", "-timeout", "5s", url, "/ping", "if", "7", "0.5")
			require.Zero(t, code, errOut)
			require.Equal(t, "00000000.00000001 /ping if 7 0.5\n", out)

			code, out, errOut = oscli(t, "", "send", "-json", "-expect", "/b", "-timeout", "5s", url,
				`{"address":"/a","args":[]}`, `{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/b","args":[{"type":"s","value":"x"}]}]}`)
			require.Zero(t, code, errOut)
			require.Equal(t, `{"timetag":{"sec":0,"frac":1},"elements":[{"address":"/b","args":[{"type":"s","value":"x"}]}]}`+"\n", out)
		})
	}
	// Nobody answers: -expect gives up after its timeout.
	p := start(t, "dump", "-timeout", "15s", "127.0.0.1:0")
	url := p.listening(t)
	code, _, errOut := oscli(t, "", "send", "-expect", "/x", "-timeout", "300ms", url, "/a")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no reply matching /x within 300ms")
	require.Contains(t, next(t, p.out, "dumped"), " /a")

	code, _, errOut = oscli(t, "", "send", "-framing", "x", "-", "/a")
	require.Equal(t, 2, code, errOut)
	code, _, errOut = oscli(t, "", "send", "-expect", "/a", "-", "/a")
	require.Equal(t, 2, code, errOut)
}

// TestUnixDatagram: dump and echo on a UNIX datagram socket, send with
// -expect to the echo.
func TestUnixDatagram(t *testing.T) {
	dir := t.TempDir()
	e := start(t, "echo", "-timeout", "15s", "osc.unix://"+dir+"/echo.sock")
	eurl := e.listening(t)
	require.Equal(t, "osc.unix://"+dir+"/echo.sock", eurl)
	code, out, errOut := oscli(t, "", "send", "-expect", "/p", "-timeout", "5s", eurl, "/p", "i", "5")
	require.Zero(t, code, errOut)
	require.Equal(t, "00000000.00000001 /p i 5\n", out)

	d := start(t, "dump", "-src", "-timeout", "15s", "osc.unix://"+dir+"/dump.sock")
	durl := d.listening(t)
	code, _, errOut = oscli(t, "", "send", durl, "/q", "s", "hi")
	require.Zero(t, code, errOut)
	l := next(t, d.out, "unix message")
	require.Regexp(t, `^@\S+ [0-9a-f]{8}\.[0-9a-f]{8} /q s "hi"$`, l)
}

// TestSendUnixStalled: send gives up after -timeout when a UNIX datagram
// receiver stops reading and its queue is full, instead of blocking.
func TestSendUnixStalled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stalled.sock")
	rx, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer rx.Close()
	in := strings.Repeat(`{"address":"/a","args":[1]}`+"\n", 2000)
	type result struct {
		code   int
		errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, _, errOut := oscli(t, in, "send", "-json", "-timeout", "300ms", "osc.unix://"+path)
		done <- result{code, errOut}
	}()
	select {
	case r := <-done:
		require.Equal(t, 1, r.code, r.errOut)
		require.Contains(t, r.errOut, "timeout")
	case <-time.After(10 * time.Second):
		t.Fatal("send to a stalled UNIX receiver did not give up within 10 s (-timeout 300ms)")
	}
}
