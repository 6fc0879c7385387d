package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/osckit/osc/oscquery"
)

// announceUsage is the part of advertise's usage about DNS-SD.
const announceUsage = `
The services are announced by mDNS (DNS-SD) under -name unless
-announce=false: _oscjson._tcp with the HTTP port and _osc._udp (or
_osc._tcp) with the OSC port, renamed "NAME (2)" when another host holds
the name, withdrawn (goodbyes) on exit. They are announced where the HTTP
server can be reached: with the HTTP server on a loopback address (the
default), on the loopback interface with 127.0.0.1 as the address (most
systems' lo has no multicast: then nothing is announced, with a warning);
otherwise on every interface with multicast, each with its own
addresses, or on the -interface list. oscli browse finds them.

-vrchat makes the endpoint an application VRChat finds and sends to: the
namespace gets /avatar/change and /avatar/parameters (VRChat sends only
to applications whose tree holds /avatar), and the services are
announced over IPv4 only, with the address 127.0.0.1 (VRChat runs on the
same machine), on one interface: the one multicast is routed through
(VRChat would count a service heard on two interfaces twice), or those
of -interface. It needs OSC over UDP.`

// announceFlags are advertise's DNS-SD flags.
type announceFlags struct {
	on     *bool
	vrchat *bool
	iface  *string
}

func addAnnounceFlags(fs *flagSet) *announceFlags {
	return &announceFlags{
		on:     fs.Bool("announce", true, "announce the services by mDNS (DNS-SD)"),
		vrchat: fs.Bool("vrchat", false, "be found by VRChat on this machine: /avatar nodes, 127.0.0.1, IPv4"),
		iface:  fs.String("interface", "", "announce on the interfaces `NAME[,NAME...]` only"),
	}
}

// prepare adds what -vrchat needs to the namespace, and checks the flags
// against the OSC transport.
func (a *announceFlags) prepare(ns *oscquery.Namespace, hi oscquery.HostInfo) error {
	if !*a.vrchat {
		return nil
	}
	if hi.OSCTransport != oscquery.TransportUDP {
		return usagef("-vrchat: VRChat sends OSC over UDP only")
	}
	return oscquery.AddVRChatNodes(ns)
}

// start announces the services, and returns what withdraws them. When
// nothing can be announced by default (no loopback multicast), it warns
// and goes on; with -vrchat or -interface that is an error.
func (a *announceFlags) start(stderr io.Writer, name string, httpAddr net.Addr, hi oscquery.HostInfo) (func(), error) {
	if !*a.on {
		return func() {}, nil
	}
	ann := oscquery.Announcement{
		Name:         name,
		HTTPPort:     httpAddr.(*net.TCPAddr).Port,
		OSCPort:      hi.OSCPort,
		OSCTransport: hi.OSCTransport,
		VRChat:       *a.vrchat,
	}
	explicit := *a.vrchat || *a.iface != ""
	if *a.iface != "" {
		for _, n := range strings.Split(*a.iface, ",") {
			ifi, err := net.InterfaceByName(strings.TrimSpace(n))
			if err != nil {
				return nil, usagef("-interface %q: %v", n, err)
			}
			ann.Interfaces = append(ann.Interfaces, *ifi)
		}
	}
	if ip, _ := netip.ParseAddrPort(httpAddr.String()); !*a.vrchat {
		switch addr := ip.Addr().Unmap(); {
		case addr.IsLoopback():
			ann.Addrs = []netip.Addr{addr}
			if ann.Interfaces == nil {
				var err error
				if ann.Interfaces, err = loopbackMulticast(); err != nil {
					fmt.Fprintf(stderr, "oscli advertise: not announced by mDNS: %v\n", err)
					return func() {}, nil
				}
			}
		case !addr.IsUnspecified():
			ann.Addrs = []netip.Addr{addr}
		}
	}
	an, err := oscquery.Announce(ann)
	if err != nil {
		if explicit {
			return nil, err
		}
		fmt.Fprintf(stderr, "oscli advertise: not announced by mDNS: %v\n", err)
		return func() {}, nil
	}
	oscType := oscquery.ServiceOSCUDP
	if hi.OSCTransport == oscquery.TransportTCP {
		oscType = oscquery.ServiceOSCTCP
	}
	fmt.Fprintf(stderr, "oscli advertise: announced as %q (%s, %s)\n", an.Name(), oscquery.ServiceHTTP, oscType)
	return func() { an.Close() }, nil
}

// loopbackMulticast returns the loopback interfaces that are up and have
// multicast on.
func loopbackMulticast() ([]net.Interface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []net.Interface
	for _, ifi := range all {
		if ifi.Flags&net.FlagLoopback != 0 && ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagMulticast != 0 {
			out = append(out, ifi)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the HTTP server is on loopback and no loopback interface has multicast on (serve HTTP on another address with -http, or name an interface with -interface)")
	}
	return out, nil
}
