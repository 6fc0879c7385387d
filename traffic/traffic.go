package traffic

import (
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// Defaults and fixed sizes of a Table.
const (
	DefaultMaxRows = 1024 // Table.MaxRows
	HistoryLen     = 60   // seconds of history kept per row
)

const (
	maxSenders = 4   // senders remembered per row; more are only counted
	maxRaw     = 512 // message bytes kept as-is for the last arguments
	maxText    = 160 // text kept for a longer message's last arguments
	maxTags    = 32  // type tag bytes kept per row
	window     = 10  // seconds in the long rate window
	indexScale = 4   // addresses indexed per row (grouped or filtered ones)
	otherName  = "(other)"
)

// Table tallies OSC traffic per address. Set its fields before the first
// Packet; the zero value is ready to use. Its methods may be called from
// any number of goroutines.
type Table struct {
	// MaxRows caps the rows tracked; 0 means DefaultMaxRows. Messages of
	// addresses beyond it, and of addresses longer than router.MaxLen,
	// are tallied in one row named "(other)".
	MaxRows int
	// Groups are address patterns: the messages of an address matching
	// one are tallied in one row named by the pattern.
	Groups []string
	// Filter, if set, is an address pattern: only messages it matches
	// are tallied per address (all still count in the totals).
	Filter string
	// Decode are the decoding options; the zero value is strict.
	Decode wire.Options

	mu      sync.Mutex
	rows    []row
	index   map[string]int32 // address to row, or -1: filtered out
	other   int32            // the "(other)" row, or -1
	groups  [][]byte
	grow    []int32 // the row of each group, or -1 before its first message
	filter  []byte
	init    bool
	tot     counter
	bytes   counter
	bundles uint64
	late    uint64
	future  uint64
	bad     uint64
	lastErr error
	scratch []byte
}

// counter counts events per second over the last window seconds.
type counter struct {
	n   uint64
	sec int64
	per [window]uint32
}

func (c *counter) add(sec int64, k uint64) {
	c.n += k
	c.roll(sec)
	c.per[sec%window] += uint32(k)
}

func (c *counter) roll(sec int64) {
	if sec == c.sec {
		return
	}
	if sec > c.sec {
		if d := sec - c.sec; d >= window {
			c.per = [window]uint32{}
		} else {
			for s := c.sec + 1; s <= sec; s++ {
				c.per[s%window] = 0
			}
		}
		c.sec = sec
	}
}

// rates are the count of the last whole second before sec and the mean
// per second of the window seconds before it.
func (c *counter) rates(sec int64) (r1, r10 float64) {
	var sum uint64
	for s := sec - window; s < sec; s++ {
		if s <= c.sec && s > c.sec-window && s >= 0 {
			v := c.per[s%window]
			sum += uint64(v)
			if s == sec-1 {
				r1 = float64(v)
			}
		}
	}
	return r1, float64(sum) / window
}

type row struct {
	name    string
	count   counter
	last    int64 // unix nanoseconds of the last message
	raw     []byte
	rawOK   bool // raw holds a whole message, else its text
	hasNum  bool
	min     float64
	max     float64
	hist    [HistoryLen]float64
	histSec int64
	tags    []byte
	changes int
	senders [maxSenders]netip.AddrPort
	nsend   int
	more    bool
}

func (t *Table) setup() {
	if t.init {
		return
	}
	t.init = true
	max := t.MaxRows
	if max <= 0 {
		max = DefaultMaxRows
	}
	t.MaxRows = max
	t.index = make(map[string]int32, max)
	t.other = -1
	t.groups, t.grow = t.groups[:0], t.grow[:0]
	for _, g := range t.Groups {
		t.groups = append(t.groups, []byte(g))
		t.grow = append(t.grow, -1)
	}
	if t.Filter != "" {
		t.filter = []byte(t.Filter)
	}
}

// Packet tallies one packet (a datagram or a TCP frame, undecoded) that
// arrived at now from src (the zero AddrPort when the sender has no IP
// address). A packet that does not decode is counted as malformed.
func (t *Table) Packet(data []byte, src netip.AddrPort, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.setup()
	// Seconds never go back: a clock stepped back, or a time before 1970,
	// counts in the newest second seen (and never indexes before 0).
	sec := max(now.Unix(), t.tot.sec)
	t.tot.add(sec, 1)
	t.bytes.add(sec, uint64(len(data)))
	if !wire.IsBundle(data) {
		m, err := t.Decode.ParseMessage(data)
		if err != nil {
			t.invalid(err)
			return
		}
		t.message(&m, src, now, sec)
		return
	}
	b, err := t.Decode.ParseBundle(data)
	if err != nil {
		t.invalid(err)
		return
	}
	t.bundle(&b, src, now, sec, wire.TimetagOf(now))
}

func (t *Table) bundle(b *wire.Bundle, src netip.AddrPort, now time.Time, sec int64, at wire.Timetag) {
	t.bundles++
	if tt := b.Timetag(); tt > wire.Immediately {
		if tt < at {
			t.late++
		} else {
			t.future++
		}
	}
	r := b.Elements()
	for r.Next() {
		if m, ok := r.Message(); ok {
			t.message(&m, src, now, sec)
			continue
		}
		nb, _ := r.Bundle()
		t.bundle(&nb, src, now, sec, at)
	}
}

// Invalid counts a malformed packet or frame found elsewhere (an
// osc.Server's Invalid hook), keeping err as the last reason.
func (t *Table) Invalid(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.invalid(err)
}

func (t *Table) invalid(err error) {
	t.bad++
	t.lastErr = err
}

// lookup finds the row of an address, adding one if there is room.
func (t *Table) lookup(addr []byte) int32 {
	if i, ok := t.index[string(addr)]; ok {
		return i
	}
	n := len(t.rows)
	i := t.place(addr)
	if len(addr) > router.MaxLen {
		return i // not kept: the index would hold up to 64 KiB a key
	}
	// A new row is always indexed (there are at most MaxRows of them);
	// addresses filtered out or folded into a group or "(other)" only
	// while the index has room, and are matched again after.
	if len(t.rows) > n && i != t.other || len(t.index) < t.MaxRows*indexScale {
		t.index[string(addr)] = i
	}
	return i
}

func (t *Table) place(addr []byte) int32 {
	if t.filter != nil && !router.Match(t.filter, addr) {
		return -1
	}
	if len(addr) > router.MaxLen {
		return t.otherRow() // no pattern can match it, nor name a row
	}
	group := -1
	for k, g := range t.groups {
		if router.Match(g, addr) {
			if t.grow[k] >= 0 {
				return t.grow[k]
			}
			group = k
			break
		}
	}
	if len(t.rows) >= t.MaxRows {
		return t.otherRow()
	}
	i := int32(len(t.rows))
	if group >= 0 {
		t.grow[group] = i
		t.rows = append(t.rows, row{name: t.Groups[group]})
	} else {
		t.rows = append(t.rows, row{name: string(addr)})
	}
	return i
}

// otherRow returns the "(other)" row, adding it on first use.
func (t *Table) otherRow() int32 {
	if t.other < 0 {
		t.other = int32(len(t.rows))
		t.rows = append(t.rows, row{name: otherName})
	}
	return t.other
}

func (t *Table) message(m *wire.Message, src netip.AddrPort, now time.Time, sec int64) {
	i := t.lookup(m.Address())
	if i < 0 {
		return
	}
	r := &t.rows[i]
	r.count.add(sec, 1)
	r.last = now.UnixNano()
	if b := m.Bytes(); len(b) <= maxRaw {
		r.raw = append(r.raw[:0], b...)
		r.rawOK = true
	} else {
		t.scratch = argsText(t.scratch[:0], m)
		r.raw = append(r.raw[:0], t.scratch[:min(len(t.scratch), maxText)]...)
		r.rawOK = false
	}
	tags := m.TypeTags()
	tags = tags[:min(len(tags), maxTags)]
	if string(tags) != string(r.tags) {
		if r.count.n > 1 {
			r.changes++
		}
		r.tags = append(r.tags[:0], tags...)
	}
	args := m.Args()
	for args.Next() {
		if v, ok := args.Arg().Number(); ok && !math.IsNaN(v) {
			r.number(v, sec)
			break
		}
	}
	r.sender(src)
}

func (r *row) number(v float64, sec int64) {
	if !r.hasNum {
		r.hasNum, r.min, r.max = true, v, v
		for k := range r.hist {
			r.hist[k] = math.NaN()
		}
		r.histSec = sec
	}
	r.min, r.max = min(r.min, v), max(r.max, v)
	if sec > r.histSec {
		if sec-r.histSec >= HistoryLen {
			for k := range r.hist {
				r.hist[k] = math.NaN()
			}
		} else {
			for s := r.histSec + 1; s < sec; s++ {
				r.hist[s%HistoryLen] = math.NaN()
			}
		}
		r.histSec = sec
	}
	if sec == r.histSec {
		r.hist[sec%HistoryLen] = v
	}
}

func (r *row) sender(src netip.AddrPort) {
	for k := range r.nsend {
		if r.senders[k] == src {
			return
		}
	}
	if r.nsend < maxSenders {
		r.senders[r.nsend] = src
		r.nsend++
		return
	}
	r.more = true
}

// argsText appends a message's type tags and arguments in oscdump layout.
func argsText(dst []byte, m *wire.Message) []byte {
	tags := m.TypeTags()
	dst = append(dst, tags...)
	r := m.Args()
	for r.Next() {
		dst = append(dst, ' ')
		dst = r.Arg().AppendText(dst)
	}
	return dst
}

// Reset forgets every row and total.
func (t *Table) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.setup()
	clear(t.index)
	t.rows = t.rows[:0]
	t.other = -1
	for k := range t.grow {
		t.grow[k] = -1
	}
	t.tot, t.bytes = counter{}, counter{}
	t.bundles, t.late, t.future, t.bad, t.lastErr = 0, 0, 0, 0, nil
}

