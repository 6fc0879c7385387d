package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/traffic"
	"github.com/osckit/osc/wire"
)

const monitorUsage = `[flags] PORT|URL...

Listens on one or more endpoints (as oscli dump does: PORT, osc.udp://,
osc.tcp://, osc.unix://) and shows, refreshed live, one row per OSC
address: messages a second over the last second (RATE) and the mean over
the last ten (10S), the count, the range of the first numeric argument and
a sparkline of its value over the last seconds, and the last arguments in
oscdump layout ("!" before them when the address's type tags have
changed). With -src a column shows the senders. A header gives the totals:
packets and bytes (and their rates), bundles (late: their time had
passed on arrival; future: timed later), malformed packets with the last
reason, packets dropped and datagrams the kernel dropped, and the same
for each endpoint.

On a terminal it is a full-screen view. Keys:
  /        filter: type a pattern (/ch/*/fader) or part of an address;
           Enter keeps it, Esc clears it
  s        sort by rate, name or most recent
  p, space pause (freeze the view; counting goes on)
  up, down select a row (j, k too); Enter shows its history, Esc goes back
  c        clear all counts
  q        quit (Ctrl-C too)

When standard output is not a terminal, or with -plain, the same table is
printed as text every -interval, and once more on exit.

Addresses are tracked up to -rows; the messages of further addresses,
and of addresses longer than 1 KiB, are counted in one "(other)" row.`

func runMonitor(e *env, args []string) error {
	fs := newFlagSet(e, "monitor", monitorUsage)
	filter := fs.String("filter", "", "count only messages whose address matches the OSC `PATTERN`")
	src := fs.Bool("src", false, "show the senders of each address")
	var groups []string
	fs.Func("group", "count the addresses matching the OSC `PATTERN` in one row (repeatable)", func(s string) error {
		if !validPattern(s) {
			return fmt.Errorf("%q: not an OSC address pattern", s)
		}
		groups = append(groups, s)
		return nil
	})
	sortBy := fs.String("sort", "rate", "sort rows by `KEY`: rate, name or recent")
	plain := fs.Bool("plain", false, "print the table as text every -interval, even on a terminal")
	interval := fs.Duration("interval", time.Second, "refresh every `D`")
	maxRows := fs.Int("rows", traffic.DefaultMaxRows, "track at most `N` addresses")
	timeout := fs.Duration("timeout", 0, "exit after `D` (0: no limit)")
	lenient := fs.Bool("lenient", false, "accept what a lenient decoder accepts (see oscli decode -h)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *filter != "" && !validPattern(*filter) {
		return usagef("-filter %q: not an OSC address pattern", *filter)
	}
	if !slices.Contains(sortKeys, *sortBy) {
		return usagef("-sort %q: want rate, name or recent", *sortBy)
	}
	if *interval < 10*time.Millisecond {
		return usagef("-interval %v: want at least 10ms", *interval)
	}
	if *maxRows < 1 {
		return usagef("-rows %d: want at least 1", *maxRows)
	}
	if fs.NArg() == 0 {
		return usagef("want at least one PORT or URL")
	}
	eps, err := listenArgs(fs.Args())
	if err != nil {
		return err
	}
	ctx, cancel := signalContext(e, *timeout)
	defer cancel()
	stderr := &lockedWriter{w: e.stderr}

	m := &monitor{
		tb: &traffic.Table{MaxRows: *maxRows, Groups: groups, Filter: *filter,
			Decode: wire.Options{Lenient: *lenient}},
		view: view{sort: *sortBy, src: *src},
	}
	m.srv = &osc.Server{
		// Never called: Accept tallies every packet and drops it.
		Handler:            router.HandlerFunc(func(router.ResponseWriter, *router.Request) {}),
		Decode:             wire.Options{Lenient: *lenient},
		ReplaceStaleSocket: true,
		IdleTimeout:        -1,
		Logger:             slog.New(&logHandler{w: stderr, prefix: "oscli monitor: "}),
		Accept: func(_ router.ResponseWriter, p *osc.Packet) bool {
			m.tb.Packet(p.Data, p.Remote, time.Now())
			return false
		},
		Invalid: func(_ *osc.Packet, err error) { m.tb.Invalid(err) },
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		m.srv.Shutdown(sctx)
	}()
	for _, ep := range eps {
		if _, err := m.srv.Listen(ep.String(), nil); err != nil {
			return err
		}
	}
	for _, ep := range m.srv.Endpoints() {
		m.urls = append(m.urls, ep.URL())
	}
	if f, ok := e.stdout.(*os.File); ok && !*plain && isTerminal(f) {
		return m.runTUI(ctx, f, *interval)
	}
	fmt.Fprintf(stderr, "oscli monitor: listening on %s\n", strings.Join(m.urls, " "))
	return m.runPlain(ctx, e, *interval)
}

// monitor is oscli monitor's state: the server, its tally and the view.
type monitor struct {
	srv  *osc.Server
	tb   *traffic.Table
	urls []string
	snap traffic.Snapshot
	view view
}

