package oscquery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"

	"github.com/osckit/osc/internal/mdns"
)

// The DNS-SD service types of OSCQuery: the HTTP server (the proposal's
// _oscjson._tcp) and the OSC server itself (_osc._udp or _osc._tcp, which
// VRChat and the tools around it require as well).
const (
	ServiceHTTP   = "_oscjson._tcp"
	ServiceOSCUDP = "_osc._udp"
	ServiceOSCTCP = "_osc._tcp"
)

// Announcement says what Announce makes known by mDNS (DNS-SD).
type Announcement struct {
	// Name is the service instance name, shown by browsers ("My App").
	// When another host already uses it, "Name (2)" and so on are tried.
	Name string
	// HTTPPort is the port of the OSCQuery HTTP server (_oscjson._tcp);
	// 0 leaves that service out.
	HTTPPort int
	// OSCPort is the port of the OSC server (_osc._udp or _osc._tcp); 0
	// leaves that service out.
	OSCPort int
	// OSCTransport is TransportUDP (when empty) or TransportTCP.
	OSCTransport string
	// Interfaces to announce on; nil means every interface that is up and
	// has multicast.
	Interfaces []net.Interface
	// Addrs are the host addresses announced (A and AAAA records); nil
	// means those of the interface each answer leaves from.
	Addrs []netip.Addr
	// IPv4Only leaves IPv6 out (no AAAA records, no IPv6 socket).
	IPv4Only bool
	// Host is the host label announced (Host.local); empty means the
	// machine's host name.
	Host string
	// VRChat makes the services discoverable by VRChat on this machine:
	// IPv4 only, OSC over UDP, 127.0.0.1 as the address when Addrs is nil
	// (VRChat registers one service per address it hears, and its HTTP
	// server answers only same-machine clients), and, when Interfaces is
	// nil, only the interface IPv4 multicast is routed through (VRChat
	// registers one service per interface it hears it on). The namespace
	// served must hold /avatar or /tracking/vrsystem: see AddVRChatNodes.
	VRChat bool
}

// Announcer answers mDNS queries for the services of an Announcement
// until Close.
type Announcer struct {
	r    *mdns.Responder
	name string
}

// Announce probes the name (about 750 ms, renaming on conflict), then
// announces the services and keeps answering for them until Close, which
// sends goodbyes. It binds UDP port 5353 shared with other responders.
func Announce(a Announcement) (*Announcer, error) {
	if a.Name == "" {
		return nil, errors.New("oscquery: announce: no name")
	}
	var svcs []mdns.Service
	if a.HTTPPort != 0 {
		svcs = append(svcs, mdns.Service{Type: ServiceHTTP, Port: uint16(a.HTTPPort), Text: []string{"txtvers=1"}})
	}
	transport := a.OSCTransport
	if transport == "" {
		transport = TransportUDP
	}
	if a.VRChat {
		if transport != TransportUDP {
			return nil, errors.New("oscquery: announce: VRChat sends OSC over UDP only")
		}
		a.IPv4Only = true
		if a.Addrs == nil {
			a.Addrs = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
		}
		// VRChat registers a service once per interface it hears it
		// on: one interface, the one multicast is routed through (and
		// looped back from to VRChat on this machine).
		if a.Interfaces == nil {
			if ifi, err := mdns.RouteInterface(); err == nil {
				a.Interfaces = []net.Interface{ifi}
			}
		}
	}
	if a.OSCPort != 0 {
		typ, txt := ServiceOSCUDP, []string{"txtvers=1"}
		switch transport {
		case TransportUDP:
		case TransportTCP:
			// OSC 1.1's keys for a stream: it reads SLIP (and size
			// prefixes, which have no key).
			typ, txt = ServiceOSCTCP, []string{"txtvers=1", "version=1.1", "framing=slip"}
		default:
			return nil, fmt.Errorf("oscquery: announce: OSC transport %q", transport)
		}
		svcs = append(svcs, mdns.Service{Type: typ, Port: uint16(a.OSCPort), Text: txt})
	}
	if len(svcs) == 0 {
		return nil, errors.New("oscquery: announce: neither an HTTP nor an OSC port")
	}
	r, err := mdns.NewResponder(mdns.ResponderConfig{
		Config: mdns.Config{Interfaces: a.Interfaces, NoIPv6: a.IPv4Only},
		Host:   a.Host,
		Addrs:  a.Addrs,
	})
	if err != nil {
		return nil, fmt.Errorf("oscquery: announce: %w", err)
	}
	name, err := r.Register(a.Name, svcs...)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("oscquery: announce: %w", err)
	}
	return &Announcer{r: r, name: name}, nil
}

// Name returns the instance name announced: the Announcement's, or
// "Name (2)" and so on when another host held it.
func (a *Announcer) Name() string { return a.name }

// Close sends goodbyes (the records with TTL 0, which make browsers drop
// the services at once) and stops answering.
func (a *Announcer) Close() error { return a.r.Close() }

