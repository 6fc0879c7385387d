package mdns

import (
	"net"

	"golang.org/x/net/ipv4"
)

// joinLo joins the mDNS group on lo.
func joinLo(c *net.UDPConn) error {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return err
	}
	return ipv4.NewPacketConn(c).JoinGroup(lo, &net.UDPAddr{IP: group4.AsSlice()})
}
