package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/osckit/osc"
	"github.com/osckit/osc/wire"
)

const benchUsage = `[flags] PORT|URL

Sends OSC messages to an endpoint as fast as asked and reports what it
sent. Every message carries a sequence number and a send time (a stamp, as
its last argument, a 24-byte blob), so that a cooperating receiver can say
what arrived:

  oscli echo PORT        sends every message back: bench reports the
                         messages lost and reordered on the round trip and
                         the round-trip latency (p50 p90 p99 p99.9 max)
  oscli dump -stats PORT counts them: at the end it answers bench with the
                         number received, lost and reordered

Message profiles: synth is "/synth/1/freq ifsb" (an instrument's
parameter); fader is a mixer's meter flood, "/ch/NN/mix/fader fb" over 64
channels (-channels N for another number); -size N pads "/bench sb" to N
bytes. PORT or osc.udp://HOST:PORT sends UDP (batched with sendmmsg),
osc.tcp://HOST:PORT TCP with size prefixes
(osc.tcp+slip:// for SLIP framing). A progress line shows on a terminal.`

func runBench(e *env, args []string) error {
	fs := newFlagSet(e, "bench", benchUsage)
	rateS := fs.String("rate", "10000", "messages a second, in all, or \"max\"")
	duration := fs.Duration("duration", 5*time.Second, "send for `D`")
	count := fs.Int("count", 0, "send `N` messages in all, then stop (instead of -duration)")
	profile := fs.String("profile", "synth", "message profile: synth or fader")
	channels := fs.Int("channels", 64, "fader profile: the number of `N` channels (addresses), 1 to 9999")
	size := fs.Int("size", 0, "send messages of `N` bytes (at least 40, a multiple of 4) instead of a profile")
	workers := fs.Int("workers", 1, "sending sockets, each with its own goroutine")
	batch := fs.Int("batch", 32, "messages per system call (sendmmsg on UDP)")
	wait := fs.Duration("wait", 2*time.Second, "after sending, wait up to `D` for echoes and the receiver's report")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one PORT or URL")
	}
	rate := 0.0
	if *rateS != "max" {
		r, err := strconv.ParseFloat(*rateS, 64)
		if err != nil || r <= 0 {
			return usagef("-rate %q: want a positive number or max", *rateS)
		}
		rate = r
	}
	if *workers < 1 || *workers > maxWorkers {
		return usagef("-workers: want 1 to %d", maxWorkers)
	}
	if *batch < 1 || *batch > 1024 {
		return usagef("-batch: want 1 to 1024")
	}
	if *count < 0 || (*count == 0 && *duration <= 0) {
		return usagef("give a positive -duration or -count")
	}
	prof, err := newProfile(*profile, *size, *channels)
	if err != nil {
		return usagef("%v", err)
	}
	url := fs.Arg(0)
	if _, err := strconv.ParseUint(url, 10, 16); err == nil {
		url = "127.0.0.1:" + url
	}

	ctx, cancel := signalContext(e, 0)
	defer cancel()
	b := &bencher{
		url: url, prof: prof, rate: rate, duration: *duration, count: *count,
		batch: *batch, wait: *wait,
	}
	for i := range *workers {
		c, err := osc.Dial(url)
		if err != nil {
			b.close()
			return err
		}
		b.w = append(b.w, &benchWorker{id: uint32(i), c: c,
			hist: hdrhistogram.New(1, int64(time.Minute), 3)})
	}
	defer b.close()

	var progress func(final bool)
	if f, ok := e.stdout.(*os.File); ok && isTerminal(f) {
		progress = func(final bool) {
			s, r := b.sentTotal(), b.echoedTotal()
			el := time.Since(b.start).Seconds()
			fmt.Fprintf(e.stdout, "\r\x1b[Ksent %d (%.0f/s), echoed %d", s, float64(s)/el, r)
			if final {
				fmt.Fprint(e.stdout, "\r\x1b[K")
			}
		}
	}
	rep := b.run(ctx, progress)
	if *asJSON {
		out, _ := json.MarshalIndent(rep, "", "  ")
		out = append(out, '\n')
		_, err = e.stdout.Write(out)
	} else {
		_, err = io.WriteString(e.stdout, rep.text())
	}
	if err != nil {
		return err
	}
	if rep.Sent == 0 && rep.SendErrors > 0 {
		return fmt.Errorf("nothing sent: %s", rep.FirstError)
	}
	return nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// profile is the messages bench sends: templates whose last 24 bytes are
