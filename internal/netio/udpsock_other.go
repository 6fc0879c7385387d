//go:build !linux

package netio

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
)

// lazySocket: sockets kept away from the runtime's poller are a Linux
// feature (they need recvmmsg's direct calls); elsewhere ListenUDP and
// DialUDP use package net from the start.
type lazySocket struct{ syscall.RawConn }

func openUDP(string, string, bool, bool) (*lazySocket, *net.UDPAddr, error) {
	return nil, nil, errors.ErrUnsupported
}

func (*lazySocket) isClosed() bool                 { return false }
func (*lazySocket) registered() bool               { return true }
func (*lazySocket) netConn() (*net.UDPConn, error) { return nil, errors.ErrUnsupported }
func (*lazySocket) close() error                   { return errors.ErrUnsupported }
func lazyUDP() bool                                { return false }

func attachLazy(*batchIO, *lazySocket) {}

func connectedPeer(*lazySocket) (netip.AddrPort, error) {
	return netip.AddrPort{}, errors.ErrUnsupported
}
