// Package interop holds the tests that run oscli against real OSC peers:
// liblo's oscsend and oscdump, pyliblo, and osc.js (driven by the small
// node script in js/peer.js).
//
// The tests build the oscli binary once and run it and the peers as
// processes, each bounded by a timeout. The peers are installed by
// .ci/install-peers.sh (run by make test). A test whose peer is missing
// fails and says how to install it, unless OSCKIT_NO_PEERS=1 is set, in
// which case it is skipped with that reason.
//
// The mDNS tests (mdns_test.go) run osckit's announcer and browser against
// npm bonjour-service and multicast-dns (js/mdns.js) on two hosts: network
// namespaces joined by a veth link, which they make as root (CI runs as
// root; elsewhere they fail saying so, or skip with OSCKIT_NO_NETNS=1).
// BenchmarkMDNSAnnounceToDiscovered measures how long bonjour-service
// takes to report a service osckit announces.
package interop
