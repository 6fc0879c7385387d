// Oscli is a terminal tool for Open Sound Control: it encodes and decodes
// packets, and sends messages with the argument grammar of liblo's oscsend.
//
// Usage:
//
//	oscli send [flags] HOST PORT|URL /address [TYPES] [VALUES...]
//	oscli send - /address [TYPES] [VALUES...]      (packet bytes to stdout)
//	oscli encode [-hex] [JSON...]
//	oscli decode [-hex] [-text] [FILE|HEX...]
//
// Every subcommand prints its flags with -h.
//
// # Arguments of send
//
// TYPES is a type tag string, with or without a leading comma, from
// i h f d s S c m T F N I (oscsend's set) and b t r [ ]. Each type but
// T F N I [ ] takes one value: i and h decimal integers (or 0x hex), f and
// d numbers (nan, inf and -inf included; -0 stays -0), s and S text, c one
// character, m and r 8 hex digits in wire order, b hex bytes, t an NTP
// time SSSSSSSS.FFFFFFFF in hex, an RFC 3339 time, or "immediate".
//
// Without TYPES each value is typed by its form: a decimal integer is i (h
// when it does not fit in 32 bits), another decimal number f, true and
// false T and F, nil N, and anything else s. The second argument is read
// as TYPES when it is a comma followed by type tags, or when it is made of
// type tags only and the values after it are exactly as many as they need;
// made of type tags with the wrong number of values, it is an error rather
// than a guess (send "hi" as a string with: /chat s hi).
//
// # JSON
//
// encode, decode and send -json use the JSON form of internal/oscjson,
// which follows osc.js: {"address":"/a","args":[{"type":"i","value":1}]}
// and {"timetag":{"sec":S,"frac":F},"elements":[...]}.
package main
