package main

import (
	"bytes"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/internal/capture"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// needPeer finds a real tool installed by .ci/install-peers.sh; without
// it the test fails, unless OSCKIT_NO_PEERS=1 asks to skip.
func needPeer(t *testing.T, name, deb string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("OSCKIT_NO_PEERS") == "1" {
		t.Skipf("%s not installed (OSCKIT_NO_PEERS=1)", name)
	}
	t.Fatalf("%s (Debian package %s) not installed: run .ci/install-peers.sh as root, or set OSCKIT_NO_PEERS=1 to skip", name, deb)
	return ""
}

func msg(t testing.TB, addr string, v ...wire.Value) []byte {
	b, err := wire.AppendMessage(nil, addr, v...)
	require.NoError(t, err)
	return b
}

func bundleOf(t testing.TB, tt wire.Timetag, addr string) []byte {
	var e wire.Encoder
	e.BeginBundle(tt)
	e.Message(addr).Int32(1).End()
	e.EndBundle()
	b, err := e.Bytes()
	require.NoError(t, err)
	return bytes.Clone(b)
}

// readRecording returns the records of a file.
func readRecording(t *testing.T, name string) (capture.Header, []capture.Record) {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	r, err := capture.NewReader(f)
	require.NoError(t, err)
	var out []capture.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return r.Header(), out
		}
		require.NoError(t, err)
		c := *rec
		c.Data = bytes.Clone(rec.Data)
		out = append(out, c)
	}
}

// recordSome records packets sent to a UDP and a TCP endpoint into file
// and returns what was sent, in order.
func recordSome(t *testing.T, file string) [][]byte {
	t.Helper()
	sent := [][]byte{
		msg(t, "/a/b", wire.Int32(1), wire.Float32(2.5)),
		msg(t, "/c", wire.String("hello")),
		bundleOf(t, wire.TimetagOf(time.Now().Add(time.Hour)), "/in/bundle"),
		[]byte("junk"), // malformed
		msg(t, "/blob", wire.Blob([]byte{0xC0, 0xDB, 0, 1})),
		msg(t, "/t/cp", wire.Int32(3)),
	}
	p := start(t, "record", "-o", file, "-count", itoa(len(sent)), "osc.udp://127.0.0.1:0", "osc.tcp://127.0.0.1:0")
	u := udpTo(t, p.listening(t))
	tcpURL := p.listening(t)
	for i, b := range sent[:len(sent)-1] {
		_, err := u.Write(b)
		require.NoError(t, err)
		time.Sleep(time.Duration(i+1) * 20 * time.Millisecond)
	}
	ep, err := netio.ParseEndpoint(tcpURL)
	require.NoError(t, err)
	tcpSend(t, ep.Address, netio.AppendFrame(nil, sent[len(sent)-1], netio.FrameSLIP))
	require.Zero(t, p.wait(t))
	return sent
}

// TestRecordReplayRecord: record -> replay -> record gives the same bytes
// in the same order with the same gaps.
func TestRecordReplayRecord(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pcapng"), filepath.Join(dir, "b.jsonl")
	sent := recordSome(t, a)
	_, recA := readRecording(t, a)
	require.Len(t, recA, len(sent))
	for i, r := range recA {
		require.Equal(t, sent[i], r.Data, "packet %d", i)
		require.Equal(t, i == 3, r.Malformed != "", "packet %d malformed: %q", i, r.Malformed)
	}
	require.Equal(t, capture.TCP, recA[5].Transport)
	require.True(t, recA[5].Slip)
	require.Equal(t, "127.0.0.1", recA[0].Src.Addr().String())

	p := start(t, "record", "-o", b, "-count", itoa(len(sent)), "osc.udp://127.0.0.1:0")
	url := p.listening(t)
	code, _, errOut := oscli(t, "", "replay", a, url)
	require.Zero(t, code, errOut)
	require.Zero(t, p.wait(t))
	_, recB := readRecording(t, b)
	require.Len(t, recB, len(sent))
	var errs []float64
	for i, r := range recB {
		require.Equal(t, sent[i], r.Data, "packet %d", i)
		if i > 0 {
			errs = append(errs, float64((r.Time-recB[1].Time)-(recA[i].Time-recA[1].Time)))
		}
	}
	// The offsets from the second packet (the first, on the cold paths of
	// both recorders, may come late) are kept. Timing is
	// TestRecordReplayGaps's and the benchmark's: on a loaded machine (and
	// under the race detector) either recorder's hook may run tens of
	// milliseconds late, which moves one packet's offset (and two gaps:
	// 26 ms each in one run), so this checks the median offset error,
	// against the median.
	m := median(errs)
	for i := range errs {
		errs[i] = math.Abs(errs[i] - m)
	}
	require.Less(t, median(errs), float64(20*time.Millisecond), "offset errors %v", errs)
}

