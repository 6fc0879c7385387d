package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/osckit/osc/oscquery"
)

const browseUsage = `[flags]

Looks for OSCQuery applications by mDNS (DNS-SD) for -timeout, then lists
those found: each instance name with its _oscjson._tcp (HTTP) and
_osc._udp or _osc._tcp (OSC) services, its host, its addresses and the
HOST_INFO its HTTP server answers (NAME, OSC_IP, OSC_PORT,
OSC_TRANSPORT). VRChat clients show as VRChat-Client-XXXXXX.

The table has the columns NAME, HOST, ADDRESS, HTTP, OSC and HOST_INFO;
with -json each service is one JSON object a line, with the fields name,
host, addrs, http_port, osc_port, osc_transport, url, vrchat and
host_info (or host_info_error).

mDNS needs an interface with multicast: by default every one that is up
and has it; -interface names some. Port 5353 is shared with a system
responder (Avahi).`

// browseHTTP fetches HOST_INFO (tests replace it to dial inside a network
// namespace).
var browseHTTP = &http.Client{Timeout: 2 * time.Second}

type browsed struct {
	Name          string             `json:"name"`
	Host          string             `json:"host"`
	Addrs         []string           `json:"addrs"`
	HTTPPort      int                `json:"http_port,omitempty"`
	OSCPort       int                `json:"osc_port,omitempty"`
	OSCTransport  string             `json:"osc_transport,omitempty"`
	URL           string             `json:"url,omitempty"`
	VRChat        bool               `json:"vrchat"`
	HostInfo      *oscquery.HostInfo `json:"host_info,omitempty"`
	HostInfoError string             `json:"host_info_error,omitempty"`
}

func runBrowse(e *env, args []string) error {
	fs := newFlagSet(e, "browse", browseUsage)
	timeout := fs.Duration("timeout", 3*time.Second, "browse for `D`")
	asJSON := fs.Bool("json", false, "one JSON object per service")
	iface := fs.String("interface", "", "browse on the interfaces `NAME[,NAME...]` only")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("no arguments expected, have %q", fs.Args())
	}
	if *timeout <= 0 {
		return usagef("-timeout %v: want a positive duration", *timeout)
	}
	var ifaces []net.Interface
	if *iface != "" {
		for _, n := range strings.Split(*iface, ",") {
			ifi, err := net.InterfaceByName(strings.TrimSpace(n))
			if err != nil {
				return usagef("-interface %q: %v", n, err)
			}
			ifaces = append(ifaces, *ifi)
		}
	}
	br, err := oscquery.Browse(ifaces)
	if err != nil {
		return err
	}
	ctx := e.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	<-ctx.Done()
	svcs := br.Services()
	br.Close()

	// HOST_INFO of every service, fetched at the same time.
	out := make([]browsed, len(svcs))
	var wg sync.WaitGroup
	for i, s := range svcs {
		b := &out[i]
		*b = browsed{Name: s.Name, Host: s.Host, HTTPPort: s.HTTPPort, OSCPort: s.OSCPort, OSCTransport: s.OSCTransport,
			URL: s.URL(), VRChat: s.IsVRChat(), Addrs: []string{}}
		for _, a := range s.Addrs {
			b.Addrs = append(b.Addrs, a.String())
		}
		if b.URL == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := oscquery.Client{HTTP: browseHTTP, MaxBytes: 1 << 16}
			hctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			hi, err := c.HostInfo(hctx, b.URL)
			if err != nil {
				b.HostInfoError = err.Error()
				return
			}
			b.HostInfo = hi
		}()
	}
	wg.Wait()

	if len(out) == 0 {
		fmt.Fprintf(e.stderr, "oscli browse: no OSCQuery service found in %v\n", *timeout)
		return nil
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		for i := range out {
			if err := enc.Encode(&out[i]); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHOST\tADDRESS\tHTTP\tOSC\tHOST_INFO")
	for _, b := range out {
		addr := "-"
		if len(b.Addrs) > 0 {
			addr = strings.Join(b.Addrs, ",")
		}
		httpPort, oscPort := "-", "-"
		if b.HTTPPort != 0 {
			httpPort = strconv.Itoa(b.HTTPPort)
		}
		if b.OSCPort != 0 {
			oscPort = strconv.Itoa(b.OSCPort) + "/" + strings.ToLower(b.OSCTransport)
		}
		info := "-"
		switch {
		case b.HostInfo != nil:
			hi := b.HostInfo
			info = fmt.Sprintf("NAME=%q OSC_IP=%s OSC_PORT=%d OSC_TRANSPORT=%s", hi.Name, orDash(hi.OSCIP), hi.OSCPort, orDash(hi.OSCTransport))
		case b.HostInfoError != "":
			info = "error: " + b.HostInfoError
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, b.Host, addr, httpPort, oscPort, info)
	}
	return tw.Flush()
}
