package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/capture"
	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/wire"
)

const replayUsage = `[-speed X] [-loop N] [-spin D] [-realtime] [-from D] [-to D] [-filter PATTERN] [-timetags keep|rebase|immediate] [-rewrite /FROM=/TO ...] [-src SOURCE=URL ...] FILE [URL...]

Sends the packets of a recording (oscli record's pcapng or JSON lines, a
tcpdump/Wireshark pcap or pcapng capture of OSC over UDP or TCP, or the
text of liblo's oscdump, which its oscsendfile reads) to every
URL with the recorded timing: each packet is due at its recorded offset
(minus -from, divided by -speed) after one absolute start time, so that
errors never add up; the sender sleeps until -spin before a packet is
due (longer when its sleeps have been ending late, up to 4 times -spin),
then polls the clock. The packets are read into memory first (at
most 1 GiB of them: cut a longer recording with -from and -to), so that
sending neither reads nor allocates. -realtime runs the process in the
real-time scheduling class, as chrt -f would, the sending thread above
the others (Linux SCHED_FIFO, for root or CAP_SYS_NICE; without the right,
a message says so and the replay runs as usual): other processes cannot
delay it.

-timetags rebase shifts every bundle timetag by the time between the
packet's recording and its replay, so that a scheduling receiver fires it
at the moment it would have; immediate makes every bundle immediate; keep
sends the bytes unchanged. Malformed packets are sent as recorded.

-rewrite /FROM=/TO (repeatable; the first that applies wins) replaces an
address prefix, as oscli relay does, in messages and in bundles (which
keep their shape and timetags); malformed packets are sent unchanged.

-src SOURCE=URL (repeatable) sends the packets a source sent to their own
destination instead: SOURCE is a recorded sender, HOST:PORT, a HOST (any
port) or a UNIX socket path; the first that matches wins. Packets of
other sources go to every URL argument or, without one, are skipped and
counted.`

// defaultSpin is how long before a packet is due the sender stops
// sleeping and polls the clock, at least: the window widens to the
// sleeps' recent lateness (spinWindow).
const defaultSpin = time.Millisecond

