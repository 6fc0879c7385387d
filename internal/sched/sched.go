package sched

import (
	"context"
	"encoding/binary"
	"errors"
	"iter"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osckit/osc/internal/pool"
	"github.com/osckit/osc/wire"
)

// Scheduler dispatches the messages of OSC packets at the times their
// bundles carry. T is the type of the origin value attached to each packet
// (for a server, the sender's address and receive context); it is handed
// back with every Delivery, without boxing.
//
// A Scheduler starts one dispatcher goroutine; Close stops it. All methods
// are safe for concurrent use.
type Scheduler[T any] struct {
	cfg      Config
	clock    Clock
	fn       func(d *Delivery[T])
	log      *slog.Logger
	spin     time.Duration
	horizon  time.Duration // <= 0: none
	slop     time.Duration // timer granularity covered by precise sleeps; 0: none
	maxQueue int
	maxBytes int // <= 0: none

	// dmu serialises calls of fn; d is the Delivery it reuses.
	dmu sync.Mutex
	d   Delivery[T]

	// mu guards the queue. Lock order: dmu before mu.
	mu     sync.Mutex
	q      []entry[T] // binary min-heap on (due, seq)
	seq    uint64
	spare  []*pool.Buffer // buffers reserved for the packet being queued
	used   int            // spare buffers enqueue has taken
	closed atomic.Bool    // written under mu (and read under dmu or mu)

	wake chan struct{} // cap 1: the queue's head changed, or Close
	stop chan struct{} // closed: the dispatcher must return
	done chan struct{} // closed by the dispatcher when it returns

	held      atomic.Int64 // pooled buffers owned by queued entries
	heldBytes atomic.Int64 // their capacity; grows under mu only

	enqueued, dispatched, late, droppedLate   atomic.Uint64
	refusedFull, refusedHorizon, droppedClose atomic.Uint64

	logFull, logBytes, logHorizon limiter
}

// entry is one queued group: the messages of one bundle level, copied as
// size-prefixed elements into a pooled buffer.
type entry[T any] struct {
	due    wire.Timetag // dispatch time (Offset applied)
	seq    uint64       // submission order, breaks ties
	tt     wire.Timetag // effective timetag as sent
	buf    *pool.Buffer
	origin T
}

