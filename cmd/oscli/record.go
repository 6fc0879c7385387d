package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/capture"
	"github.com/osckit/osc/internal/limits"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

const recordUsage = `[-o FILE] [-format pcapng|jsonl|oscdump] [-count N] [-duration D] [-filter PATTERN] [-rcvbuf BYTES] PORT|URL...

Records every packet arriving on the endpoints, exactly as received
(malformed ones too, marked), with its arrival time (nanoseconds on the
monotonic clock since the start, whose wall clock the file holds), its
sender, transport and receiving endpoint. FILE "-" (the default) is
standard output. The format defaults to jsonl for a FILE ending in .jsonl
or .json, oscdump (liblo's text, which replay and liblo's oscsendfile
read: one line a message stamped with its arrival time, bundles flattened,
malformed packets left out) for one ending in .txt, else pcapng (see
oscli replay -h for reading it back, and tshark -r FILE
--enable-heuristic osc_udp -d tcp.port==PORT,osc to inspect it).

Packets go from the sockets to the file through a bounded queue (-queue):
a slow or full disk never stalls the sockets; packets that find the queue
full, or whose write fails, are counted and reported, as are the datagrams
the kernel dropped because the socket's buffer was full; any loss makes
the exit status 1. -rcvbuf sizes the receive buffer (SO_RCVBUF) of the
UDP and UNIX sockets, which holds a burst while the reader is not
scheduled: Linux doubles the request and charges a small datagram about
830 bytes on loopback, so 4 MiB holds some 10,000 of them, 50 ms at
200,000 a second (above net.core.rmem_max it needs root or
CAP_NET_ADMIN).

On a WebSocket endpoint (osc.ws://) each binary message is a packet,
recorded with the connection's addresses; pcapng holds it as an exported
PDU that tshark decodes with the same heuristic.`

// recorder is oscli record's state, shared by the server's hooks (any
// goroutine) and the one writer goroutine.
type recorder struct {
	start   time.Time
	filter  string
	count   int64
	stop    context.CancelFunc
	queue   chan *capture.Record
	free    sync.Pool
	taken   atomic.Int64 // packets accepted into the queue
	dropped atomic.Int64 // packets that found the queue full
	failed  atomic.Int64 // packets whose write failed
	malf    atomic.Int64
	lost    atomic.Int64 // lost before the hooks (Stats.KernelDrops, Stats.Dropped)
	skipped int64        // malformed packets oscdump text cannot hold
	text    *dumper      // -format oscdump
	stderr  io.Writer
	opts    wire.Options
	rcvbuf  int      // SO_RCVBUF of datagram sockets; -1: the system's
	urls    sync.Map // *osc.Endpoint -> its URL
}

