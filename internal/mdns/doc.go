// Package mdns is a small Multicast DNS (RFC 6762) and DNS-SD (RFC 6763)
// implementation: enough to announce and find the services of OSCQuery
// applications (_oscjson._tcp, _osc._udp), and no more.
//
// Parse and Message.Append are the DNS codec: Parse refuses malformed or
// hostile packets with a *ParseError that says at which byte offset, and
// never allocates more than the packet can justify.
//
// A Responder probes, announces and answers for the services registered
// with it, announces them again when another host sends goodbyes for
// them, and sends its own goodbyes on Close; a Browser asks for service
// types, asks again for records 80% through their TTL, and keeps a
// bounded cache of what it hears. Both bind port 5353 of
// every address with SO_REUSEPORT, next to a system responder (Avahi),
// join the mDNS groups (224.0.0.251, ff02::fb) on each interface chosen,
// read the interfaces' addresses when they start, and limit how many
// packets each source may make them read.
package mdns
