// Package traffic tallies OSC traffic per address for a live view: message
// rates over the last second and the last ten, totals, the last arguments
// in liblo's oscdump layout, the range and a per-second history of the
// first numeric argument, the type tags seen and the senders, plus totals
// for the whole stream (packets, bytes, bundles, late and future bundles,
// malformed packets).
//
// A Table is fed from a handler or from an osc.Server's Accept hook with
// the raw packet bytes. Feeding it allocates nothing once an address has
// been seen, and the number of addresses it tracks is capped: past MaxRows
// the messages of new addresses are tallied in one "other" row, as are
// those of addresses longer than router.MaxLen, so a flood of random
// addresses cannot exhaust memory. Snapshot copies the tallies
// out under a short lock, so a display reading them never holds up the
// receive path for longer than the copy.
package traffic