// New returns a running Scheduler that calls dispatch for every group, one
// call at a time. Config fields left zero take their defaults. The caller
// must call Close to stop the dispatcher goroutine.
//
// dispatch runs either in the goroutine calling Submit (groups due now) or
// in the dispatcher goroutine (queued groups). It must not call Submit or
// Close on the same Scheduler, and it should not panic: a panic in the
// dispatcher goroutine ends the program, and one in Submit's goroutine
// leaves the Scheduler locked. A server wraps its handlers in recover.
func New[T any](cfg Config, dispatch func(d *Delivery[T])) *Scheduler[T] {
	s := &Scheduler[T]{
		cfg:      cfg,
		clock:    cfg.Clock,
		fn:       dispatch,
		log:      cfg.Logger,
		spin:     cfg.Spin,
		horizon:  cfg.MaxHorizon,
		maxQueue: cfg.MaxQueue,
		maxBytes: cfg.MaxBytes,
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.clock == nil {
		s.clock = SystemClock
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.spin == 0 {
		s.spin = DefaultSpin
	} else if s.spin < 0 {
		s.spin = 0
	}
	if s.horizon == 0 {
		s.horizon = DefaultMaxHorizon
	}
	if s.maxQueue <= 0 {
		s.maxQueue = DefaultMaxQueue
	}
	if s.maxBytes == 0 {
		s.maxBytes = DefaultMaxBytes
	}
	if s.clock == SystemClock && preciseSleep(0) {
		s.slop = timerSlop
	}
	s.d.opts = &s.cfg.Decode
	go s.run()
	return s
}

// group kinds, from classify.
const (
	kindNow = iota
	kindLate
	kindFuture
)

// classify decides when a group with effective timetag tt runs, given the
// time now. rel is how far its due time lies from now (wire's era rule,
// Timetag.RelativeTo): positive for a future group, minus the lateness for
// a late one.
func (s *Scheduler[T]) classify(tt, now wire.Timetag) (due wire.Timetag, kind int, rel time.Duration) {
	if s.cfg.IgnoreTimetags || tt <= wire.Immediately {
		return wire.Immediately, kindNow, 0
	}
	due = tt.Add(s.cfg.Offset)
	switch rel = due.RelativeTo(now); {
	case rel > 0:
		return due, kindFuture, rel
	case rel == 0:
		return due, kindNow, 0
	}
	return due, kindLate, rel
}

// plan counts what Submit will do with a packet, without doing it.
type plan struct {
	now, future int
	bytes       int // the future groups' elements
	horizon     bool
	maxDue      wire.Timetag
}

// Submit schedules one packet, a message or a bundle, with its origin.
// The packet is validated with Config.Decode first; a malformed packet
// returns the *wire.ParseError and nothing of it is dispatched.
//
// Groups due now (a bare message, an immediate or past bundle, or
// everything under IgnoreTimetags) are dispatched in the calling goroutine
// before Submit returns; future groups are copied into pooled buffers and
// queued, and Submit does not wait for them. A packet is accepted whole or
// refused whole: ErrHorizon and ErrQueueFull (Config.MaxQueue or
// Config.MaxBytes) are decided before anything is dispatched. After Close,
// Submit returns ErrClosed.
//
// Submit does not retain pkt.
func (s *Scheduler[T]) Submit(pkt []byte, origin T) error {
	if len(pkt) == 0 || pkt[0] != '#' {
		m, err := s.cfg.Decode.ParseMessage(pkt)
		if err != nil {
			return err
		}
		s.dmu.Lock()
		if s.closed.Load() {
			s.dmu.Unlock()
			return ErrClosed
		}
		s.d.msg, s.d.msgOK = m, true
		s.call(origin, wire.Immediately, wire.Immediately, 0, false, pkt, true)
		s.d.msg, s.d.msgOK = wire.Message{}, false
		s.dmu.Unlock()
		return nil
	}
	if err := s.cfg.Decode.Validate(pkt); err != nil {
		return err
	}
	now := s.clock.Now()
	var p plan
	s.plan(pkt, 0, now, &p)
	if p.horizon {
		s.refusedHorizon.Add(1)
		s.logHorizon.report(s, "osc: bundle beyond scheduling horizon refused",
			slog.String("due", p.maxDue.String()), slog.Duration("horizon", s.horizon))
		return ErrHorizon
	}
	if p.now > 0 {
		s.dmu.Lock()
		if s.closed.Load() {
			s.dmu.Unlock()
			return ErrClosed
		}
	}
	if p.future > 0 {
		s.mu.Lock()
		if r, err := s.admit(pkt, now, &p); err != nil {
			s.mu.Unlock()
			if p.now > 0 {
				s.dmu.Unlock()
			}
			if errors.Is(err, ErrQueueFull) {
				s.report(r)
			}
			return err
		}
		head := ^uint64(0)
		if len(s.q) > 0 {
			head = s.q[0].seq
		}
		s.enqueue(pkt, 0, now, origin)
		s.release()
		moved := s.q[0].seq != head
		s.mu.Unlock()
		if moved {
			s.signal()
		}
	}
	if p.now > 0 {
		s.runNow(pkt, 0, now, origin)
		s.dmu.Unlock()
	}
	return nil
}

// admit decides whether the future groups of pkt, planned in p, may be
// queued, and reserves their buffers in s.spare if so. It refuses them
// after Close (ErrClosed), and when they would take the queue past
// MaxQueue groups or its buffers past MaxBytes bytes (ErrQueueFull, counted
// here and reported by the caller through report, once s.mu is released).
// The bytes counted are the buffers' capacities: a pooled buffer that holds
// a group is counted whole, and a group too big for it gets a buffer of
// its own, allocated before the decision so that its size is known. A
// packet clearly over the budget is refused before any buffer is taken.
// s.mu is held.
func (s *Scheduler[T]) admit(pkt []byte, now wire.Timetag, p *plan) (refusal, error) {
	if s.closed.Load() {
		return refusal{}, ErrClosed
	}
	if n := len(s.q); n+p.future > s.maxQueue {
		s.refusedFull.Add(1)
		return refusal{queued: n}, ErrQueueFull
	}
	if s.maxBytes <= 0 {
		s.reserve(pkt, 0, now)
		return refusal{}, nil
	}
	held := s.heldBytes.Load()
	size := int64(p.bytes)
	if held+size <= int64(s.maxBytes) {
		size = s.reserve(pkt, 0, now)
		if held+size <= int64(s.maxBytes) {
			return refusal{}, nil
		}
		s.unreserve()
	}
	s.refusedFull.Add(1)
	return refusal{bytes: true, queued: len(s.q), held: held, size: size}, ErrQueueFull
}

// refusal describes a packet refused with ErrQueueFull, for the log.
type refusal struct {
	bytes      bool  // refused by MaxBytes, else by MaxQueue
	queued     int   // groups queued
	held, size int64 // bytes queued, bytes the packet needed
}

// report logs a refusal, at most once a second for each cap.
func (s *Scheduler[T]) report(r refusal) {
	if !r.bytes {
		s.logFull.report(s, "osc: scheduler queue full, bundle refused",
			slog.Int("queued", r.queued), slog.Int("max", s.maxQueue))
		return
	}
	s.logBytes.report(s, "osc: scheduler memory budget full, bundle refused",
		slog.Int64("queued_bytes", r.held), slog.Int64("bundle_bytes", r.size), slog.Int("max_bytes", s.maxBytes))
}

// reserve takes a buffer for each of b's future groups, in the order
// enqueue visits them, into s.spare, and returns their total capacity. A
// group larger than the pooled buffer gets a new buffer of its size. s.mu
// is held.
func (s *Scheduler[T]) reserve(b []byte, parent, now wire.Timetag) (size int64) {
	tt := wire.EffectiveTimetag(levelTimetag(b), parent)
	if hasMessages(b) {
		if _, kind, _ := s.classify(tt, now); kind == kindFuture {
			buf := pool.Get()
			if need := groupSize(b); cap(buf.B) < need {
				// append rounds the capacity up to the size the
				// allocator gives, so that it is counted.
				buf.B = append(buf.B[:0:0], make([]byte, need)...)[:0]
			}
			s.spare = append(s.spare, buf)
			size += int64(cap(buf.B))
		}
	}
	for e := range nestedBundles(b) {
		size += s.reserve(e, tt, now)
	}
	return size
}

// unreserve returns the buffers of s.spare to the pool. s.mu is held.
func (s *Scheduler[T]) unreserve() {
	for _, buf := range s.spare {
		pool.Put(buf)
	}
	s.release()
}

// release empties s.spare, dropping it if a large packet grew it. s.mu is
// held.
func (s *Scheduler[T]) release() {
	clear(s.spare)
	s.spare, s.used = s.spare[:0], 0
	if cap(s.spare) > 1024 {
		s.spare = nil
	}
}

// groupSize returns the bytes a queued copy of the bundle b's own group
// takes: its messages, with their size prefixes.
func groupSize(b []byte) int {
	n := 0
	for off := 16; off < len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		if b[off+4] == '/' {
			n += 4 + size
		}
		off += 4 + size
	}
	return n
}

// levelTimetag returns the timetag field of the bundle b.
func levelTimetag(b []byte) wire.Timetag { return wire.Timetag(binary.BigEndian.Uint64(b[8:])) }

// hasMessages reports whether the bundle b holds a message directly.
func hasMessages(b []byte) bool {
	for off := 16; off < len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		if b[off+4] == '/' {
			return true
		}
		off += 4 + size
	}
	return false
}