// TestRecordTshark: tshark decodes the OSC of a recording, UDP and TCP.
func TestRecordTshark(t *testing.T) {
	tshark := needPeer(t, "tshark", "tshark")
	file := filepath.Join(t.TempDir(), "r.pcapng")
	recordSome(t, file)
	_, recs := readRecording(t, file)
	port := itoa(int(recs[5].Dst.Port()))
	out, err := exec.Command(tshark, "-n", "-r", file, "--enable-heuristic", "osc_udp", "-d", "tcp.port=="+port+",osc",
		"-Y", "osc", "-T", "fields", "-e", "osc.message.header.path").Output()
	require.NoError(t, err)
	// tshark's heuristic takes the malformed "junk" for OSC without a
	// path: the empty line.
	require.Equal(t, "/a/b\n/c\n/in/bundle\n\n/blob\n/t/cp\n", string(out))
}

// TestReplayOscdump: liblo's oscdump receives a replay and prints the
// recorded messages. The recorded bundle is due an hour later, which
// oscdump would wait for: -timetags immediate makes it immediate.
func TestReplayOscdump(t *testing.T) {
	oscdump := needPeer(t, "oscdump", "liblo-tools")
	dir := t.TempDir()
	file := filepath.Join(dir, "r.jsonl")
	recordSome(t, file)

	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	port := itoa(l.LocalAddr().(*net.UDPAddr).Port)
	l.Close()
	cmd := exec.Command(oscdump, "-L", port)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := lineChan(out)
	// oscdump may not be listening yet: ping until it prints.
	u := udpTo(t, "osc.udp://127.0.0.1:"+port)
	for try := 0; ; try++ {
		require.Less(t, try, 50, "oscdump printed nothing")
		u.Write(msg(t, "/ping"))
		select {
		case <-lines:
		case <-time.After(200 * time.Millisecond):
			continue
		}
		break
	}
	time.Sleep(100 * time.Millisecond)
	for len(lines) > 0 {
		<-lines
	}
	code, _, errOut := oscli(t, "", "replay", "-timetags", "immediate", file, "osc.udp://127.0.0.1:"+port)
	require.Zero(t, code, errOut)
	want := []string{"/a/b if 1 2.500000", `/c s "hello"`, "/in/bundle i 1", "/blob b [4b 0xc0 0xdb 00 0x1]", "/t/cp i 3"}
	var got []string
	for range want {
		_, rest, _ := strings.Cut(next(t, lines, "oscdump line"), " ")
		got = append(got, rest)
	}
	require.Equal(t, want, got)
}