func runRecord(e *env, args []string) error {
	fs := newFlagSet(e, "record", recordUsage)
	out := fs.String("o", "-", "write to `FILE`")
	format := fs.String("format", "", "file format: pcapng, jsonl or oscdump (liblo's text, without malformed packets) (default: from FILE)")
	count := fs.Int64("count", 0, "stop after `N` packets (0: no limit)")
	duration := fs.Duration("duration", 0, "stop after `D` (0: until interrupted)")
	filter := fs.String("filter", "", "record only packets with a message matching the OSC `PATTERN` (malformed ones are always recorded)")
	queue := fs.Int("queue", 1<<16, "packets waiting for the writer at most")
	rcvbuf := fs.Int("rcvbuf", 4<<20, "receive buffer (SO_RCVBUF) of UDP and UNIX sockets in `BYTES` (-1: the system's default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("want at least one PORT or URL")
	}
	if *filter != "" && !validPattern(*filter) {
		return usagef("-filter %q: not an OSC address pattern", *filter)
	}
	if *queue < 1 {
		return usagef("-queue %d: want at least 1", *queue)
	}
	if *rcvbuf == 0 || *rcvbuf < -1 {
		return usagef("-rcvbuf %d: want a number of bytes, or -1", *rcvbuf)
	}
	f := capture.Pcapng
	var text *dumper
	switch {
	case *format == "jsonl" || *format == "" && (strings.HasSuffix(*out, ".jsonl") || strings.HasSuffix(*out, ".json")):
		f = capture.JSONL
	case *format == "oscdump" || *format == "" && strings.HasSuffix(*out, ".txt"):
		f, text = capture.JSONL, &dumper{opts: &wire.Options{}} // no file header: writeOne writes the text
	case *format == "pcapng" || *format == "":
	default:
		return usagef("-format %q: want pcapng, jsonl or oscdump", *format)
	}
	eps, err := listenArgs(fs.Args())
	if err != nil {
		return err
	}
	var w io.Writer = e.stdout
	if *out != "-" {
		file, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	ctx, cancel := signalContext(e, *duration)
	defer cancel()
	stderr := &lockedWriter{w: e.stderr}
	r := &recorder{
		text:   text,
		start:  time.Now(),
		filter: *filter,
		count:  *count,
		stop:   cancel,
		queue:  make(chan *capture.Record, *queue),
		stderr: stderr,
		rcvbuf: *rcvbuf,
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw, err := capture.NewWriter(bw, f, capture.Header{Start: r.start})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- r.write(cw, bw) }()
	err = r.serve(ctx, eps)
	close(r.queue) // no hook runs any more
	werr := <-done
	fmt.Fprintf(stderr, "oscli record: %d packets recorded (%d malformed), %d dropped (queue full), %d lost to write errors, %d lost before reading (socket buffer full)\n",
		r.taken.Load()-r.failed.Load(), r.malf.Load(), r.dropped.Load(), r.failed.Load(), r.lost.Load())
	if r.skipped > 0 {
		fmt.Fprintf(stderr, "oscli record: %d malformed packets left out: oscdump text cannot hold them\n", r.skipped)
	}
	if err == nil {
		err = werr
	}
	if err == nil && r.dropped.Load()+r.failed.Load()+r.lost.Load() > 0 {
		err = errReported
	}
	return err
}

// serve listens on every endpoint with one server until ctx ends.
func (r *recorder) serve(ctx context.Context, eps []netio.Endpoint) error {
	srv := &osc.Server{
		Handler:            router.HandlerFunc(func(router.ResponseWriter, *router.Request) {}),
		ReplaceStaleSocket: true,
		IdleTimeout:        -1,
		Logger:             slog.New(&logHandler{w: r.stderr, prefix: "oscli record: "}),
		Accept: func(_ router.ResponseWriter, p *osc.Packet) bool {
			r.packet(p, nil)
			return false
		},
		Invalid: r.packet,
	}
	srv.UDP.ReadBuffer = r.rcvbuf
	defer func() {
		// Losses before the hooks: the kernel's (a full socket buffer)
		// and the server's (truncated datagrams).
		st := srv.Stats()
		r.lost.Store(int64(st.KernelDrops + st.Dropped))
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	for _, ep := range eps {
		e, err := srv.Listen(ep.String(), nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.stderr, "oscli record: listening on %s\n", e.URL())
	}
	<-ctx.Done()
	return nil
}

// packet queues one packet (err: a framing error from the Invalid hook),
// or counts it dropped when the queue is full. It never blocks.
func (r *recorder) packet(p *osc.Packet, err error) {
	t := time.Since(r.start).Nanoseconds()
	var bad string
	if err != nil {
		bad = err.Error()
	} else if verr := r.opts.Validate(p.Data); verr != nil {
		bad = verr.Error()
	} else if r.filter != "" && !matchAny(&r.opts, r.filter, p.Data, 0) {
		return
	}
	if r.count > 0 && r.taken.Load() >= r.count {
		return
	}
	rec, _ := r.free.Get().(*capture.Record)
	if rec == nil {
		rec = new(capture.Record)
	}
	*rec = capture.Record{Time: t, Src: p.Remote, Path: string(p.Path), Malformed: bad, Data: append(rec.Data[:0], p.Data...)}
	r.fillEndpoint(rec, p.Endpoint)
	select {
	case r.queue <- rec:
		if bad != "" {
			r.malf.Add(1)
		}
		if r.count > 0 && r.taken.Add(1) >= r.count {
			r.stop()
		} else if r.count <= 0 {
			r.taken.Add(1)
		}
	default:
		if r.dropped.Add(1) == 1 {
			fmt.Fprintf(r.stderr, "oscli record: queue full: dropping packets (the writer is too slow)\n")
		}
		r.free.Put(rec)
	}
}

// fillEndpoint sets a record's transport, framing and receiving address
// from the endpoint it arrived on.
func (r *recorder) fillEndpoint(rec *capture.Record, e *osc.Endpoint) {
	// An endpoint's URL is made once, not for every packet.
	if u, ok := r.urls.Load(e); ok {
		rec.Endpoint = u.(string)
	} else {
		rec.Endpoint = e.URL()
		r.urls.Store(e, rec.Endpoint)
	}
	switch a := e.Addr().(type) {
	case *net.UDPAddr:
		rec.Transport, rec.Dst = capture.UDP, a.AddrPort()
	case *net.TCPAddr:
		if strings.HasPrefix(rec.Endpoint, "osc.ws") { // osc.ws:// or osc.wss://
			rec.Transport, rec.Dst = capture.WebSocket, a.AddrPort()
			break
		}
		rec.Transport, rec.Dst = capture.TCP, a.AddrPort()
		rec.Slip = !strings.Contains(rec.Endpoint, "+size")
	default:
		rec.Transport = capture.Unix
	}
	if rec.Dst.Addr().Is4In6() {
		rec.Dst = netip.AddrPortFrom(rec.Dst.Addr().Unmap(), rec.Dst.Port())
	}
}

// write drains the queue into the file until it is closed; it flushes
// whenever the queue is empty. After a write error it keeps draining,
// counting what it cannot write.
func (r *recorder) write(cw *capture.Writer, bw *bufio.Writer) error {
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
			fmt.Fprintf(r.stderr, "oscli record: write: %v (counting the packets lost)\n", err)
		}
	}
	for rec := range r.queue {
		if first != nil {
			r.failed.Add(1)
		} else if err := r.writeOne(cw, bw, rec); err != nil {
			r.failed.Add(1)
			fail(err)
		}
		r.free.Put(rec)
		if len(r.queue) == 0 && first == nil {
			if err := bw.Flush(); err != nil {
				fail(err)
			}
		}
	}
	if first == nil {
		first = bw.Flush()
	}
	return first
}

