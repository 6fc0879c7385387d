package capture

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers.
const (
	protoTCP = 6
	protoUDP = 17
)

// appendIP appends an IPv4 or IPv6 header for a payload of n bytes of
// protocol proto from src to dst. Both are of one family (see families).
func appendIP(b []byte, src, dst netip.Addr, proto byte, n int) []byte {
	if src.Is4() {
		h := len(b)
		b = append(b, 0x45, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(20+n))
		b = append(b, 0, 0, 0x40, 0, 64, proto, 0, 0) // id, DF, TTL, proto, checksum
		s, d := src.As4(), dst.As4()
		b = append(append(b, s[:]...), d[:]...)
		binary.BigEndian.PutUint16(b[h+10:], ^fold(sum(0, b[h:h+20])))
		return b
	}
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = append(b, proto, 64)
	s, d := src.As16(), dst.As16()
	return append(append(b, s[:]...), d[:]...)
}

// families returns src and dst as one family: IPv4 when the source is one
// (an IPv4-mapped IPv6 address is unmapped), the receiving address
// replaced by the family's unspecified address when it is of the other.
func families(src, dst netip.Addr) (netip.Addr, netip.Addr) {
	src, dst = src.Unmap(), dst.Unmap()
	if !src.IsValid() {
		src = netip.IPv4Unspecified()
	}
	switch {
	case src.Is4() && !dst.Is4():
		dst = netip.IPv4Unspecified()
	case src.Is6() && !dst.Is6():
		dst = netip.IPv6Unspecified()
	}
	return src, dst
}

// appendUDP appends an IP and UDP header and the payload.
func appendUDP(b []byte, src, dst netip.AddrPort, payload []byte) []byte {
	s, d := families(src.Addr(), dst.Addr())
	b = appendIP(b, s, d, protoUDP, 8+len(payload))
	h := len(b)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(payload)))
	b = append(b, 0, 0)
	b = append(b, payload...)
	c := ^fold(sum(pseudo(s, d, protoUDP, len(b)-h), b[h:]))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(b[h+6:], c)
	return b
}

// appendTCP appends an IP and TCP header (PSH, ACK) and the payload.
func appendTCP(b []byte, src, dst netip.AddrPort, seq uint32, payload []byte) []byte {
	s, d := families(src.Addr(), dst.Addr())
	b = appendIP(b, s, d, protoTCP, 20+len(payload))
	h := len(b)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = binary.BigEndian.AppendUint32(b, seq)
	b = binary.BigEndian.AppendUint32(b, 1) // ack
	b = append(b, 5<<4, 0x18, 0xff, 0xff, 0, 0, 0, 0)
	b = append(b, payload...)
	binary.BigEndian.PutUint16(b[h+16:], ^fold(sum(pseudo(s, d, protoTCP, len(b)-h), b[h:])))
	return b
}

func pseudo(s, d netip.Addr, proto byte, n int) uint32 {
	var a uint32
	a = sum(a, s.AsSlice())
	a = sum(a, d.AsSlice())
	return a + uint32(proto) + uint32(n)
}

func sum(a uint32, b []byte) uint32 {
	for len(b) >= 2 {
		a += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
		if a > 0xffff0000 {
			a = a&0xffff + a>>16
		}
	}
	if len(b) == 1 {
		a += uint32(b[0]) << 8
	}
	return a
}

func fold(a uint32) uint16 {
	for a > 0xffff {
		a = a&0xffff + a>>16
	}
	return uint16(a)
}

// Link types read and written.
const (
	linkNull     = 0
	linkEthernet = 1
	linkRaw      = 101
	linkLoop     = 108
	linkSLL      = 113
	linkIPv4     = 228
	linkIPv6     = 229
	linkUpperPDU = 252
	linkSLL2     = 276
)

// segment is a UDP datagram or TCP segment found in a captured frame.
type segment struct {
	proto    byte
	src, dst netip.AddrPort
	payload  []byte
}

// parseLink finds the IP packet in a frame of link type lt and parses it;
// ok is false for anything that is not UDP or TCP over IP.
func parseLink(lt uint32, f []byte) (segment, bool) {
	switch lt {
	case linkRaw, linkIPv4, linkIPv6:
	case linkNull, linkLoop:
		if len(f) < 4 {
			return segment{}, false
		}
		f = f[4:]
	case linkEthernet:
		if len(f) < 14 {
			return segment{}, false
		}
		et, off := binary.BigEndian.Uint16(f[12:]), 14
		for (et == 0x8100 || et == 0x88a8) && len(f) >= off+4 {
			et, off = binary.BigEndian.Uint16(f[off+2:]), off+4
		}
		f = f[off:]
	case linkSLL:
		if len(f) < 16 {
			return segment{}, false
		}
		f = f[16:]
	case linkSLL2:
		if len(f) < 20 {
			return segment{}, false
		}
		f = f[20:]
	default:
		return segment{}, false
	}
	return parseIP(f)
}

func parseIP(f []byte) (segment, bool) {
	var s segment
	var src, dst netip.Addr
	if len(f) < 1 {
		return s, false
	}
	switch f[0] >> 4 {
	case 4:
		if len(f) < 20 {
			return s, false
		}
		ihl := int(f[0]&15) * 4
		total := int(binary.BigEndian.Uint16(f[2:]))
		if ihl < 20 || total < ihl || total > len(f) {
			return s, false
		}
		if binary.BigEndian.Uint16(f[6:])&0x3fff != 0 { // a fragment
			return s, false
		}
		s.proto = f[9]
		src, dst = netip.AddrFrom4([4]byte(f[12:16])), netip.AddrFrom4([4]byte(f[16:20]))
		f = f[ihl:total]
	case 6:
		if len(f) < 40 {
			return s, false
		}
		n := int(binary.BigEndian.Uint16(f[4:]))
		if 40+n > len(f) {
			return s, false
		}
		s.proto = f[6] // extension headers are not followed
		src, dst = netip.AddrFrom16([16]byte(f[8:24])), netip.AddrFrom16([16]byte(f[24:40]))
		f = f[40 : 40+n]
	default:
		return s, false
	}
	switch s.proto {
	case protoUDP:
		if len(f) < 8 {
			return s, false
		}
		n := int(binary.BigEndian.Uint16(f[4:]))
		if n < 8 || n > len(f) {
			return s, false
		}
		s.payload = f[8:n]
	case protoTCP:
		if len(f) < 20 {
			return s, false
		}
		off := int(f[12]>>4) * 4
		if off < 20 || off > len(f) {
			return s, false
		}
		s.payload = f[off:]
	default:
		return s, false
	}
	s.src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(f[0:]))
	s.dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(f[2:]))
	return s, true
}