// TestReplayTimetags: rebase shifts a bundle's timetag by the time
// between recording and replay; immediate makes it immediate.
func TestReplayTimetags(t *testing.T) {
	b := bundleOf(t, wire.TimetagOf(time.Unix(1000, 0)), "/x")
	outer := append(bytes.Clone(b[:16]), 0, 0, 0, byte(len(b)))
	outer = append(outer, b...)
	retime(outer, false, 90*time.Second, 0)
	bb, err := new(wire.Options).ParseBundle(outer)
	require.NoError(t, err)
	require.Equal(t, time.Unix(1090, 0).UTC(), bb.Timetag().Time().UTC())
	inner := outer[20:]
	require.Equal(t, time.Unix(1090, 0).UTC(), wire.Timetag(beUint64(inner[8:])).Time().UTC())
	retime(outer, true, 0, 0)
	require.Equal(t, wire.Immediately, wire.Timetag(beUint64(outer[8:])))
	require.Equal(t, wire.Immediately, wire.Timetag(beUint64(inner[8:])))
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// TestRecordUnix: a UNIX datagram endpoint records the sender's socket
// path, and tshark decodes the packet from its exported-PDU encapsulation.
func TestRecordUnix(t *testing.T) {
	tshark := needPeer(t, "tshark", "tshark")
	dir := t.TempDir()
	file := filepath.Join(dir, "u.pcapng")
	p := start(t, "record", "-o", file, "-count", "1", "osc.unix://"+filepath.Join(dir, "rec.sock"))
	url := p.listening(t)
	code, _, errOut := oscli(t, "", "send", url, "/unix/msg", "i", "9")
	require.Zero(t, code, errOut)
	require.Zero(t, p.wait(t))
	_, recs := readRecording(t, file)
	require.Len(t, recs, 1)
	require.Equal(t, capture.Unix, recs[0].Transport)
	require.Equal(t, msg(t, "/unix/msg", wire.Int32(9)), recs[0].Data)
	require.Equal(t, url, recs[0].Endpoint)
	out, err := exec.Command(tshark, "-n", "-r", file, "--enable-heuristic", "osc_udp",
		"-Y", "osc", "-T", "fields", "-e", "osc.message.header.path", "-e", "osc.message.int32").Output()
	require.NoError(t, err)
	require.Equal(t, "/unix/msg\t9\n", string(out))
}

// TestReplaySelect: -filter, -loop, -speed and -from/-to choose what a
// replay sends.
func TestReplaySelect(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.pcapng")
	sent := recordSome(t, file)
	_, recs := readRecording(t, file)
	for _, c := range []struct {
		args []string
		want [][]byte
	}{
		{[]string{"-filter", "/c", "-loop", "3", "-speed", "4"}, [][]byte{sent[1], sent[1], sent[1]}},
		{[]string{"-filter", "/in/*"}, [][]byte{sent[2]}},
		{[]string{"-from", time.Duration(recs[2].Time).String(), "-to", time.Duration(recs[3].Time).String()}, [][]byte{sent[2], sent[3]}},
	} {
		out := filepath.Join(dir, "b.jsonl")
		p := start(t, "record", "-o", out, "-count", itoa(len(c.want)), "osc.udp://127.0.0.1:0")
		url := p.listening(t)
		code, _, errOut := oscli(t, "", append(append([]string{"replay"}, c.args...), file, url)...)
		require.Zero(t, code, errOut)
		require.Contains(t, errOut, "oscli replay: "+itoa(len(c.want))+" packets sent", "%v", c.args)
		require.Zero(t, p.wait(t), "%v", c.args)
		_, got := readRecording(t, out)
		var data [][]byte
		for _, r := range got {
			data = append(data, r.Data)
		}
		require.Equal(t, c.want, data, "%v", c.args)
	}
}

// TestRecordWebSocket: a WebSocket endpoint's messages are recorded with
// the connection's addresses, tshark decodes them from the exported-PDU
// encapsulation, and a replay to another WebSocket endpoint delivers the
// same bytes.
func TestRecordWebSocket(t *testing.T) {
	tshark := needPeer(t, "tshark", "tshark")
	dir := t.TempDir()
	file := filepath.Join(dir, "ws.pcapng")
	p := start(t, "record", "-o", file, "-count", "3", "osc.ws://127.0.0.1:0")
	url := p.listening(t)
	for _, args := range [][]string{{"/ws/one", "i", "1"}, {"/ws/two", "s", "deux"}, {"-at", "00000064.80000000", "/ws/cue", "f", "0.5"}} {
		code, _, errOut := oscli(t, "", append(append([]string{"send"}, args[:len(args)-3]...), append([]string{url}, args[len(args)-3:]...)...)...)
		require.Zero(t, code, errOut)
	}
	require.Zero(t, p.wait(t))
	_, recs := readRecording(t, file)
	require.Len(t, recs, 3)
	ep, err := netio.ParseEndpoint(url)
	require.NoError(t, err)
	for i, r := range recs {
		require.Equal(t, capture.WebSocket, r.Transport, "record %d", i)
		require.Equal(t, url, r.Endpoint)
		require.Equal(t, ep.Address, r.Dst.String())
		require.Equal(t, "127.0.0.1", r.Src.Addr().String())
		require.NotZero(t, r.Src.Port())
		require.Empty(t, r.Malformed)
	}
	// Each send is its own connection, so the server may read them in any
	// order: compare a copy put in send order (the file keeps arrival order).
	order := map[string]int{"/ws/one": 0, "/ws/two": 1}
	rank := func(b []byte) int {
		if wire.IsBundle(b) {
			return 2
		}
		for a, i := range order {
			if bytes.HasPrefix(b, append([]byte(a), 0)) {
				return i
			}
		}
		return 3
	}
	sent := slices.Clone(recs)
	slices.SortStableFunc(sent, func(a, b capture.Record) int { return rank(a.Data) - rank(b.Data) })
	require.Equal(t, msg(t, "/ws/one", wire.Int32(1)), sent[0].Data)
	require.Equal(t, 1, rank(sent[1].Data))
	require.True(t, wire.IsBundle(sent[2].Data))

	out, err := exec.Command(tshark, "-n", "-r", file, "--enable-heuristic", "osc_udp", "-Y", "osc",
		"-T", "fields", "-E", "separator=,", "-e", "exported_pdu.ipv4_src", "-e", "exported_pdu.dst_port",
		"-e", "osc.message.header.path").Output()
	require.NoError(t, err)
	port := itoa(int(recs[0].Dst.Port()))
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	slices.Sort(lines)
	require.Equal(t, []string{"127.0.0.1," + port + ",/ws/cue", "127.0.0.1," + port + ",/ws/one", "127.0.0.1," + port + ",/ws/two"}, lines)

	// Replayed to another WebSocket endpoint: the same bytes.
	again := filepath.Join(dir, "again.jsonl")
	p = start(t, "record", "-o", again, "-count", "3", "osc.ws://127.0.0.1:0")
	code, _, errOut := oscli(t, "", "replay", "-speed", "10", file, p.listening(t))
	require.Zero(t, code, errOut)
	require.Zero(t, p.wait(t))
	_, got := readRecording(t, again)
	require.Len(t, got, 3)
	for i := range got {
		require.Equal(t, recs[i].Data, got[i].Data, "packet %d", i)
		require.Equal(t, capture.WebSocket, got[i].Transport)
	}
}

// TestReplaySrc: -src sends each recorded source's packets to its own
// destination; the others go to the URL arguments or, without any, are
// skipped and counted.
func TestReplaySrc(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "srcs.jsonl")
	f, err := os.Create(file)
	require.NoError(t, err)
	w, err := capture.NewWriter(f, capture.JSONL, capture.Header{Start: time.Now()})
	require.NoError(t, err)
	dst := netip.MustParseAddrPort("127.0.0.1:9000")
	srcs := []capture.Record{
		{Transport: capture.UDP, Src: netip.MustParseAddrPort("127.0.0.1:40000")},
		{Transport: capture.UDP, Src: netip.MustParseAddrPort("127.0.0.2:40001")},
		{Transport: capture.TCP, Src: netip.MustParseAddrPort("127.0.0.2:40002")},
		{Transport: capture.UDP, Src: netip.MustParseAddrPort("127.0.0.1:40003")},
		{Transport: capture.Unix, Path: "/run/sender.sock"},
		{Transport: capture.WebSocket, Src: netip.MustParseAddrPort("[::ffff:127.0.0.1]:40000")},
	}
	var sent [][]byte
	for i, r := range srcs {
		r.Time, r.Dst = int64(i)*int64(time.Millisecond), dst
		r.Data = msg(t, "/from", wire.Int32(int32(i)))
		sent = append(sent, r.Data)
		require.NoError(t, w.Write(&r))
	}
	require.NoError(t, f.Close())

	k := 0
	recv := func(n int) (*proc, string, string) {
		k++
		out := filepath.Join(dir, "r"+itoa(k)+".jsonl")
		p := start(t, "record", "-o", out, "-count", itoa(n), "-duration", "20s", "osc.udp://127.0.0.1:0")
		return p, p.listening(t), out
	}
	got := func(p *proc, out string) [][]byte {
		require.Zero(t, p.wait(t))
		_, recs := readRecording(t, out)
		var data [][]byte
		for _, r := range recs {
			data = append(data, r.Data)
		}
		return data
	}

	// 127.0.0.1:40000 exactly (UDP and WebSocket, the address unmapped),
	// 127.0.0.2 on any port, the UNIX path; the rest to the URL.
	pa, ua, oa := recv(2)
	pb, ub, ob := recv(2)
	pu, uu, ou := recv(1)
	pd, ud, od := recv(1)
	code, _, errOut := oscli(t, "", "replay", "-src", "127.0.0.1:40000="+ua, "-src", "127.0.0.2="+ub,
		"-src", "/run/sender.sock="+uu, file, ud)
	require.Zero(t, code, errOut)
	require.Equal(t, [][]byte{sent[0], sent[5]}, got(pa, oa))
	require.Equal(t, [][]byte{sent[1], sent[2]}, got(pb, ob))
	require.Equal(t, [][]byte{sent[4]}, got(pu, ou))
	require.Equal(t, [][]byte{sent[3]}, got(pd, od))

	// Without a URL, the unmapped packets are skipped and counted.
	pb, ub, ob = recv(2)
	code, _, errOut = oscli(t, "", "replay", "-src", "[127.0.0.2]="+ub, file)
	require.Zero(t, code, errOut)
	require.Contains(t, errOut, "oscli replay: 2 packets sent")
	require.Contains(t, errOut, "oscli replay: 4 packets skipped")
	require.Equal(t, [][]byte{sent[1], sent[2]}, got(pb, ob))

	for _, bad := range []string{"127.0.0.1", "=osc.udp://127.0.0.1:1", "127.0.0.1="} {
		code, _, errOut = oscli(t, "", "replay", "-src", bad, file)
		require.Equal(t, 2, code, "-src %q: %s", bad, errOut)
	}
}