// Snapshot is a copy of a Table's tallies at one time.
type Snapshot struct {
	Packets    uint64  // packets received
	Bytes      uint64  // their bytes
	PacketRate float64 // packets in the last whole second
	ByteRate   float64 // bytes in the last whole second
	Bundles    uint64  // bundles, nested ones included
	Late       uint64  // bundles whose timetag had passed on arrival
	Future     uint64  // bundles timed after their arrival
	Malformed  uint64  // packets or frames that did not decode
	LastError  error   // the reason of the last malformed one
	Rows       []Row   // one per address or group, in order of first arrival

	raw [][]byte // the last message of each row, kept for reuse
	ok  []bool   // whether raw holds the message, else its text
	txt []byte   // scratch for formatting

	ring    [][HistoryLen]float64 // each row's history as kept
	ringSec []int64               // and the second of its newest value
}

// Row is the tally of one address, group or of the "(other)" row.
type Row struct {
	Name   string    // the address, the group's pattern or "(other)"
	Other  bool      // the row of the addresses past MaxRows or too long
	Count  uint64    // messages
	Rate   float64   // messages in the last whole second
	Rate10 float64   // mean messages a second over the last ten seconds
	Last   time.Time // arrival of the last message
	Args   string    // its type tags and arguments in oscdump layout
	// Min and Max are the range of the first numeric argument (integer,
	// float, or true/false as 1/0) when HasNumber.
	HasNumber bool
	Min, Max  float64
	// History holds the last value of the first numeric argument of each
	// of the last HistoryLen seconds, oldest first; NaN where none came.
	History     []float64
	Tags        string // the type tags last seen
	TagChanges  int    // times the type tags changed
	Senders     []netip.AddrPort
	MoreSenders bool // more senders than listed were seen
}