func runReplay(e *env, args []string) error {
	fs := newFlagSet(e, "replay", replayUsage)
	speed := fs.Float64("speed", 1, "play `X` times as fast")
	loops := fs.Int("loop", 1, "play the recording `N` times (0: until interrupted)")
	from := fs.Duration("from", 0, "start at offset `D` into the recording")
	to := fs.Duration("to", 0, "stop at offset `D` into the recording (0: the end)")
	filter := fs.String("filter", "", "send only packets with a message matching the OSC `PATTERN` (as recorded, before -rewrite)")
	tts := fs.String("timetags", "keep", "bundle timetags: keep, rebase or immediate")
	spin := fs.Duration("spin", defaultSpin, "poll the clock for at least the last `D` before a packet is due, up to 4 D when sleeps end late (CPU for accuracy)")
	realtime := fs.Bool("realtime", false, "run in the real-time scheduling class (Linux: SCHED_FIFO; needs CAP_SYS_NICE or root)")
	var srcs, rewrites stringList
	fs.Var(&rewrites, "rewrite", "replace the address prefix `/FROM=/TO` (repeatable)")
	fs.Var(&srcs, "src", "send the packets of the recorded sender `SOURCE=URL` to URL (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 && (fs.NArg() < 1 || len(srcs) == 0) {
		return usagef("want a FILE and at least one URL or -src")
	}
	var rw rewriter
	for _, spec := range rewrites {
		rule, err := parseRewrite(spec)
		if err != nil {
			return usagef("-rewrite %v", err)
		}
		rw.rules = append(rw.rules, rule)
	}
	maps := make([]sourceMap, len(srcs))
	for i, m := range srcs {
		src, url, ok := strings.Cut(m, "=")
		if !ok || src == "" || url == "" {
			return usagef("-src %q: want SOURCE=URL", m)
		}
		maps[i] = parseSource(src)
		maps[i].url = url
	}
	if *spin < 0 {
		return usagef("-spin %v: want 0 or more", *spin)
	}
	if *speed <= 0 {
		return usagef("-speed %v: want more than 0", *speed)
	}
	if *filter != "" && !validPattern(*filter) {
		return usagef("-filter %q: not an OSC address pattern", *filter)
	}
	switch *tts {
	case "keep", "rebase", "immediate":
	default:
		return usagef("-timetags %q: want keep, rebase or immediate", *tts)
	}
	ctx, cancel := signalContext(e, 0)
	defer cancel()
	var dests []*osc.Client
	defer func() {
		for _, c := range dests {
			c.Close()
		}
	}()
	dialed := map[string]*osc.Client{}
	dial := func(u string) (*osc.Client, error) {
		if c := dialed[u]; c != nil {
			return c, nil
		}
		c, err := osc.DialContext(ctx, u)
		if err != nil {
			return nil, err
		}
		dialed[u] = c
		dests = append(dests, c)
		return c, nil
	}
	var all []*osc.Client
	for _, u := range fs.Args()[1:] {
		c, err := dial(u)
		if err != nil {
			return err
		}
		all = append(all, c)
	}
	for i := range maps {
		c, err := dial(maps[i].url)
		if err != nil {
			return err
		}
		maps[i].to = []*osc.Client{c}
	}
	p := &player{speed: *speed, from: from.Nanoseconds(), to: to.Nanoseconds(), filter: *filter, timetags: *tts, spin: *spin, dests: all, srcs: maps, rw: rw, done: ctx.Done()}
	err := p.load(fs.Arg(0))
	if err == nil {
		err = p.run(*loops, *realtime, e.stderr)
	}
	fmt.Fprintf(e.stderr, "oscli replay: %d packets sent, %d send errors, latest %v late\n", p.sent, p.errs, time.Duration(p.late))
	if p.unmapped > 0 {
		fmt.Fprintf(e.stderr, "oscli replay: %d packets skipped (no -src for their source and no URL)\n", p.unmapped)
	}
	if err == errStopped {
		err = nil
	}
	if err == nil && p.errs > 0 {
		err = errReported
	}
	return err
}

var errStopped = fmt.Errorf("stopped")

// maxReplayBytes caps the packet bytes a replay holds in memory.
const maxReplayBytes = 1 << 30

type player struct {
	speed    float64
	from, to int64
	filter   string
	timetags string
	spin     time.Duration
	dests    []*osc.Client // of the packets no -src maps
	srcs     []sourceMap
	rw       rewriter // -rewrite, applied as the recording is loaded
	done     <-chan struct{}
	opts     wire.Options

	// The recording, loaded before the clock starts so that the send
	// loop neither reads, parses nor allocates.
	pkts   []replayPacket
	start  time.Time // the recording's wall clock start
	length int64     // nanoseconds of one loop

	sent     int
	errs     int
	unmapped int // packets of the recording skipped: no -src matched, no URL
	late     int64
	buf      []byte
	sleeper  sleeper
	slack    time.Duration // envelope of the sleeps' lateness (overslept)
}

// replayPacket is one packet to send.
type replayPacket struct {
	off    int64 // recorded offset less -from
	rec    int64 // recorded offset
	data   []byte
	to     []*osc.Client
	retime bool // a valid bundle whose timetags -timetags changes
}