// nestedBundles yields the nested bundles of the validated bundle b, in
// packet order. reserve and the walks below recurse with it; it inlines
// with the loop bodies, so they compile as if the loop were written out.
func nestedBundles(b []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for off := 16; off < len(b); {
			size := int(binary.BigEndian.Uint32(b[off:]))
			if e := b[off+4 : off+4+size]; e[0] == '#' && !yield(e) {
				return
			}
			off += 4 + size
		}
	}
}

// The three walks below visit the validated bundle b and its nested
// bundles in pre-order: a bundle's own group, then each nested bundle in
// packet order. Nesting depth is bounded by wire's validation.

func (s *Scheduler[T]) plan(b []byte, parent, now wire.Timetag, p *plan) {
	tt := wire.EffectiveTimetag(levelTimetag(b), parent)
	if hasMessages(b) {
		due, kind, rel := s.classify(tt, now)
		if kind == kindFuture {
			p.future++
			p.bytes += groupSize(b)
			if s.horizon > 0 && rel > s.horizon {
				p.horizon = true
				p.maxDue = due
			}
		} else {
			p.now++
		}
	}
	for e := range nestedBundles(b) {
		s.plan(e, tt, now, p)
	}
}

// enqueue queues b's future groups in the buffers that admit reserved,
// taking them from the front of s.spare. s.mu is held.
func (s *Scheduler[T]) enqueue(b []byte, parent, now wire.Timetag, origin T) {
	tt := wire.EffectiveTimetag(levelTimetag(b), parent)
	if hasMessages(b) {
		if due, kind, _ := s.classify(tt, now); kind == kindFuture {
			buf := s.spare[s.used]
			s.used++
			for off := 16; off < len(b); {
				size := int(binary.BigEndian.Uint32(b[off:]))
				if b[off+4] == '/' {
					buf.B = append(buf.B, b[off:off+4+size]...)
				}
				off += 4 + size
			}
			s.held.Add(1)
			s.heldBytes.Add(int64(cap(buf.B)))
			s.push(entry[T]{due: due, seq: s.seq, tt: tt, buf: buf, origin: origin})
			s.seq++
			s.enqueued.Add(1)
		}
	}
	for e := range nestedBundles(b) {
		s.enqueue(e, tt, now, origin)
	}
}

