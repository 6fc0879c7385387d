// Package wire encodes and decodes Open Sound Control 1.0 and 1.1 packets.
//
// It knows every argument type of both versions (i f s b, T F N I t, and
// h d S c r m with arrays), messages, bundles nested to a limit, and
// timetags. It does no I/O and starts no goroutines.
//
// # Decoding
//
// ParseMessage and Options.ParseBundle validate a whole packet once and
// return a view over the caller's bytes: a Message or a Bundle. The zero
// Options decode strictly; ParseMessage and Walk are the strict shortcuts. After that no
// accessor fails on structure; Arg accessors such as Int32 or Float32 return
// ok=false when the argument has another type and never panic, whatever the
// packet held. Arguments are read with the cursor of Message.Args, or all
// at once: Options.ParseArgs validates a message and collects its arguments into a
// caller's []Arg in the same pass (liblo's argv), the quickest way to read
// every argument, and Message.AppendArgs does the same for a message already
// parsed. Walk visits every message of a packet with its effective
// timetag, after validating all of it, so that a bundle is delivered whole
// or not at all.
//
// Decoding is strict by default: padding must be zero, no byte may follow
// the last argument, a message needs a type tag string and a nested bundle
// may not be timed earlier than its parent. Options{Lenient: true} accepts
// these. Failures are *ParseError values carrying the byte offset, the
// argument index and a message naming the cause. No length
// field makes the decoder allocate or read beyond the packet, and nesting is
// bounded by Options.MaxBundleDepth and MaxArrayDepth.
//
// # Encoding
//
// AppendMessage writes a message into a caller's slice. An Encoder builds messages and bundles, nested or
// not, writing bundle element sizes when each element ends; a reused or
// pooled Encoder does not allocate.
//
// # Buffer lifetimes
//
// Message, Bundle, Arg, ArgReader and ElementReader alias the bytes they were
// parsed from. A server reuses its receive buffers, so a view it hands to a
// handler is valid only until the handler returns. Message.Clone and
// router.Request.Clone copy a message, Message.Values its arguments; to
// keep a bundle, keep a copy of its Bytes and parse it again.
//
// # Timetags
//
// Timetag keeps the raw 64-bit NTP value. Immediately (1) and 0 both mean
// "now". The seconds field wraps on 2036-02-07 06:28:16 UTC (NTP era 1), so
// a timetag is read against the receiver's clock, by one rule that
// Timetag.RelativeTo, Timetag.Time and the sched package share: a timetag
// is read in the NTP era of the current time (era 0 while the clock's
// seconds field has its top bit set, 1968 to 2036; era 1 after the
// rollover), and if that places it more than 2^30 seconds (about 34 years)
// ahead of now, in the era before. Until the rollover every timetag is
// thus taken literally, 1900-based: 00000064.80000000 is 1900, and a
// scheduler delivers it as late (by about 126 years in 2026), never refuses
// it as too far ahead. After the rollover a timetag from before it still
// reads as past. Across the rollover itself, a sender whose clock is even
// a second ahead of the receiver's sends era-1 timetags that a receiver
// still in era 0 reads as about 136 years late: they are delivered at once
// (or dropped, by the late policy) rather than at their time. Lateness up
// to 136 years is exact; a time.Duration holds 292.
package wire
