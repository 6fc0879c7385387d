package netio

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Network names used by Endpoint.
const (
	NetworkUDP      = "udp"
	NetworkTCP      = "tcp"
	NetworkUnixgram = "unixgram"
	NetworkWS       = "ws" // WebSocket: osc.ws:// and osc.wss://
)

// Endpoint is a parsed OSC endpoint URL in liblo's form:
//
//	osc.udp://host:port      UDP (IPv6 hosts in brackets: osc.udp://[::1]:9000)
//	osc.tcp://host:port      TCP, framing detected on receive, size prefixes on send (as liblo)
//	osc.tcp+slip://host:port TCP with SLIP framing (OSC 1.1)
//	osc.tcp+size://host:port TCP with int32 size prefixes (OSC 1.0)
//	osc.unix:///abs/path     UNIX datagram socket; osc.unix://rel/path is relative
//	osc.ws://host:port/path  WebSocket, one binary message per packet (path "/" if left out)
//	osc.wss://host:port/path WebSocket over TLS
//	host:port, :port, port   UDP
//
// The host may be empty (":9000", "9000", "osc.udp://:9000"): whether that
// means all interfaces (listening) or the local host (sending) is the
// caller's choice. Ports are numeric (0-65535). A trailing "/" after the
// port, which liblo prints, is accepted and dropped.
type Endpoint struct {
	Network string  // NetworkUDP, NetworkTCP or NetworkUnixgram
	Address string  // "host:port" (host may be empty) or a socket path
	Framing Framing // TCP only: FrameAuto unless the scheme says +slip or +size
	Path    string  // WebSocket only: the HTTP path, starting with "/"
	TLS     bool    // WebSocket only: osc.wss://
}

// Errors of ParseEndpoint (wrapped in an *EndpointError).
var (
	ErrEndpointScheme = errors.New("netio: unknown endpoint scheme")
	ErrEndpointHost   = errors.New("netio: invalid endpoint host")
	ErrEndpointPort   = errors.New("netio: invalid endpoint port")
	ErrEndpointPath   = errors.New("netio: invalid endpoint path")
)

// EndpointError reports an endpoint that could not be parsed.
type EndpointError struct {
	Input string
	Err   error
}

func (e *EndpointError) Error() string { return e.Err.Error() + ": " + strconv.Quote(e.Input) }

// Unwrap returns the sentinel error.
func (e *EndpointError) Unwrap() error { return e.Err }

// ParseEndpoint parses an endpoint URL (see [Endpoint]).
func ParseEndpoint(s string) (Endpoint, error) {
	fail := func(err error) (Endpoint, error) { return Endpoint{}, &EndpointError{Input: s, Err: err} }
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		// Bare host:port or port: UDP.
		if !strings.Contains(s, ":") {
			s2 := ":" + s
			if err := checkHostPort(s2); err != nil {
				return fail(err)
			}
			return Endpoint{Network: NetworkUDP, Address: s2}, nil
		}
		if err := checkHostPort(s); err != nil {
			return fail(err)
		}
		return Endpoint{Network: NetworkUDP, Address: s}, nil
	}
	var e Endpoint
	switch strings.ToLower(scheme) {
	case "osc.udp":
		e.Network = NetworkUDP
	case "osc.tcp":
		e.Network = NetworkTCP
	case "osc.tcp+slip":
		e.Network, e.Framing = NetworkTCP, FrameSLIP
	case "osc.tcp+size":
		e.Network, e.Framing = NetworkTCP, FrameSizePrefix
	case "osc.ws", "osc.wss":
		e.Network, e.TLS = NetworkWS, strings.EqualFold(scheme, "osc.wss")
		hp, path, _ := strings.Cut(rest, "/")
		path = "/" + path
		if strings.ContainsAny(path, " ?#\x00") {
			return fail(ErrEndpointPath)
		}
		if err := checkHostPort(hp); err != nil {
			return fail(err)
		}
		e.Address, e.Path = hp, path
		return e, nil
	case "osc.unix", "osc.unixgram":
		if rest == "" || strings.IndexByte(rest, 0) >= 0 || len(rest) > 107 {
			return fail(ErrEndpointPath)
		}
		return Endpoint{Network: NetworkUnixgram, Address: rest}, nil
	default:
		return fail(ErrEndpointScheme)
	}
	rest = strings.TrimSuffix(rest, "/")
	if err := checkHostPort(rest); err != nil {
		return fail(err)
	}
	e.Address = rest
	return e, nil
}

