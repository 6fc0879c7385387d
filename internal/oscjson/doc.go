// Package oscjson converts OSC packets to and from a JSON form that follows
// the conventions of osc.js (its readPacket with metadata), so that a
// packet dumped by oscli can be read by a script, edited, and sent again
// byte for byte.
//
// # The JSON form
//
// A message is an object with an address and typed arguments:
//
//	{"address":"/synth/1","args":[{"type":"i","value":440},{"type":"f","value":0.5}]}
//
// A bundle has a timetag and elements, which are messages or bundles:
//
//	{"timetag":{"sec":3913056000,"frac":0},"elements":[{"address":"/a","args":[]}]}
//
// "Immediately" is {"sec":0,"frac":1}. Arguments are written as follows:
//
//	i h    integers, exact (int64 never goes through a float64)
//	f d    numbers in the shortest form that reads back to the same float32
//	       or float64, -0 included; or the strings "NaN", "Infinity" and
//	       "-Infinity"
//	s S    strings; bytes that are not UTF-8 as {"type":"s","hex":"fffe"}
//	c      a one-character string; a code that is not a Unicode scalar value
//	       as {"type":"c","code":55296}
//	b      lowercase hex
//	t      {"sec":S,"frac":F}
//	r m    8 lowercase hex digits, in wire order
//	T F    true, false
//	N      null
//	I      no value: {"type":"I"}
//	[...]  {"type":"array","value":[...]}
//
// An address that is not UTF-8 is written as "addressHex" instead of
// "address".
//
// # NaN payloads
//
// JSON has no NaN, so a NaN is written as the string "NaN". The NaN that
// encoders produce by default (7fc00000 for f, 7ff8000000000000 for d) is
// written as that string alone. Any other NaN (another payload, the sign
// bit set, a signalling NaN) also carries its exact bits as hex, for
// example {"type":"f","value":"NaN","bits":"7fa00001"}, so that it
// survives a round trip. A reader that ignores "bits" (osc.js) still sees
// a NaN. On input, "bits" may be given for any f or d value and then
// decides the encoding; a "value" given beside it must agree with it.
//
// # Input
//
// Encode and Reader accept everything the output uses, and also: a
// "type":"message" or "type":"bundle" member; a "src" member, which is
// ignored (oscli dump --src writes it); bundle timetags and t values as
// "immediate", as an RFC 3339 time or as liblo's "SSSSSSSS.FFFFFFFF" hex;
// osc.js's bundle spelling ("timeTag" with "raw" [sec, frac] or "native"
// milliseconds, and "packets"); osc.js's {"high","low"} form of an int64;
// r and m as arrays of four bytes; and untyped arguments, typed the way
// oscli send infers them (integers as i, or h when they do not fit, other
// numbers as f, true and false as T and F, null as N, strings as s, arrays
// as arrays). Other members are errors, so that a misspelt name does not
// pass silently. Every packet Encode produces is validated by the
// decoder's rules (wire.Options) before it is returned.
//
// A message read leniently without a type tag string is written with empty
// args, and so re-encodes with an empty type tag string (",").
package oscjson