// Snapshot copies the tallies into s at time now, reusing the memory of
// s from an earlier call: a display that keeps one Snapshot allocates
// little once its rows are known. The Table is locked only while the
// numbers and the last messages are copied; the arguments are formatted
// after.
func (t *Table) Snapshot(s *Snapshot, now time.Time) {
	sec := now.Unix()
	t.mu.Lock()
	t.setup()
	s.Packets, s.Bytes = t.tot.n, t.bytes.n
	s.PacketRate, _ = t.tot.rates(sec)
	s.ByteRate, _ = t.bytes.rates(sec)
	s.Bundles, s.Late, s.Future = t.bundles, t.late, t.future
	s.Malformed, s.LastError = t.bad, t.lastErr
	n := len(t.rows)
	s.Rows = slices.Grow(s.Rows[:0], n)[:n]
	s.raw = slices.Grow(s.raw[:0], n)[:n]
	s.ok = slices.Grow(s.ok[:0], n)[:n]
	s.ring = slices.Grow(s.ring[:0], n)[:n]
	s.ringSec = slices.Grow(s.ringSec[:0], n)[:n]
	for i := range t.rows {
		r, d := &t.rows[i], &s.Rows[i]
		d.Name, d.Other = r.name, int32(i) == t.other
		d.Count = r.count.n
		d.Rate, d.Rate10 = r.count.rates(sec)
		d.Last = time.Unix(0, r.last)
		s.raw[i], s.ok[i] = append(s.raw[i][:0], r.raw...), r.rawOK
		d.HasNumber, d.Min, d.Max = r.hasNum, r.min, r.max
		s.ring[i], s.ringSec[i] = r.hist, r.histSec
		if d.Tags != string(r.tags) {
			d.Tags = string(r.tags)
		}
		d.TagChanges = r.changes
		d.Senders = append(d.Senders[:0], r.senders[:r.nsend]...)
		d.MoreSenders = r.more
	}
	t.mu.Unlock()
	// Formatting happens outside the lock.
	o := t.Decode
	for i, raw := range s.raw {
		d := &s.Rows[i]
		d.History = slices.Grow(d.History[:0], HistoryLen)[:HistoryLen]
		for k := range HistoryLen {
			at := sec - HistoryLen + 1 + int64(k)
			if d.HasNumber && at <= s.ringSec[i] && at > s.ringSec[i]-HistoryLen && at >= 0 {
				d.History[k] = s.ring[i][at%HistoryLen]
			} else {
				d.History[k] = math.NaN()
			}
		}
		txt := raw
		if s.ok[i] {
			m, err := o.ParseMessage(raw)
			if err != nil {
				continue // cannot happen: it was parsed on arrival
			}
			s.txt = argsText(s.txt[:0], &m)
			txt = s.txt
		}
		if d.Args != string(txt) {
			d.Args = string(txt)
		}
	}
}
