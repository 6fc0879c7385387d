//go:build !unix

package mdns

import "syscall"

// reusePort does nothing where SO_REUSEPORT does not exist: the port is
// shared as the system allows.
func reusePort(network, address string, c syscall.RawConn) error { return nil }