// the stamp.
type profile struct {
	name      string
	desc      string
	templates [][]byte
}

func newProfile(name string, size, channels int) (*profile, error) {
	stampArg := wire.Blob(make([]byte, stampLen))
	p := &profile{name: name}
	add := func(addr string, args ...wire.Value) error {
		m, err := wire.AppendMessage(nil, addr, append(args, stampArg)...)
		p.templates = append(p.templates, m)
		return err
	}
	switch {
	case size != 0:
		if size < 40 || size%4 != 0 || size > 65000 {
			return nil, fmt.Errorf("-size %d: want a multiple of 4 from 40 to 65000", size)
		}
		p.name = "size"
		// "/bench\0\0" ",sb\0" then the string and the blob (4+24).
		pad := size - 8 - 4 - 4 - 28
		if pad < 0 {
			pad = 0
		}
		if err := add("/bench", wire.String(strings.Repeat("x", pad))); err != nil {
			return nil, err
		}
		if len(p.templates[0]) != size {
			return nil, fmt.Errorf("-size %d: cannot build a message of that size", size)
		}
		p.desc = "/bench sb"
	case name == "synth":
		if err := add("/synth/1/freq", wire.Int32(1), wire.Float32(440), wire.String("sine")); err != nil {
			return nil, err
		}
		p.desc = "/synth/1/freq ifsb"
	case name == "fader":
		if channels < 1 || channels > 9999 {
			return nil, fmt.Errorf("-channels %d: want 1 to 9999", channels)
		}
		for ch := 1; ch <= channels; ch++ {
			if err := add(fmt.Sprintf("/ch/%02d/mix/fader", ch), wire.Float32(float32(ch)/float32(channels))); err != nil {
				return nil, err
			}
		}
		p.desc = fmt.Sprintf("/ch/NN/mix/fader fb, %d channels", channels)
	default:
		return nil, fmt.Errorf("-profile %q: want synth or fader", name)
	}
	return p, nil
}

type bencher struct {
	url      string
	prof     *profile
	rate     float64
	duration time.Duration
	count    int
	batch    int
	wait     time.Duration
	w        []*benchWorker
	start    time.Time

	statsMu sync.Mutex
	stats   *benchResult // the receiver's answer
	endBack atomic.Bool  // the end message came back (an echo)
}

type benchWorker struct {
	id   uint32
	c    *osc.Client
	sent atomic.Uint64
	errs atomic.Uint64
	err  atomic.Value // the first send error (string)

	echoed atomic.Uint64
	hist   *hdrhistogram.Histogram // touched by the receiving goroutine only
	seq    seqTracker
}

func (b *bencher) close() {
	for _, w := range b.w {
		w.c.Close()
	}
}

func (b *bencher) sentTotal() (n uint64) {
	for _, w := range b.w {
		n += w.sent.Load()
	}
	return n
}

func (b *bencher) echoedTotal() (n uint64) {
	for _, w := range b.w {
		n += w.echoed.Load()
	}
	return n
}

