package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

const dumpUsage = `[flags] PORT|URL
       oscli dump [flags] [-H HOST] [-P PORT]

Listens for OSC packets and prints one line a message in liblo's oscdump
layout, "SSSSSSSS.FFFFFFFF /address types values...". A bare message prints
its arrival time, as oscdump does; the messages of a bundle print the
bundle's timetag, after a "#bundle TIMETAG" line (indented two spaces a
nesting level). Floats print in the shortest form that reads back to the
same bits. With -json each packet prints as one JSON line in the form that
oscli send -json reads back.

PORT or osc.udp://HOST:PORT listens on UDP (a multicast group as HOST joins
it); osc.tcp://HOST:PORT on TCP, detecting SLIP or size-prefix framing on
each connection (osc.tcp+slip:// or osc.tcp+size:// to fix it);
osc.unix:///PATH on a UNIX datagram socket at PATH (osc.unix://PATH for a
relative one), replacing a stale socket file; osc.ws://HOST:PORT/PATH on
WebSocket, one binary message a packet (pages of any origin may connect on
a loopback HOST, only pages of HOST elsewhere); osc.wss://HOST:PORT/PATH on
WebSocket over TLS with the certificate -cert and its key -key. Port 0 picks a free port;
the address listened on is printed to standard error.

A packet that does not decode prints one line to standard error with the
sender, the reason and the bytes in hex, and dumping goes on.

With -stats it prints no messages but counts the sequence numbers that
oscli bench puts in its messages, and answers the bench's final message
with the count received, lost and reordered.
` + oscpyGrammar + `
For example oscli dump -H 0.0.0.0 -P 8000 listens on UDP port 8000 of every
interface; messages print in the layout above.`

