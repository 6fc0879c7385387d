// Package sched delivers the messages of OSC bundles at the times their
// timetags name, without making the receiver wait.
//
// A Scheduler takes whole packets from the socket reader (Submit) and calls
// one dispatch function with groups of messages (Delivery). A group is the
// messages directly inside one bundle, or one bare message. Groups due now
// (bare messages, bundles timed "immediately" or in the past, everything
// under Config.IgnoreTimetags) are dispatched in the goroutine that calls
// Submit, before it returns, in arrival order. Future groups are copied
// into pooled buffers and queued in a min-heap ordered by (due time,
// arrival), and one dispatcher goroutine runs each at its time. Submit
// never waits for a future group.
//
// Each level of a nested bundle is a group of its own, at its own effective
// time (OSC 1.0 never runs a child before its parent): a nested bundle
// timed "immediately" runs at its parent's time, and one timed before its
// parent is refused by strict decoding
// (a *wire.ParseError) or raised to the parent's time by lenient decoding
// (Config.Decode), as wire.EffectiveTimetag computes. The groups of one
// packet run in order of time; groups due at the same time run in
// pre-order, that is the outer bundle's messages first and then each
// nested bundle in packet order, depth first. A bundle level without
// messages is not a group and is never dispatched.
//
// # Atomicity
//
// Calls of the dispatch function never overlap: one mutex is held around
// every call, from Submit's goroutine and from the dispatcher alike. The
// messages of a group therefore reach the dispatch function together, in
// packet order, with nothing from another packet in between, as OSC
// requires. Atomicity does not extend across nested bundles (OSC 1.0 says
// it does not), but all groups of one packet that are due at once are
// dispatched under a single hold of the mutex. A packet is validated whole
// before any of it is dispatched, and it is accepted or refused whole:
// MaxQueue, MaxBytes and MaxHorizon are checked for all its groups first.
//
// # Lateness
//
// Timetags are read against the Clock by wire's era rule (see
// wire.Timetag.RelativeTo): a timetag is read in the NTP era of the
// clock's current time, or in the era before if that would place it more
// than 2^30 seconds (about 34 years) ahead. Until the 2036 rollover every
// timetag is thus taken literally: one from long ago (00000064.80000000
// is 1900) is late, however old, and delivered as late, never refused as
// beyond the horizon; after the rollover, timetags from before it are
// still past. A sender whose clock runs ahead across the rollover is read
// as about 136 years late while the two clocks straddle it. Lateness is
// exact up to those 136 years.
//
// A group whose due time has passed when it is submitted is late. The
// LatePolicy delivers it (the default), drops it when it is later than
// Config.Tolerance, or drops every late group; all are counted in Stats,
// and Delivery.Late tells the dispatch function how late a delivered
// group is. Queued groups are never dropped as late: their Lateness is the
// scheduler's own delay. Config.Offset moves every timetag, for a sender
// whose clock is off.
//
// # Accuracy
//
// The dispatcher waits for a due time in three phases. Far from it, it
// sleeps on a runtime timer. Go's timers can fire up to a millisecond late
// on Linux (a thread waiting for timers in the network poller sleeps in
// epoll_wait, whose timeout is in whole milliseconds), so within 2 ms of the
// due time, with the SystemClock on Linux, it sleeps in short nanosleep(2)
// calls of at most 250 µs, which the kernel ends within about 50 µs, and
// looks at the queue's head between them. In the last Config.Spin (default
// 200 µs) it polls the clock in a loop that yields the processor
// (runtime.Gosched) and dispatches as soon as the due time is reached. No
// group runs before its due time.
//
// BenchmarkScheduleJitter sends 2,000 bundles over loopback UDP, timed at
// random over 2 s, and measures dispatch time minus due time. On a shared
// 2-core Linux machine it measured p50 1.4 to 1.8 µs and p99 20 to 120 µs;
// the maximum (1 to 10 ms) depends on what else the machine runs, since the
// dispatcher is an ordinary goroutine on an ordinary thread. The spin costs
// processor time: at most Spin per group, less when groups are close
// together. With NoSpin, accuracy is that of the nanosleep phase (tens of
// µs) on Linux and of the runtime's timers elsewhere; a Clock other than
// SystemClock always uses the Clock's timers.
//
// # Fake time
//
// SystemClock uses time.Now and time.Timer, so a Scheduler created inside
// a testing/synctest bubble runs on the bubble's fake clock. The spin wait
// notices that the clock does not move while it polls and falls back to
// the timer, so it ends in a bubble too; NoSpin avoids it entirely. Note
// that a dispatch function must not sleep on fake time: other goroutines
// waiting for the dispatch mutex are not durably blocked, and the bubble
// would stall. Other time sources plug in through the Clock interface.
//
// # Lifetime
//
// A Delivery, its MessageReader and the wire.Message values they yield
// alias the packet passed to Submit (groups dispatched at once) or the
// scheduler's pooled copy (queued groups, whose buffer returns to the pool
// after the dispatch function returns). They are valid only during the
// dispatch call; Delivery.Clone or wire.Message.Clone keep a copy. Submit
// never retains the packet it is given.
//
// # Bounds and shutdown
//
// Config.MaxQueue bounds the queued groups and Config.MaxBytes the memory
// their copies hold (default 64 MiB, counted as the capacity of their
// buffers); a packet that would exceed either is refused whole with
// ErrQueueFull. Config.MaxHorizon refuses groups timed too far ahead
// (ErrHorizon) instead of holding them. Refusals are counted once each in
// Stats and logged through log/slog, at most once a second per kind. Close stops new submissions (ErrClosed), then
// drops the queue or, with Config.DrainOnClose, keeps delivering it at its
// times until it is empty or Close's context ends. Every queued group is
// either dispatched or counted in Stats.DroppedAtClose, and every pooled
// buffer is returned.
package sched