// run sends, waits for echoes and the receiver's report, and returns the
// report.
func (b *bencher) run(ctx context.Context, progress func(bool)) *benchReport {
	b.start = time.Now()
	rctx, rcancel := context.WithCancel(context.Background())
	var recv sync.WaitGroup
	for _, w := range b.w {
		recv.Add(1)
		go func() { defer recv.Done(); b.receive(rctx, w) }()
	}
	sctx := ctx
	if b.count == 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, b.duration)
		defer cancel()
	}
	var send sync.WaitGroup
	for i, w := range b.w {
		quota := 0
		if b.count > 0 {
			quota = b.count / len(b.w)
			if i < b.count%len(b.w) {
				quota++
			}
		}
		send.Add(1)
		go func() { defer send.Done(); b.send(sctx, w, quota) }()
	}
	if progress != nil {
		done := make(chan struct{})
		go func() { send.Wait(); close(done) }()
		t := time.NewTicker(250 * time.Millisecond)
	loop:
		for {
			select {
			case <-done:
				break loop
			case <-t.C:
				progress(false)
			}
		}
		t.Stop()
	}
	send.Wait()
	elapsed := time.Since(b.start)

	// Wait for the echoes in flight, then ask a -stats receiver for its
	// count (an echo sends the question back instead).
	sent := b.sentTotal()
	deadline := time.Now().Add(b.wait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		e1 := b.echoedTotal()
		if e1 >= sent {
			break
		}
		time.Sleep(20 * time.Millisecond)
		if e1 > 0 && b.echoedTotal() == e1 && time.Since(b.start) > elapsed+200*time.Millisecond {
			break // the echoes have stopped coming
		}
	}
	end := []wire.Value{wire.Int32(int32(len(b.w)))}
	for _, w := range b.w {
		end = append(end, wire.Int64(int64(w.sent.Load())))
	}
	for try := 0; try < 3 && ctx.Err() == nil; try++ {
		if err := b.w[0].c.Send(benchEndAddr, end...); err != nil {
			break
		}
		t0 := time.Now()
		for time.Since(t0) < b.wait/3 && !b.answered() {
			time.Sleep(10 * time.Millisecond)
		}
		if b.answered() {
			break
		}
	}
	if progress != nil {
		progress(true)
	}
	rcancel()
	for _, w := range b.w {
		w.c.Close() // unblocks a TCP read
	}
	recv.Wait()
	return b.report(elapsed)
}

func (b *bencher) answered() bool {
	b.statsMu.Lock()
	defer b.statsMu.Unlock()
	return b.stats != nil || b.endBack.Load()
}

// send sends w's share: quota messages (0: until ctx ends) at the rate.
func (b *bencher) send(ctx context.Context, w *benchWorker, quota int) {
	slots := make([][]byte, b.batch)
	for i := range slots {
		slots[i] = make([]byte, 0, 65536)
	}
	rate := b.rate / float64(len(b.w))
	var seq uint64
	nt := len(b.prof.templates)
	for ctx.Err() == nil {
		n := b.batch
		if quota > 0 {
			n = min(n, quota-int(seq))
			if n <= 0 {
				return
			}
		}
		if rate > 0 {
			el := time.Since(b.start).Seconds()
			due := int(el*rate) + 1 - int(seq)
			if due <= 0 {
				wait := time.Duration((float64(seq)/rate - el) * float64(time.Second))
				time.Sleep(max(wait, 50*time.Microsecond))
				continue
			}
			n = min(n, due)
		}
		now := int64(time.Since(b.start))
		for i := range n {
			t := b.prof.templates[(seq+uint64(i))%uint64(nt)]
			s := append(slots[i][:0], t...)
			putStamp(s[len(s)-stampLen:], stamp{worker: w.id, seq: seq + uint64(i), sent: now})
			slots[i] = s
		}
		k, err := w.c.WriteBatch(slots[:n])
		if k > 0 {
			seq += uint64(k)
			w.sent.Add(uint64(k))
		}
		if err != nil {
			if w.errs.Add(1) == 1 {
				w.err.Store(err.Error())
			}
			if k == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}
}

// receive reads the replies of w's socket: echoes and the receiver's
// report.
func (b *bencher) receive(ctx context.Context, w *benchWorker) {
	var opts wire.Options
	for ctx.Err() == nil {
		pkt, err := w.c.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, os.ErrClosed) || strings.Contains(err.Error(), "closed") {
				return
			}
			time.Sleep(time.Millisecond) // a refused port, say
			continue
		}
		now := int64(time.Since(b.start))
		opts.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
			if s, ok := stampOf(&m); ok {
				if s.worker == w.id {
					w.seq.add(s)
					w.hist.RecordValue(max(now-s.sent, 1))
					w.echoed.Add(1)
				}
				return nil
			}
			switch string(m.Address()) {
			case benchEndAddr:
				b.endBack.Store(true)
			case benchStats:
				var v [4]int64
				r := m.Args()
				for i := range v {
					if !r.Next() {
						break
					}
					v[i], _ = r.Arg().Int64()
				}
				b.statsMu.Lock()
				b.stats = &benchResult{Received: uint64(v[0]), Lost: uint64(v[1]), Reordered: uint64(v[2]), Sent: uint64(v[3])}
				b.statsMu.Unlock()
			}
			return nil
		})
	}
}