// update takes a new snapshot of the tally.
func (m *monitor) update() { m.tb.Snapshot(&m.snap, time.Now()) }

func (m *monitor) runPlain(ctx context.Context, e *env, interval time.Duration) error {
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var buf []byte
	print := func() error {
		m.update()
		buf = m.appendScreen(buf[:0], 0, 0, -1)
		buf = append(buf, '\n')
		w.Write(buf)
		return w.Flush()
	}
	for {
		select {
		case <-ctx.Done():
			return print()
		case <-tick.C:
			if err := print(); err != nil {
				return err
			}
		}
	}
}

var sortKeys = []string{"rate", "name", "recent"}

// view is how the table is shown: sorted, filtered, with senders or not.
type view struct {
	sort   string
	filter string // typed: a pattern when it starts with '/' and has wildcards, else a substring
	src    bool
	rows   []*traffic.Row
}

// visible returns the snapshot's rows that pass the typed filter, sorted.
func (v *view) visible(s *traffic.Snapshot) []*traffic.Row {
	v.rows = v.rows[:0]
	pattern := strings.ContainsAny(v.filter, "*?[{")
	for i := range s.Rows {
		r := &s.Rows[i]
		if v.filter != "" {
			if pattern && !router.Match(v.filter, r.Name) && r.Name != v.filter {
				continue
			}
			if !pattern && !strings.Contains(r.Name, v.filter) {
				continue
			}
		}
		v.rows = append(v.rows, r)
	}
	slices.SortStableFunc(v.rows, func(a, b *traffic.Row) int {
		if a.Other != b.Other { // (other) last
			if a.Other {
				return 1
			}
			return -1
		}
		switch v.sort {
		case "rate":
			if c := cmpDesc(a.Rate, b.Rate); c != 0 {
				return c
			}
			if c := cmpDesc(a.Rate10, b.Rate10); c != 0 {
				return c
			}
		case "recent":
			if c := b.Last.Compare(a.Last); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Name, b.Name)
	})
	return v.rows
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// appendScreen appends the header and the table. width 0 means as wide as
// the rows need; height 0 means every row. sel is the selected row of the
// visible ones (-1: none), marked with '>'.
func (m *monitor) appendScreen(dst []byte, width, height, sel int) []byte {
	dst = m.appendHeader(dst)
	lines := strings.Count(string(dst), "\n")
	rows := m.view.visible(&m.snap)
	if height > 0 {
		rows = rows[:min(len(rows), max(height-lines-1, 0))]
	}
	return m.view.appendTable(dst, rows, width, sel)
}

func (m *monitor) appendHeader(dst []byte) []byte {
	s := &m.snap
	st := m.srv.Stats()
	dst = fmt.Appendf(dst, "packets %d (%s/s)  bytes %s (%s/s)  bundles %d (late %d, future %d)\n",
		s.Packets, num(s.PacketRate), size(float64(s.Bytes)), size(s.ByteRate), s.Bundles, s.Late, s.Future)
	dst = fmt.Appendf(dst, "malformed %d  dropped %d  kernel drops %d  addresses %d", s.Malformed, st.Dropped, st.KernelDrops, len(s.Rows))
	if s.LastError != nil {
		dst = fmt.Appendf(dst, "  last malformed: %v", s.LastError)
	}
	dst = append(dst, '\n')
	eps := m.srv.Endpoints()
	for i, url := range m.urls {
		dst = append(dst, url...)
		if len(m.urls) > 1 && i < len(eps) {
			es := eps[i].Stats()
			dst = fmt.Appendf(dst, "  packets %d  malformed %d  dropped %d  kernel drops %d", es.Packets, es.Malformed, es.Dropped, es.KernelDrops)
			if es.Conns > 0 {
				dst = fmt.Appendf(dst, "  conns %d/%d", es.ConnsOpen, es.Conns)
			}
		}
		dst = append(dst, '\n')
	}
	return dst
}

const (
	histWidth  = 10 // seconds of sparkline in the table
	colRate    = 6
	colRate10  = 6
	colCount   = 8
	colRange   = 15
	colSenders = 22
	wideScreen = 110 // the RANGE column shows from this width on
)

// appendTable appends the column titles and the rows.
func (v *view) appendTable(dst []byte, rows []*traffic.Row, width, sel int) []byte {
	nameW := 7
	for _, r := range rows {
		nameW = max(nameW, len(r.Name))
	}
	lastW := -1 // no limit
	showRange := width == 0 || width >= wideScreen
	if width > 0 {
		fixed := 2 + colRate + 1 + colRate10 + 1 + colCount + 1 + histWidth + 2
		if showRange {
			fixed += colRange + 1
		}
		if v.src {
			fixed += colSenders + 1
		}
		nameW = min(nameW, max(width-fixed-20, 12), 40)
		lastW = max(width-fixed-nameW, 4)
	}
	dst = fmt.Appendf(dst, "  %-*s %*s %*s %*s ", nameW, "ADDRESS", colRate, "RATE", colRate10, "10S", colCount, "COUNT")
	if showRange {
		dst = fmt.Appendf(dst, "%-*s ", colRange, "RANGE")
	}
	dst = fmt.Appendf(dst, "%-*s ", histWidth, "HISTORY")
	if v.src {
		dst = fmt.Appendf(dst, "%-*s ", colSenders, "FROM")
	}
	dst = append(dst, " LAST"...)
	dst = append(dst, '\n')
	for i, r := range rows {
		mark := ' '
		if i == sel {
			mark = '>'
		}
		rng := ""
		if r.HasNumber {
			rng = num(r.Min) + ".." + num(r.Max)
		}
		dst = fmt.Appendf(dst, "%c %-*s %*s %*s %*d ", mark, nameW, clip(r.Name, nameW), colRate, num(r.Rate),
			colRate10, num(r.Rate10), colCount, r.Count)
		if showRange {
			dst = fmt.Appendf(dst, "%-*s ", colRange, clip(rng, colRange))
		}
		dst = fmt.Appendf(dst, "%s ", spark(r.History[len(r.History)-histWidth:]))
		if v.src {
			dst = fmt.Appendf(dst, "%-*s ", colSenders, clip(senders(r), colSenders))
		}
		if r.TagChanges > 0 {
			dst = append(dst, '!')
		} else {
			dst = append(dst, ' ')
		}
		last := r.Args
		if lastW >= 0 {
			last = clip(last, lastW)
		}
		dst = append(dst, last...)
		dst = append(dst, '\n')
	}
	return dst
}

// appendDetail appends the full record of one row: its values over the
// last traffic.HistoryLen seconds, its senders and type tags.
func appendDetail(dst []byte, r *traffic.Row, width int) []byte {
	dst = fmt.Appendf(dst, "%s\n\n", r.Name)
	dst = fmt.Appendf(dst, "messages %d  rate %s/s  10s mean %s/s  last %s\n", r.Count, num(r.Rate), num(r.Rate10), r.Last.Format("15:04:05.000"))
	dst = fmt.Appendf(dst, "last     %s\n", r.Args)
	dst = fmt.Appendf(dst, "types    %s", r.Tags)
	if r.TagChanges > 0 {
		dst = fmt.Appendf(dst, "  (changed %d times)", r.TagChanges)
	}
	dst = fmt.Appendf(dst, "\nfrom     %s\n", senders(r))
	if !r.HasNumber {
		return append(dst, "\nno numeric argument\n"...)
	}
	dst = fmt.Appendf(dst, "range    %s .. %s\n\n", num(r.Min), num(r.Max))
	h := r.History
	if width > 10 && len(h) > width-10 {
		h = h[len(h)-(width-10):]
	}
	dst = fmt.Appendf(dst, "last %ds %s\n\n", len(h), spark(h))
	// The values, newest first, as many a line as fit.
	per := max((width-2)/12, 1)
	n := 0
	for k := len(r.History) - 1; k >= 0; k-- {
		v := r.History[k]
		if math.IsNaN(v) {
			continue
		}
		dst = fmt.Appendf(dst, "%4ds %-6s", k-len(r.History)+1, num(v))
		n++
		if n%per == 0 {
			dst = append(dst, '\n')
		}
	}
	return append(dst, '\n')
}

func senders(r *traffic.Row) string {
	var b strings.Builder
	for i, s := range r.Senders {
		if i > 0 {
			b.WriteByte(',')
		}
		if s.IsValid() {
			b.WriteString(s.String())
		} else {
			b.WriteString("unix")
		}
	}
	if r.MoreSenders {
		b.WriteString(",...")
	}
	return b.String()
}

// spark draws values as a sparkline scaled to their own finite range;
// a blank for a second without a value, the lowest and highest bars for
// -Inf and +Inf (a float argument may be infinite).
func spark(h []float64) string {
	const bars = "▁▂▃▄▅▆▇█"
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range h {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	var b strings.Builder
	for _, v := range h {
		switch {
		case math.IsNaN(v):
			b.WriteByte(' ')
		case math.IsInf(v, 1):
			b.WriteString(bars[7*3:])
		case math.IsInf(v, -1):
			b.WriteString(bars[:3])
		case hi == lo:
			b.WriteString("▄")
		default:
			k := min(max(int((v-lo)/(hi-lo)*7.999), 0), 7)
			b.WriteString(bars[k*3 : k*3+3])
		}
	}
	return b.String()
}

// num prints a count or value briefly: integers as such, others with
// up to four significant digits.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func size(v float64) string {
	switch {
	case v >= 1<<30:
		return strconv.FormatFloat(v/(1<<30), 'f', 1, 64) + "G"
	case v >= 1<<20:
		return strconv.FormatFloat(v/(1<<20), 'f', 1, 64) + "M"
	case v >= 1<<10:
		return strconv.FormatFloat(v/(1<<10), 'f', 1, 64) + "K"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// clip cuts s to n bytes, ending in "~" when cut (addresses and
// arguments are ASCII in practice; a cut never splits a UTF-8 sequence).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 1 {
		return s[:n]
	}
	k := n - 1
	for k > 0 && s[k]&0xC0 == 0x80 {
		k--
	}
	return s[:k] + "~"
}