// load reads the packets of the recording that -from, -to, -filter and
// -src select.
func (p *player) load(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := openRecording(f)
	if err != nil {
		return err
	}
	var slab, rewritten []byte
	held := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if rec.Time < p.from || len(rec.Data) == 0 {
			continue
		}
		if p.to > 0 && rec.Time > p.to {
			break
		}
		p.length = rec.Time - p.from
		valid := rec.Malformed == "" && p.opts.Validate(rec.Data) == nil
		if p.filter != "" && (!valid || !matchAny(&p.opts, p.filter, rec.Data, 0)) {
			continue
		}
		to := p.destinations(rec)
		if len(to) == 0 {
			p.unmapped++
			continue
		}
		data := rec.Data
		if valid && len(p.rw.rules) > 0 {
			var n int
			if rewritten, n, err = p.rw.appendPacket(rewritten[:0], data); err == nil && n == 1 {
				data, _ = nextPacket(rewritten)
			}
		}
		if held += len(data); held > maxReplayBytes {
			return fmt.Errorf("%s: more than %d MiB of packets to hold: replay a part with -from and -to", name, maxReplayBytes>>20)
		}
		if len(slab)+len(data) > cap(slab) {
			slab = make([]byte, 0, max(1<<20, len(data)))
		}
		slab = append(slab, data...)
		p.pkts = append(p.pkts, replayPacket{
			off:    rec.Time - p.from,
			rec:    rec.Time,
			data:   slab[len(slab)-len(data) : len(slab) : len(slab)],
			to:     to,
			retime: valid && p.timetags != "keep" && wire.IsBundle(data),
		})
	}
	if p.to > 0 {
		p.length = p.to - p.from
	}
	p.start = r.Header().Start
	return nil
}

// run plays the loaded packets loops times (0: until stopped). With
// realtime it asks for the real-time scheduling class.
func (p *player) run(loops int, realtime bool, stderr io.Writer) error {
	// With -realtime the loop runs on a thread of its own, which ends
	// with it (a thread whose scheduling class changed must not go back
	// to the runtime). Without, it is not locked to one: when the runtime
	// preempts a locked goroutine, it waits for another thread to hand it
	// back a processor, which on a busy machine took up to hundreds of
	// milliseconds.
	done := make(chan error, 1)
	go func() {
		restore := func() {}
		if realtime {
			runtime.LockOSThread()
			r, err := enterRealtime()
			if err != nil {
				fmt.Fprintf(stderr, "oscli replay: -realtime: %v: pacing at normal priority\n", err)
			} else {
				restore = r
			}
		}
		err := p.loop(loops)
		restore()
		done <- err
	}()
	return <-done
}

// loop plays the packets loops times (0: until stopped).
func (p *player) loop(loops int) error {
	// Collect the garbage of loading now, not while sending.
	runtime.GC()
	var t0 time.Time
	for i := 0; (loops == 0 || i < loops) && len(p.pkts) > 0; i++ {
		if t0.IsZero() {
			t0 = time.Now().Add(time.Millisecond)
		}
		base := int64(i) * p.length
		for k := range p.pkts {
			due := t0.Add(time.Duration(float64(base+p.pkts[k].off) / p.speed))
			if p.step(&p.pkts[k], due) {
				return errStopped
			}
		}
	}
	return nil
}

// step sends one packet when it is due: it waits (sleeping, then polling
// the clock for the last -spin), retimes a bundle's timetags and writes it
// to its destinations. It reports whether the replay was stopped. It does
// not allocate (TestReplayStepNoAllocs).
func (p *player) step(pk *replayPacket, due time.Time) (stopped bool) {
	pkt := pk.data
	if pk.retime {
		p.buf = append(p.buf[:0], pkt...)
		retime(p.buf, p.timetags == "immediate", due.Sub(p.start.Add(time.Duration(pk.rec))), 0)
		pkt = p.buf
	}
	if p.wait(due) {
		return true
	}
	if l := time.Since(due).Nanoseconds(); l > p.late {
		p.late = l
	}
	for _, c := range pk.to {
		if _, err := c.Write(pkt); err != nil {
			p.errs++
		}
	}
	p.sent++
	return false
}