// writeOne writes one record, as oscdump's text with -format oscdump:
// one line a message, "SSSSSSSS.FFFFFFFF /address types values", the
// timetag the arrival time.
func (r *recorder) writeOne(cw *capture.Writer, bw *bufio.Writer, rec *capture.Record) error {
	if r.text == nil {
		return cw.Write(rec)
	}
	if rec.Malformed != "" {
		r.skipped++
		return nil
	}
	// oscdump's text has no place for a bundle that oscsendfile reads:
	// its messages go one a line, stamped like bare ones with the
	// arrival time, and its timetag is lost.
	arrival := wire.TimetagOf(r.start.Add(time.Duration(rec.Time)))
	line := r.text.line[:0]
	r.text.opts.Walk(rec.Data, func(m wire.Message, _ wire.Timetag) error {
		line = appendMessageText(line, &m, arrival)
		return nil
	})
	r.text.line = line
	_, err := bw.Write(line)
	return err
}

// matchAny reports whether a valid packet holds a message whose address
// matches pattern.
func matchAny(o *wire.Options, pattern string, pkt []byte, depth int) bool {
	if !wire.IsBundle(pkt) {
		m, err := o.ParseMessage(pkt)
		return err == nil && router.Match(pattern, m.AddressString())
	}
	b, err := o.ParseBundle(pkt)
	if err != nil || depth > limits.BundleDepth {
		return false
	}
	el := b.Elements()
	for el.Next() {
		if matchAny(o, pattern, el.Bytes(), depth+1) {
			return true
		}
	}
	return false
}