// TestRecordReplayGaps: a replay keeps a recording's timing, at -speed 1
// and 2, as the kernel stamps the arrivals (and, more loosely, as another
// recorder sees them). A loaded machine delays some
// packets by tens of milliseconds (and a replay paced from one start
// catches up after them), so the test asks the bulk of the packets, not
// each, to be on time: the median error within 10 ms, three quarters
// within 40 ms, and no drift (median error over the last third less over
// the first) beyond 25 ms. (On a quiet machine all are under 1 ms; under
// the race detector at a load average of 13 on 2 cores up to 3, 19 and 2
// ms.) Summed sleeps, a wrong speed or a lost schedule fail them: a
// replay 10% fast gave 24, 47 and -70 ms.
func TestRecordReplayGaps(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gaps.jsonl")
	f, err := os.Create(file)
	require.NoError(t, err)
	w, err := capture.NewWriter(f, capture.JSONL, capture.Header{Start: time.Now()})
	require.NoError(t, err)
	const n = 60
	offsets := make([]int64, n)
	var off int64
	for i := range n {
		off += int64(2+(i*37)%39) * int64(time.Millisecond) // 2 to 40 ms, irregular
		offsets[i] = off
		require.NoError(t, w.Write(&capture.Record{Time: off, Transport: capture.UDP, Data: msg(t, "/gap", wire.Int32(int32(i)))}))
	}
	require.NoError(t, f.Close())

	ms := float64(time.Millisecond)
	// timing returns the p50 and p75 of the absolute errors of the
	// arrival times at (against their median: the first packet's own
	// delay would shift all the others) and the drift.
	timing := func(at []int64, speed int) (p50, p75, drift float64) {
		errs := make([]float64, n)
		for i := range at {
			errs[i] = float64(at[i]-at[0]) - float64(offsets[i]-offsets[0])/float64(speed)
		}
		m := median(errs)
		abs := make([]float64, n)
		for i := range errs {
			errs[i] -= m
			abs[i] = math.Abs(errs[i])
		}
		slices.Sort(abs)
		return abs[n/2], abs[3*n/4], median(errs[2*n/3:]) - median(errs[:n/3])
	}
	for _, speed := range []int{1, 2} {
		// The replay goes to a recorder and to a socket the kernel
		// timestamps: the recorder stamps a packet when its hook runs,
		// which a stalled process (the race detector on a loaded
		// machine) delays; the kernel's stamps time the replay alone.
		out := filepath.Join(dir, "got"+itoa(speed)+".jsonl")
		p := start(t, "record", "-o", out, "-count", itoa(n), "-duration", "30s", "osc.udp://127.0.0.1:0")
		url, received := stampedReceiver(t, n)
		code, _, errOut := oscli(t, "", "replay", "-speed", itoa(speed), file, p.listening(t), url)
		require.Zero(t, code, errOut)
		require.Zero(t, p.wait(t))
		data, stamps := received()
		_, got := readRecording(t, out)
		require.Len(t, got, n)
		kernel, recorded := make([]int64, n), make([]int64, n)
		for i := range n {
			want := msg(t, "/gap", wire.Int32(int32(i)))
			require.Equal(t, want, data[i])
			require.Equal(t, want, got[i].Data)
			kernel[i], recorded[i] = stamps[i].UnixNano(), got[i].Time
		}
		p50, p75, drift := timing(kernel, speed)
		t.Logf("speed %d, kernel stamps: error p50 %.2f ms, p75 %.2f ms, drift %.2f ms", speed, p50/ms, p75/ms, drift/ms)
		require.Less(t, p50, 10*ms, "median error, speed %d", speed)
		require.Less(t, p75, 40*ms, "75th percentile error, speed %d", speed)
		require.Less(t, math.Abs(drift), 25*ms, "drift, speed %d", speed)
		// The recording keeps the timing too, within what its stalls
		// allow.
		p50, p75, drift = timing(recorded, speed)
		t.Logf("speed %d, recorded: error p50 %.2f ms, p75 %.2f ms, drift %.2f ms", speed, p50/ms, p75/ms, drift/ms)
		require.Less(t, p50, 25*ms, "recorded median error, speed %d", speed)
	}
}

