package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/capture"
	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/wire"
)

const replayUsage = `[-speed X] [-loop N] [-spin D] [-from D] [-to D] [-filter PATTERN] [-timetags keep|rebase|immediate] [-src SOURCE=URL ...] FILE [URL...]

Sends the packets of a recording (oscli record's pcapng or JSON lines, a
tcpdump/Wireshark pcap or pcapng capture of OSC over UDP or TCP, or the
text of liblo's oscdump, which its oscsendfile reads) to every
URL with the recorded timing: each packet is due at its recorded offset
(minus -from, divided by -speed) after one absolute start time, so that
errors never add up; the sender sleeps until -spin before a packet is
due, then polls the clock.

-timetags rebase shifts every bundle timetag by the time between the
packet's recording and its replay, so that a scheduling receiver fires it
at the moment it would have; immediate makes every bundle immediate; keep
sends the bytes unchanged. Malformed packets are sent as recorded.

-src SOURCE=URL (repeatable) sends the packets a source sent to their own
destination instead: SOURCE is a recorded sender, HOST:PORT, a HOST (any
port) or a UNIX socket path; the first that matches wins. Packets of
other sources go to every URL argument or, without one, are skipped and
counted.`

// defaultSpin is how long before a packet is due the sender stops
// sleeping and polls the clock: the timer's lateness on a loaded machine
// (a few hundred microseconds on 2 busy cores), with margin.
const defaultSpin = time.Millisecond

func runReplay(e *env, args []string) error {
	fs := newFlagSet(e, "replay", replayUsage)
	speed := fs.Float64("speed", 1, "play `X` times as fast")
	loops := fs.Int("loop", 1, "play the recording `N` times (0: until interrupted)")
	from := fs.Duration("from", 0, "start at offset `D` into the recording")
	to := fs.Duration("to", 0, "stop at offset `D` into the recording (0: the end)")
	filter := fs.String("filter", "", "send only packets with a message matching the OSC `PATTERN`")
	tts := fs.String("timetags", "keep", "bundle timetags: keep, rebase or immediate")
	spin := fs.Duration("spin", defaultSpin, "poll the clock for the last `D` before a packet is due (CPU for accuracy)")
	var srcs stringList
	fs.Var(&srcs, "src", "send the packets of the recorded sender `SOURCE=URL` to URL (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 && (fs.NArg() < 1 || len(srcs) == 0) {
		return usagef("want a FILE and at least one URL or -src")
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
	p := &player{speed: *speed, from: from.Nanoseconds(), to: to.Nanoseconds(), filter: *filter, timetags: *tts, spin: *spin, dests: all, srcs: maps, done: ctx.Done()}
	var err error
	for i := 0; (*loops == 0 || i < *loops) && err == nil; i++ {
		err = p.play(fs.Arg(0))
	}
	fmt.Fprintf(e.stderr, "oscli replay: %d packets sent, %d send errors, latest %v late\n", p.sent, p.errs, time.Duration(p.late))
	if p.unmapped > 0 {
		fmt.Fprintf(e.stderr, "oscli replay: %d packets skipped: their source has no -src and there is no URL\n", p.unmapped)
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

type player struct {
	speed    float64
	from, to int64
	filter   string
	timetags string
	spin     time.Duration
	dests    []*osc.Client // of the packets no -src maps
	srcs     []sourceMap
	done     <-chan struct{}
	opts     wire.Options

	t0       time.Time // when offset 0 (-from) of the first loop is due; zero until then
	base     int64     // nanoseconds of the loops already played
	sent     int
	errs     int
	unmapped int // packets skipped: no -src matched, no URL
	late     int64
	buf      []byte
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

// play sends the recording once.
func (p *player) play(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := openRecording(f)
	if err != nil {
		return err
	}
	var last int64
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
		last = rec.Time - p.from
		valid := rec.Malformed == "" && p.opts.Validate(rec.Data) == nil
		if p.filter != "" && (!valid || !matchAny(&p.opts, p.filter, rec.Data, 0)) {
			continue
		}
		to := p.destinations(rec)
		if len(to) == 0 {
			p.unmapped++
			continue
		}
		if p.t0.IsZero() {
			// The clock starts once the file is open and its first
			// packet read, a moment before that packet is due.
			p.t0 = time.Now().Add(2 * time.Millisecond)
		}
		due := p.t0.Add(time.Duration(float64(p.base+last) / p.speed))
		pkt := rec.Data
		if valid && p.timetags != "keep" && wire.IsBundle(pkt) {
			p.buf = append(p.buf[:0], pkt...)
			shift := due.Sub(r.Header().Start.Add(time.Duration(rec.Time)))
			retime(p.buf, p.timetags == "immediate", shift, 0)
			pkt = p.buf
		}
		if stopped := waitUntil(due, p.spin, p.done); stopped {
			return errStopped
		}
		if l := time.Since(due).Nanoseconds(); l > p.late {
			p.late = l
		}
		for _, c := range to {
			if _, err := c.Write(pkt); err != nil {
				p.errs++
			}
		}
		p.sent++
	}
	if p.to > 0 {
		last = p.to - p.from
	}
	p.base += last
	return nil
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

// waitUntil sleeps until spin before t, then polls the clock until t. It
// reports whether done closed first.
func waitUntil(t time.Time, spin time.Duration, done <-chan struct{}) bool {
	for {
		d := time.Until(t)
		if d <= spin {
			break
		}
		select {
		case <-done:
			return true
		case <-time.After(d - spin):
		}
	}
	for time.Now().Before(t) {
	}
	return false
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
	case !tt.IsImmediate():
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