// checkHostPort validates "host:port" with a numeric port and a host that
// is empty, an IP literal (IPv6 in brackets) or a DNS name.
func checkHostPort(hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		if strings.Count(hp, ":") > 1 && !strings.HasPrefix(hp, "[") {
			return ErrEndpointHost // unbracketed IPv6
		}
		return ErrEndpointPort
	}
	if _, err := parsePort(port); err != nil {
		return err
	}
	if host == "" {
		if strings.HasPrefix(hp, "[") {
			return ErrEndpointHost
		}
		return nil
	}
	if strings.HasPrefix(hp, "[") {
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" && !validZone(a.Zone()) {
			return ErrEndpointHost
		}
		return nil
	}
	if strings.Contains(host, ":") {
		return ErrEndpointHost
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if !validHostname(host) {
		return ErrEndpointHost
	}
	return nil
}

func parsePort(p string) (int, error) {
	if p == "" || len(p) > 5 {
		return 0, ErrEndpointPort
	}
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return 0, ErrEndpointPort
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, ErrEndpointPort
	}
	return n, nil
}

func validZone(z string) bool {
	for i := 0; i < len(z); i++ {
		c := z[i]
		if c <= ' ' || c >= 0x7f || c == '%' || c == ']' || c == '[' || c == '/' {
			return false
		}
	}
	return true
}

// validHostname accepts letters, digits, '-', '_' and dots, up to 253 bytes,
// with no empty label.
func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			label++
			if label > 63 {
				return false
			}
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		default:
			return false
		}
	}
	return label > 0 || strings.HasSuffix(h, ".") && len(h) > 1
}

// Host returns the host part of a UDP or TCP endpoint ("" when it was left
// out, and for unixgram endpoints). IPv6 hosts come without brackets.
func (e Endpoint) Host() string {
	if e.Network == NetworkUnixgram {
		return ""
	}
	h, _, _ := net.SplitHostPort(e.Address)
	return h
}

// Port returns the port of a UDP or TCP endpoint, or 0.
func (e Endpoint) Port() int {
	if e.Network == NetworkUnixgram {
		return 0
	}
	_, p, _ := net.SplitHostPort(e.Address)
	n, _ := parsePort(p)
	return n
}

// WebSocketURL returns a WebSocket endpoint's URL for an HTTP client:
// ws://host:port/path or wss://host:port/path, an empty host meaning the
// local host.
func (e Endpoint) WebSocketURL() string {
	scheme := "ws://"
	if e.TLS {
		scheme = "wss://"
	}
	addr := e.Address
	if h, p, err := net.SplitHostPort(addr); err == nil && h == "" {
		addr = net.JoinHostPort("127.0.0.1", p)
	}
	return scheme + addr + e.Path
}

// IsMulticast reports whether the host is a multicast IP address.
func (e Endpoint) IsMulticast() bool {
	a, err := netip.ParseAddr(e.Host())
	return err == nil && a.IsMulticast()
}

// String returns the endpoint as a URL that ParseEndpoint parses back to e.
func (e Endpoint) String() string {
	switch e.Network {
	case NetworkUnixgram:
		return "osc.unix://" + e.Address
	case NetworkWS:
		scheme := "osc.ws://"
		if e.TLS {
			scheme = "osc.wss://"
		}
		return scheme + e.Address + e.Path
	case NetworkTCP:
		switch e.Framing {
		case FrameSLIP:
			return "osc.tcp+slip://" + e.Address
		case FrameSizePrefix:
			return "osc.tcp+size://" + e.Address
		}
		return "osc.tcp://" + e.Address
	}
	return "osc.udp://" + e.Address
}