// TestReplayRewrite: -rewrite replaces address prefixes as the relay does,
// in messages and inside bundles (which keep their timetag), and leaves
// malformed packets as recorded.
func TestReplayRewrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rw.jsonl")
	f, err := os.Create(file)
	require.NoError(t, err)
	w, err := capture.NewWriter(f, capture.JSONL, capture.Header{Start: time.Now()})
	require.NoError(t, err)
	tt := wire.TimetagOf(time.Unix(2000000000, 0))
	var e wire.Encoder
	e.BeginBundle(tt)
	e.Message("/from/b").Int32(2).End()
	e.Message("/other").Int32(3).End()
	e.EndBundle()
	bundle, err := e.Bytes()
	require.NoError(t, err)
	recorded := [][]byte{msg(t, "/from/a", wire.Int32(1)), bytes.Clone(bundle), []byte("junk"), msg(t, "/fromage", wire.Int32(4))}
	for i, d := range recorded {
		require.NoError(t, w.Write(&capture.Record{Time: int64(i) * int64(time.Millisecond), Transport: capture.UDP, Data: d}))
	}
	require.NoError(t, f.Close())

	out := filepath.Join(dir, "got.jsonl")
	p := start(t, "record", "-o", out, "-count", itoa(len(recorded)), "-duration", "20s", "osc.udp://127.0.0.1:0")
	code, _, errOut := oscli(t, "", "replay", "-rewrite", "/from=/to/long", "-rewrite", "/other=/x", file, p.listening(t))
	require.Zero(t, code, errOut)
	require.Zero(t, p.wait(t))
	_, got := readRecording(t, out)
	require.Len(t, got, len(recorded))

	e.Reset()
	e.BeginBundle(tt)
	e.Message("/to/long/b").Int32(2).End()
	e.Message("/x").Int32(3).End()
	e.EndBundle()
	want, err := e.Bytes()
	require.NoError(t, err)
	require.Equal(t, msg(t, "/to/long/a", wire.Int32(1)), got[0].Data)
	require.Equal(t, want, got[1].Data)
	require.Equal(t, []byte("junk"), got[2].Data)
	require.Equal(t, recorded[3], got[3].Data, "/fromage is not under /from")

	code, _, errOut = oscli(t, "", "replay", "-rewrite", "from=/to", file, "osc.udp://127.0.0.1:9")
	require.Equal(t, 2, code, errOut)
}