// wait sleeps until spin before t, then polls the clock until t. It
// reports whether the replay was stopped first.
func (p *player) wait(t time.Time) bool {
	for {
		select {
		case <-p.done:
			return true
		default:
		}
		d := time.Until(t) - p.spinWindow()
		if d <= 0 {
			break
		}
		// Sleep in slices, so that a stop is seen within 50 ms.
		d = min(d, 50*time.Millisecond)
		before := time.Now()
		p.sleeper.sleep(d)
		p.overslept(time.Since(before) - d)
	}
	for time.Now().Before(t) {
	}
	return false
}

// overslept follows how late the sleeps end: an envelope that jumps to
// a larger lateness at once and decays by 1/64 of the difference at each
// smaller one.
func (p *player) overslept(d time.Duration) {
	d = max(d, 0)
	if d > p.slack {
		p.slack = d
	} else {
		p.slack -= (p.slack - d) / 64
	}
}

// spinWindow is how long before a packet is due the sender stops sleeping:
// the sleeps' recent lateness plus 100 us, at least -spin and at most 4
// times -spin. A sleep woken late by a busy machine (a kernel that does
// not preempt its own work, HZ 250: a few milliseconds) then still ends
// before the packet is due.
func (p *player) spinWindow() time.Duration {
	return min(max(p.slack+100*time.Microsecond, p.spin), 4*p.spin)
}

// recording is what replay reads: a capture.Reader, or a textReader for
// oscdump's text.
type recording interface {
	Next() (*capture.Record, error)
	Header() capture.Header
}

// openRecording tells oscdump's text (a line starting with a timetag or
// an address) from the files capture reads.
func openRecording(f io.Reader) (recording, error) {
	br := bufio.NewReader(f)
	b, err := br.Peek(1)
	if err == nil && (b[0] == '/' || strings.IndexByte("0123456789abcdefABCDEF", b[0]) >= 0) {
		return newTextReader(br), nil
	}
	return capture.NewReader(br)
}

// retime rewrites the timetags of a valid bundle in place: immediate, or
// shifted by d (immediate ones stay immediate).
func retime(b []byte, immediate bool, d time.Duration, depth int) {
	if !wire.IsBundle(b) || len(b) < 16 || depth > limits.BundleDepth {
		return
	}
	tt := wire.Timetag(binary.BigEndian.Uint64(b[8:]))
	switch {
	case immediate:
		tt = wire.Immediately
	case tt > wire.Immediately:
		tt = tt.Add(d)
	}
	binary.BigEndian.PutUint64(b[8:], uint64(tt))
	for el := b[16:]; len(el) >= 4; {
		n := int(binary.BigEndian.Uint32(el))
		if n < 0 || 4+n > len(el) {
			return
		}
		if bytes.HasPrefix(el[4:], []byte("#bundle\x00")) {
			retime(el[4:4+n], immediate, d, depth+1)
		}
		el = el[4+n:]
	}
}

// sourceMap is one -src: the recorded sender (an address and port, an
// address with port 0 for any, or a UNIX path) and its destination.
type sourceMap struct {
	addr netip.AddrPort
	path string
	url  string
	to   []*osc.Client
}

// parseSource reads a -src SOURCE: HOST:PORT, HOST or a UNIX path.
func parseSource(s string) sourceMap {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return sourceMap{addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return sourceMap{addr: netip.AddrPortFrom(a.Unmap(), 0)}
	}
	return sourceMap{path: s}
}

// destinations returns where a record goes: its source's -src, else the
// URL arguments (none: skip it).
func (p *player) destinations(rec *capture.Record) []*osc.Client {
	for i := range p.srcs {
		m := &p.srcs[i]
		switch {
		case m.path != "":
			if rec.Transport == capture.Unix && rec.Path == m.path {
				return m.to
			}
		case rec.Src.Addr().Unmap() == m.addr.Addr() && (m.addr.Port() == 0 || m.addr.Port() == rec.Src.Port()):
			if rec.Transport != capture.Unix {
				return m.to
			}
		}
	}
	return p.dests
}