// runNow dispatches b's groups that are due now. s.dmu is held.
func (s *Scheduler[T]) runNow(b []byte, parent, now wire.Timetag, origin T) {
	tt := wire.EffectiveTimetag(levelTimetag(b), parent)
	if hasMessages(b) {
		due, kind, rel := s.classify(tt, now)
		late := -rel
		switch kind {
		case kindNow:
			s.call(origin, tt, due, 0, false, b[16:], false)
		case kindLate:
			s.late.Add(1)
			if s.cfg.Late == DropLate || (s.cfg.Late == DropBeyondTolerance && late > s.cfg.Tolerance) {
				s.droppedLate.Add(1)
			} else {
				s.call(origin, tt, due, late, false, b[16:], false)
			}
		}
	}
	for e := range nestedBundles(b) {
		s.runNow(e, tt, now, origin)
	}
}

// call hands one group to the dispatch function. s.dmu is held.
func (s *Scheduler[T]) call(origin T, tt, due wire.Timetag, late time.Duration, queued bool, elems []byte, single bool) {
	d := &s.d
	d.Origin, d.Timetag, d.Due, d.Late, d.Queued = origin, tt, due, late, queued
	d.elems, d.single = elems, single
	s.fn(d)
	var zero T
	d.Origin, d.elems = zero, nil
	s.dispatched.Add(1)
}

// signal wakes the dispatcher without blocking.
func (s *Scheduler[T]) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run is the dispatcher goroutine: it sleeps on a timer until shortly
// before the head of the queue is due, waits out the rest precisely, and
// dispatches the head.
func (s *Scheduler[T]) run() {
	defer close(s.done)
	t := s.clock.NewTimer(time.Hour)
	t.Stop()
	fake := false // the clock was seen standing still: use timers only
	for {
		select {
		case <-s.stop:
			t.Stop()
			return
		default:
		}
		s.mu.Lock()
		if len(s.q) == 0 {
			closed := s.closed.Load()
			s.mu.Unlock()
			if closed {
				t.Stop()
				return
			}
			select {
			case <-s.wake:
			case <-s.stop:
			}
			continue
		}
		due := s.q[0].due
		now := s.clock.Now()
		if !now.Before(due) {
			e := s.pop()
			s.mu.Unlock()
			s.dispatchQueued(&e)
			continue
		}
		s.mu.Unlock()
		wait := untilDue(now, due)
		if !fake {
			// Three phases: the runtime timer far from the due time,
			// short precise sleeps (where available) within the timer's
			// granularity, then the spin.
			switch {
			case wait <= s.spin:
				if s.spinUntil(due, &fake) {
					continue
				}
			case wait <= s.spin+s.slop:
				if s.nap(min(wait-s.spin, maxNap), now, &fake) {
					continue
				}
			default:
				wait -= s.spin + s.slop
			}
		}
		t.Reset(wait)
		select {
		case <-t.C():
		case <-s.wake:
			t.Stop()
		case <-s.stop:
			t.Stop()
			return
		}
	}
}

// maxNap bounds one precise sleep, so that the dispatcher looks at the
// queue's head (which may have changed) at least this often.
const maxNap = 250 * time.Microsecond

// nap sleeps precisely for d, if the platform can and the clock is the
// system's, and reports whether it did. It sets *fake when the clock did
// not move meanwhile (a synctest bubble).
func (s *Scheduler[T]) nap(d time.Duration, before wire.Timetag, fake *bool) bool {
	if s.slop == 0 || !preciseSleep(d) {
		return false
	}
	if s.clock.Now() == before {
		*fake = true
		return false
	}
	return true
}

// untilDue returns the time from now to due, which is after now, rounded
// up to the nanosecond so that a timer never fires early (Timetag.Sub
// rounds down).
func untilDue(now, due wire.Timetag) time.Duration {
	diff := uint64(due - now)
	sec := diff >> 32
	if sec >= 1<<31 { // more than 68 years: beyond any horizon
		return 1<<63 - 1
	}
	return time.Duration(sec)*time.Second + time.Duration((diff&0xffffffff*1_000_000_000+1<<32-1)>>32)
}

