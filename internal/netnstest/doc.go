// Package netnstest makes network namespaces for tests that need
// multicast (mDNS) or several hosts: the host's lo has no MULTICAST flag,
// and tests may only send to addresses of namespaces they made. A
// namespace from New has lo up with multicast on; Pair joins two of them
// with a veth link, 10.99.0.1 and 10.99.0.2. NS.Do runs code that opens
// sockets inside a namespace, NS.Command runs a program there.
//
// Namespaces need root (CI runs as root). Elsewhere the tests fail with a
// message that says so, unless OSCKIT_NO_NETNS=1, which skips them.
package netnstest
