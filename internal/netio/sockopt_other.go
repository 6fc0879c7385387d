//go:build !linux

package netio

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
)

func setSocketOptions(u *UDPConn, cfg *UDPConfig) error {
	c := u.c
	if cfg.ReadBuffer > 0 {
		_ = c.SetReadBuffer(cfg.ReadBuffer) // best effort, no read-back
	}
	if cfg.WriteBuffer > 0 {
		if err := c.SetWriteBuffer(cfg.WriteBuffer); err != nil {
			return err
		}
	}
	return nil
}

func controlReusePort(_, _ string, _ syscall.RawConn) error {
	return errors.New("netio: ReusePort is supported on Linux only")
}

// listenMulticast uses package net, which joins the group with loopback
// off.
func listenMulticast(network string, g netip.Addr, port string, cfg *UDPConfig) (*net.UDPConn, error) {
	var ifi *net.Interface
	if cfg.MulticastInterface != "" {
		var err error
		if ifi, err = net.InterfaceByName(cfg.MulticastInterface); err != nil {
			return nil, err
		}
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	return net.ListenMulticastUDP(network, ifi, net.UDPAddrFromAddrPort(netip.AddrPortFrom(g, uint16(p))))
}

func joinGroup(syscall.RawConn, netip.Addr, string, bool) error { return errors.ErrUnsupported }

// socketDrops: the kernel's drop count is read on Linux only.
func socketDrops(syscall.RawConn) (uint32, bool) { return 0, false }