// Service is an OSCQuery application found by browsing: the
// _oscjson._tcp and _osc._udp (or _osc._tcp) services of one instance
// name.
type Service struct {
	Name         string       // the instance name: "VRChat-Client-1A2B3C"
	Host         string       // the host name its SRV records give: "host.local"
	Addrs        []netip.Addr // the host's addresses (A records first)
	HTTPPort     int          // the port of _oscjson._tcp; 0 when not announced
	OSCPort      int          // the port of _osc._udp or _osc._tcp; 0 when not announced
	OSCTransport string       // TransportUDP or TransportTCP, with OSCPort
}

// URL returns the address of the service's OSCQuery HTTP server,
// "http://ADDR:PORT/", preferring an IPv4 address (as VRChat does); ""
// without an HTTP port or an address.
func (s Service) URL() string {
	if s.HTTPPort == 0 || len(s.Addrs) == 0 {
		return ""
	}
	return "http://" + net.JoinHostPort(s.Addrs[0].String(), strconv.Itoa(s.HTTPPort)) + "/"
}

// OSCAddr returns the address to send OSC to: the first address and the
// OSC port, as VRChat uses them; the zero AddrPort without either.
func (s Service) OSCAddr() netip.AddrPort {
	if s.OSCPort == 0 || len(s.Addrs) == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(s.Addrs[0], uint16(s.OSCPort))
}

var vrchatName = regexp.MustCompile(`^VRChat-Client-[0-9A-Za-z]{6}$`)

// IsVRChat reports whether the service is a VRChat client, which
// announces itself as "VRChat-Client-" and six letters or digits.
func (s Service) IsVRChat() bool { return vrchatName.MatchString(s.Name) }

// Browser finds OSCQuery applications by mDNS: it browses _oscjson._tcp,
// _osc._udp and _osc._tcp, resolves instances from the answer or the
// additional section of what it hears, and drops them on goodbyes or when
// their records expire.
type Browser struct {
	b *mdns.Browser
}

// Browse starts browsing on the interfaces (nil: every interface that is
// up and has multicast) until Close.
func Browse(interfaces []net.Interface) (*Browser, error) {
	b, err := mdns.NewBrowser(mdns.Config{Interfaces: interfaces}, ServiceHTTP, ServiceOSCUDP, ServiceOSCTCP)
	if err != nil {
		return nil, fmt.Errorf("oscquery: browse: %w", err)
	}
	return &Browser{b: b}, nil
}

// Services returns the applications known now, by name: those with at
// least one service whose SRV record has arrived.
func (b *Browser) Services() []Service {
	var out []Service
	index := map[string]int{}
	for _, in := range b.b.Instances() {
		if in.Port == 0 {
			continue
		}
		i, ok := index[in.Name]
		if !ok {
			i = len(out)
			index[in.Name] = i
			out = append(out, Service{Name: in.Name})
		}
		s := &out[i]
		switch in.Type {
		case ServiceHTTP:
			s.HTTPPort = int(in.Port)
		case ServiceOSCUDP:
			s.OSCPort, s.OSCTransport = int(in.Port), TransportUDP
		case ServiceOSCTCP:
			if s.OSCPort == 0 {
				s.OSCPort, s.OSCTransport = int(in.Port), TransportTCP
			}
		}
		if s.Host == "" || in.Type == ServiceHTTP {
			s.Host = in.Host
		}
		for _, a := range in.Addrs {
			if !containsAddr(s.Addrs, a) {
				s.Addrs = append(s.Addrs, a)
			}
		}
	}
	for i := range out {
		sortAddrs(out[i].Addrs)
	}
	return out
}

func containsAddr(as []netip.Addr, a netip.Addr) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

// sortAddrs puts IPv4 addresses first, keeping the order otherwise.
func sortAddrs(as []netip.Addr) {
	j := 0
	for i, a := range as {
		if a.Is4() {
			copy(as[j+1:i+1], as[j:i])
			as[j] = a
			j++
		}
	}
}

// Changed is signalled whenever Services may have changed; a receiver
// then calls Services. At most one signal is pending.
func (b *Browser) Changed() <-chan struct{} { return b.b.Changed() }

// Lookup waits until the application named has been found with an
// address, its HTTP port and its OSC port, and returns it; or returns the
// context's error.
func (b *Browser) Lookup(ctx context.Context, name string) (Service, error) {
	for {
		for _, s := range b.Services() {
			if s.Name == name && len(s.Addrs) > 0 && s.HTTPPort != 0 && s.OSCPort != 0 {
				return s, nil
			}
		}
		select {
		case <-b.Changed():
		case <-ctx.Done():
			return Service{}, fmt.Errorf("oscquery: lookup %q: %w", name, ctx.Err())
		}
	}
}

// Close stops browsing.
func (b *Browser) Close() error { return b.b.Close() }

// AddVRChatNodes adds to ns what VRChat looks for before it sends to an
// application: the container /avatar, with /avatar/change (the avatar
// id, s) and the container /avatar/parameters below it. VRChat then
// sends /avatar/change and every /avatar/parameters/NAME to the OSC port.
func AddVRChatNodes(ns *Namespace) error {
	if err := ns.Add("/avatar/change", Node{Type: "s", Access: AccessWrite, Description: "the avatar id, sent by VRChat when the avatar changes"}); err != nil {
		return err
	}
	return ns.Add("/avatar/parameters", Node{Description: "avatar parameters, sent by VRChat"})
}