// spinUntil waits for due by yielding in a loop. It gives up, returning
// false, when the clock does not move (fake time: in a synctest bubble time
// stands still while a goroutine runs; it then sets *fake), after a bound
// in real time, or when the Scheduler stops.
func (s *Scheduler[T]) spinUntil(due wire.Timetag, fake *bool) bool {
	start := s.clock.Now()
	limit := time.Now().Add(2*s.spin + time.Millisecond)
	for i := 1; ; i++ {
		now := s.clock.Now()
		if !now.Before(due) {
			return true
		}
		if i&63 == 0 {
			if now == start {
				*fake = true
				return false
			}
			if time.Now().After(limit) {
				return false
			}
			select {
			case <-s.stop:
				return false
			default:
			}
		}
		runtime.Gosched()
	}
}

// dispatchQueued hands a queued group to the dispatch function and returns
// its buffer to the pool.
func (s *Scheduler[T]) dispatchQueued(e *entry[T]) {
	s.dmu.Lock()
	late := -e.due.RelativeTo(s.clock.Now())
	if late < 0 {
		late = 0
	}
	s.call(e.origin, e.tt, e.due, late, true, e.buf.B, false)
	s.dmu.Unlock()
	size := int64(cap(e.buf.B))
	pool.Put(e.buf)
	s.held.Add(-1)
	s.heldBytes.Add(-size)
}

// Len returns the number of queued groups.
func (s *Scheduler[T]) Len() int {
	s.mu.Lock()
	n := len(s.q)
	s.mu.Unlock()
	return n
}

// Stats returns a snapshot of the counters.
func (s *Scheduler[T]) Stats() Stats {
	return Stats{
		Queued:         s.Len(),
		QueuedBytes:    s.heldBytes.Load(),
		Enqueued:       s.enqueued.Load(),
		Dispatched:     s.dispatched.Load(),
		Late:           s.late.Load(),
		DroppedLate:    s.droppedLate.Load(),
		RefusedFull:    s.refusedFull.Load(),
		RefusedHorizon: s.refusedHorizon.Load(),
		DroppedAtClose: s.droppedClose.Load(),
	}
}

// Close stops the Scheduler: later Submits return ErrClosed, and Close
// waits for dispatches in progress to finish. Queued groups are dropped,
// or, with Config.DrainOnClose, dispatched at their times until the queue
// is empty or ctx ends; whatever remains then is dropped. Dropped groups
// are counted in Stats.DroppedAtClose and their buffers returned to the
// pool. Close returns ctx.Err() when ctx ended a drain, else nil. It must
// not be called from the dispatch function. A second Close returns nil.
func (s *Scheduler[T]) Close(ctx context.Context) error {
	// Taking dmu waits for a dispatch in progress; Submits after this see
	// closed (Submit checks it under dmu or mu).
	s.dmu.Lock()
	s.mu.Lock()
	was := s.closed.Swap(true)
	s.mu.Unlock()
	s.dmu.Unlock()
	if was {
		<-s.done
		return nil
	}
	var err error
	if s.cfg.DrainOnClose {
		s.signal()
		select {
		case <-s.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	close(s.stop)
	<-s.done
	s.droppedClose.Add(uint64(s.purge()))
	return err
}

// purge empties the queue, returning its buffers to the pool, and reports
// how many groups it dropped.
func (s *Scheduler[T]) purge() int {
	s.mu.Lock()
	n := len(s.q)
	var size int64
	for i := range s.q {
		size += int64(cap(s.q[i].buf.B))
		pool.Put(s.q[i].buf)
	}
	s.held.Add(-int64(n))
	s.heldBytes.Add(-size)
	clear(s.q)
	s.q = s.q[:0]
	s.mu.Unlock()
	return n
}

// limiter rate-limits one kind of log record to one a second, counting
// what it suppresses.
type limiter struct {
	mu         sync.Mutex
	last       wire.Timetag
	suppressed int
}

func (l *limiter) report(s interface {
	clockLog() (wire.Timetag, *slog.Logger)
}, msg string, attrs ...slog.Attr) {
	now, log := s.clockLog()
	l.mu.Lock()
	if l.last != 0 && now.Sub(l.last) < time.Second {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	attrs = append(attrs, slog.Int("suppressed", n))
	log.LogAttrs(context.Background(), slog.LevelWarn, msg, attrs...)
}

func (s *Scheduler[T]) clockLog() (wire.Timetag, *slog.Logger) { return s.clock.Now(), s.log }
