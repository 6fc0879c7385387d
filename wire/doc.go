// Package wire encodes and decodes Open Sound Control 1.0 and 1.1 packets.
//
// It knows every argument type of both versions (i f s b, T F N I t, and
// h d S c r m with arrays), messages, bundles nested to a limit, and
// timetags. It does no I/O and starts no goroutines, and knows nothing of
// handlers: the handler contract (Handler, Request, ResponseWriter) lives
// in package router, beside the Router that dispatches it, and package osc
// names it too.
//
// # Decoding
//
// ParseMessage and Options.ParseBundle validate a whole packet once and
// return a view over the caller's bytes: a Message or a Bundle. The zero
// Options decode strictly; ParseMessage and Walk are the strict shortcuts. After that no
// accessor fails on structure; Arg accessors such as Int32 or Float32 return
// ok=false when the argument has another type and never panic, whatever the
// packet held. Walk visits every message of a packet with its effective
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
// # Decisions on the specification
//
// Where OSC 1.0, OSC 1.1 and the common peers (liblo, python-osc, oscpack,
// osc.js) disagree, the codec decides as follows; the conformance vectors
// in testdata/packets.json hold each case with what those peers do.
//
//   - A packet's length is a multiple of 4, an address starts with '/'
//     (Options.LooseAddress lifts this for a message on its own, as
//     oscpy's validate_message_address=False does), and an unknown type
//     tag rejects the whole message, since its data cannot be skipped.
//   - A message made of an address alone, as pre-1.0 senders send it, is
//     refused by strict decoding and read as zero arguments by Lenient;
//     bytes after an address that do not start a ',' tag string are
//     always refused.
//   - Arrays nest, bounded by MaxArrayDepth; '[' and ']' must balance
//     without the depth going below zero.
//   - 'I' is Impulse (OSC 1.0 called it Infinitum) and carries no data;
//     'r' is four raw bytes; a blob may be empty; a blob size is checked
//     against the bytes left before anything is read or allocated.
//   - A string's bytes are handed over as they are, valid UTF-8 or not.
//   - A bundle element's size must be positive, a multiple of 4 and within
//     the bundle; the elements end exactly at the bundle's end.
//   - A nested bundle timed "immediately", or earlier than its parent, runs
//     at its parent's time (EffectiveTimetag); strict decoding refuses the
//     earlier one.
//   - The encoder trims the NUL padding that an address given to it may
//     end with (oscpy's format_message_null_terminated_address) and
//     refuses a NUL inside one.
//
// # Reading arguments
//
// A Message's arguments are read in one of three ways, one for each need:
//
//   - Message.Args returns a cursor that reads them one after the other and
//     stops where the caller stops: for a message read piece by piece, and
//     for the elements of an array (Arg.Array returns the same cursor). It
//     does not allocate.
//   - Message.AppendArgs appends every top-level argument to a caller's
//     slice of views in one tight pass (liblo's argv), to be indexed: the
//     quickest way to read them all. With an array of the caller's as the
//     slice, as below, it does not allocate up to the array's length.
//   - Message.AnyArgs returns plain Go values (int32, float32, string,
//     []byte, ...) that own their data: for code where convenience counts
//     more than allocations, and for values kept after the packet's buffer
//     is reused.
//
// The views that Args and AppendArgs give alias the packet; Arg.Value
// copies one into a typed Value that owns its data, for a value kept
// after the packet's buffer is reused (Message.Clone keeps the whole
// message instead):
//
//	var argv [8]wire.Arg
//	args := m.AppendArgs(argv[:0])
//	if len(args) == 2 {
//		level, ok := args[1].Float32()
//	}
//
// There is no accessor by index: reaching argument i means reading the
// arguments before it, which the cursor does in plain sight and AppendArgs
// does once for all of them.
//
// Options.ParseArgs is not a fourth way to read but a decoder: ParseMessage
// and AppendArgs fused into one pass over the bytes, so that strings and
// blobs are scanned once instead of twice. A receiver that decodes a
// message only to read all of its arguments calls it instead of the two,
// and spends about a fifth less time on a small message; the Message and
// the []Arg it returns are those the two calls give.
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
// router.Request.Clone copy a message, whose argument views then live as
// long as the copy; Message.AnyArgs copies the arguments as plain values. To
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