func runDump(e *env, args []string) error {
	fs := newFlagSet(e, "dump", dumpUsage)
	asJSON := fs.Bool("json", false, "print each packet as a JSON line")
	src := fs.Bool("src", false, "print the sender before each message (with -json, as {\"src\":...,\"packet\":...})")
	filter := fs.String("filter", "", "print only messages whose address matches the OSC `PATTERN`")
	count := fs.Int("count", 0, "exit after `N` messages (0: no limit)")
	timeout := fs.Duration("timeout", 0, "exit after `D` (0: no limit)")
	stats := fs.Bool("stats", false, "count oscli bench's sequence numbers instead of printing messages")
	lenient := fs.Bool("lenient", false, "accept what a lenient decoder accepts (see oscli decode -h)")
	py := addOscpyFlags(fs, false)
	ws := addWSFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := py.check(); err != nil {
		return err
	}
	if *filter != "" && !validPattern(*filter) {
		return usagef("-filter %q: not an OSC address pattern", *filter)
	}
	var l *listenCmd
	var err error
	switch {
	case py.hostPortSet() && fs.NArg() > 0:
		return usagef("-H and -P name the port to listen on: give no PORT or URL (%q)", fs.Arg(0))
	case py.hostPortSet() || fs.NArg() == 0:
		l, err = listenOn(e, py.url(), *timeout)
	default:
		l, err = newListenCmd(e, fs, *timeout)
	}
	if err != nil {
		return err
	}
	defer l.cancel()
	if err := ws.check(l.ep); err != nil {
		return err
	}

	d := &dumper{
		w:      bufio.NewWriterSize(e.stdout, 64<<10),
		errw:   l.stderr,
		opts:   &wire.Options{Lenient: *lenient},
		json:   *asJSON,
		src:    *src,
		filter: *filter,
		count:  *count,
		stats:  *stats,
		stop:   l.cancel,
	}
	err = serve(l.ctx, "dump", l.ep, serveHooks{packet: d.packet, invalid: d.badFrame, stderr: l.stderr, ws: ws})
	if d.stats && len(d.seq.w) > 0 {
		fmt.Fprintf(d.w, "bench: %s\n", d.seq.result(nil))
	}
	if ferr := d.w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// signalContext ends with e.ctx, on SIGINT or SIGTERM, or after timeout
// (when positive).
func signalContext(e *env, timeout time.Duration) (context.Context, context.CancelFunc) {
	parent := e.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	if timeout <= 0 {
		return ctx, stop
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	return tctx, func() { cancel(); stop() }
}

// validPattern reports whether p is an address pattern that can match
// something: router.Match rejects malformed patterns by matching nothing,
// so a pattern must at least start with '/'.
func validPattern(p string) bool { return len(p) > 0 && p[0] == '/' }

type dumper struct {
	w      *bufio.Writer
	errw   io.Writer
	opts   *wire.Options
	json   bool
	src    bool
	filter string
	count  int
	stats  bool
	stop   func()

	n    int // messages printed
	done bool
	line []byte
	enc  wire.Encoder
	seq  seqTracker
	last *benchResult // the last result sent, for a repeated end message
}

// packet prints one packet; w answers its sender (-stats).
func (d *dumper) packet(w router.ResponseWriter, p *osc.Packet) {
	if d.done {
		return
	}
	defer func() {
		if !p.More || d.done {
			d.w.Flush()
		}
	}()
	pkt := p.Data
	if err := d.opts.Validate(pkt); err != nil {
		d.w.Flush()
		fmt.Fprintf(d.errw, "oscli dump: malformed packet from %s: %s\n", sender(p), badPacket(err, pkt))
		return
	}
	if d.stats {
		d.count1(pkt, w)
		return
	}
	arrival := wire.TimetagOf(time.Now())
	n := 0
	if d.filter != "" {
		n = d.matches(pkt, 0)
		if n == 0 {
			return
		}
		d.enc.Reset()
		d.prune(pkt, 0)
		b, err := d.enc.Bytes()
		if err != nil {
			return
		}
		pkt = b
	} else {
		d.opts.Walk(pkt, func(wire.Message, wire.Timetag) error { n++; return nil })
	}
	d.line = d.line[:0]
	if d.json {
		if d.src {
			d.line = fmt.Appendf(d.line, `{"src":%q,"packet":`, sender(p))
		}
		d.line, _ = oscjson.AppendPacket(d.line, pkt, d.opts)
		if d.src {
			d.line = append(d.line, '}')
		}
		d.line = append(d.line, '\n')
		d.w.Write(d.line)
	} else {
		d.line = d.appendText(d.line, pkt, arrival)
		if d.src {
			prefix := sender(p) + " "
			for len(d.line) > 0 {
				i := indexByte(d.line, '\n') + 1
				d.w.WriteString(prefix)
				d.w.Write(d.line[:i])
				d.line = d.line[i:]
			}
		} else {
			d.w.Write(d.line)
		}
	}
	d.n += n
	if d.count > 0 && d.n >= d.count {
		d.done = true
		d.stop()
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return len(b) - 1
}

// appendText is codec.go's appendText with the arrival time for a bare
// message.
func (d *dumper) appendText(dst, pkt []byte, arrival wire.Timetag) []byte {
	if wire.IsBundle(pkt) {
		b, err := d.opts.ParseBundle(pkt)
		if err != nil {
			return dst
		}
		return appendBundleText(dst, &b, 0)
	}
	m, err := d.opts.ParseMessage(pkt)
	if err != nil {
		return dst
	}
	return appendMessageText(dst, &m, arrival)
}

// matches counts the messages of a valid packet that the filter keeps.
func (d *dumper) matches(pkt []byte, depth int) int {
	if !wire.IsBundle(pkt) {
		m, err := d.opts.ParseMessage(pkt)
		if err == nil && router.Match(d.filter, m.AddressString()) {
			return 1
		}
		return 0
	}
	b, err := d.opts.ParseBundle(pkt)
	if err != nil || depth > limits.BundleDepth {
		return 0
	}
	n := 0
	r := b.Elements()
	for r.Next() {
		n += d.matches(r.Bytes(), depth+1)
	}
	return n
}

// prune writes pkt into d.enc without the messages the filter drops and
// the bundles left empty.
func (d *dumper) prune(pkt []byte, depth int) {
	if !wire.IsBundle(pkt) {
		d.enc.Raw(pkt)
		return
	}
	b, _ := d.opts.ParseBundle(pkt)
	d.enc.BeginBundle(b.Timetag())
	r := b.Elements()
	for r.Next() {
		if el := r.Bytes(); d.matches(el, depth+1) > 0 {
			d.prune(el, depth+1)
		}
	}
	d.enc.EndBundle()
}

// count1 is -stats: it counts stamped messages and answers the end of a
// bench run.
func (d *dumper) count1(pkt []byte, w router.ResponseWriter) {
	d.opts.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
		d.n++
		if s, ok := stampOf(&m); ok {
			d.seq.add(s)
			return nil
		}
		if string(m.Address()) != benchEndAddr {
			return nil
		}
		sent, ok := endSent(&m)
		if !ok {
			return nil
		}
		var r benchResult
		switch {
		case len(d.seq.w) == 0 && d.last != nil:
			r = *d.last // a repeated end message
		default:
			r = d.seq.result(sent)
			d.seq = seqTracker{}
			d.last = &r
			fmt.Fprintf(d.w, "bench: %s\n", r)
		}
		reply, err := wire.AppendMessage(nil, benchStats,
			wire.Int64(int64(r.Received)), wire.Int64(int64(r.Lost)),
			wire.Int64(int64(r.Reordered)), wire.Int64(int64(r.Sent)))
		if err == nil {
			w.Write(reply)
		}
		return nil
	})
	if d.count > 0 && d.n >= d.count {
		d.done = true
		d.stop()
	}
}

// badFrame reports a TCP framing error.
func (d *dumper) badFrame(p *osc.Packet, err error) {
	d.w.Flush()
	fmt.Fprintf(d.errw, "oscli dump: bad frame from %s: %v\n", sender(p), err)
}