// benchReport is what bench prints at the end (and with -json).
type benchReport struct {
	Target     string        `json:"target"`
	Profile    string        `json:"profile"`
	Message    string        `json:"message"`
	Bytes      int           `json:"bytes"`
	Workers    int           `json:"workers"`
	Rate       float64       `json:"rate"` // asked; 0 is max
	Seconds    float64       `json:"seconds"`
	Sent       uint64        `json:"sent"`
	SentRate   float64       `json:"sent_rate"`
	SendErrors uint64        `json:"send_errors"`
	FirstError string        `json:"first_error,omitempty"`
	Echo       *benchResult  `json:"echo,omitempty"`
	Latency    *latencyStats `json:"latency_us,omitempty"`
	Receiver   *benchResult  `json:"receiver,omitempty"`
}

// latencyStats are round-trip times in microseconds.
type latencyStats struct {
	N    int64   `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

func (b *bencher) report(elapsed time.Duration) *benchReport {
	r := &benchReport{
		Target: b.url, Profile: b.prof.name, Message: b.prof.desc, Bytes: len(b.prof.templates[0]),
		Workers: len(b.w), Rate: b.rate, Seconds: elapsed.Seconds(),
	}
	h := hdrhistogram.New(1, int64(time.Minute), 3)
	var echo benchResult
	for _, w := range b.w {
		r.Sent += w.sent.Load()
		r.SendErrors += w.errs.Load()
		if s, ok := w.err.Load().(string); ok && r.FirstError == "" {
			r.FirstError = s
		}
		h.Merge(w.hist)
		res := w.seq.result([]uint64{w.sent.Load()})
		echo.Received += res.Received
		echo.Lost += res.Lost
		echo.Reordered += res.Reordered
	}
	echo.Sent = r.Sent
	r.SentRate = float64(r.Sent) / elapsed.Seconds()
	if echo.Received > 0 {
		r.Echo = &echo
		us := func(v int64) float64 { return float64(v) / 1e3 }
		r.Latency = &latencyStats{
			N: h.TotalCount(), Mean: h.Mean() / 1e3,
			P50: us(h.ValueAtQuantile(50)), P90: us(h.ValueAtQuantile(90)), P99: us(h.ValueAtQuantile(99)),
			P999: us(h.ValueAtQuantile(99.9)), Max: us(h.Max()),
		}
	}
	b.statsMu.Lock()
	r.Receiver = b.stats
	b.statsMu.Unlock()
	return r
}

func (r *benchReport) text() string {
	var s strings.Builder
	rate := "max"
	if r.Rate > 0 {
		rate = strconv.FormatFloat(r.Rate, 'f', -1, 64) + "/s"
	}
	fmt.Fprintf(&s, "target    %s, %d worker(s), rate %s\n", r.Target, r.Workers, rate)
	fmt.Fprintf(&s, "message   %s (%s, %d bytes)\n", r.Profile, r.Message, r.Bytes)
	fmt.Fprintf(&s, "sent      %d messages in %.2fs: %.0f/s, %.1f MB/s\n", r.Sent, r.Seconds, r.SentRate, r.SentRate*float64(r.Bytes)/1e6)
	if r.SendErrors > 0 {
		fmt.Fprintf(&s, "errors    %d sends failed, first: %s\n", r.SendErrors, r.FirstError)
	}
	if r.Echo != nil {
		fmt.Fprintf(&s, "echo      %s\n", r.Echo)
		l := r.Latency
		fmt.Fprintf(&s, "latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (round trip, n=%d)\n",
			fmtUs(l.P50), fmtUs(l.P90), fmtUs(l.P99), fmtUs(l.P999), fmtUs(l.Max), l.N)
	}
	if r.Receiver != nil {
		fmt.Fprintf(&s, "receiver  %s\n", r.Receiver)
	}
	if r.Echo == nil && r.Receiver == nil {
		s.WriteString("receiver  no echoes and no report (run oscli echo or oscli dump -stats there to count them)\n")
	}
	return s.String()
}

func fmtUs(us float64) string {
	if us >= 1000 {
		return strconv.FormatFloat(us/1000, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(us, 'f', 1, 64) + "µs"
}
