package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

const advertiseUsage = `[flags] PORT|URL

Listens for OSC on PORT or URL and serves an OSCQuery description of it
over HTTP on -http, until interrupted, -timeout or -count. Both addresses
are printed to standard error, the HTTP one as "serving OSCQuery on URL";
oscli query reads it.

With -namespace the nodes are those of the JSON file (an OSCQuery node,
placed at its FULL_PATH), and the VALUE of each readable node follows the
messages that arrive for it with type tags that fit its TYPE. Without it
the namespace is learnt from what arrives: each new address becomes a
read-write node whose TYPE is the type tags seen (changed when they change;
T and F count as one) and whose VALUE is the last arguments; at most
-max-nodes addresses are learnt. Addresses that are patterns update the
nodes they match and create none.

HOST_INFO has NAME (-name), OSC_PORT, OSC_TRANSPORT (UDP or TCP) and
OSC_IP: the host listened on, or, when that is a wildcard, the HTTP host
when that is not (a client that finds no OSC_IP uses the host it reached
the HTTP server at), and EXTENSIONS, the attributes served.

PORT or osc.udp://HOST:PORT listens on UDP (all interfaces for a bare
PORT), osc.tcp://HOST:PORT on TCP; port 0 picks a free port. -http takes
HOST:PORT, :PORT for all interfaces, or a bare PORT on 127.0.0.1 (the
default is a free port on 127.0.0.1: only this machine can read it).

The HTTP port also serves the OSCQuery WebSocket: a client LISTENs to a
node and receives the messages that arrive for it (from OSC or from other
WebSocket clients, never its own), is told of the nodes learnt
(PATH_ADDED, PATH_CHANGED), and may send OSC packets in binary messages,
served as those from PORT|URL. At most -max-conns WebSocket clients at
once; HOST_INFO lists LISTEN and the PATH_* notices, WS_IP and WS_PORT.
` + announceUsage

// defaultAdvertiseHTTP is where oscli advertise serves HTTP by default.
const defaultAdvertiseHTTP = "127.0.0.1:0"

func runAdvertise(e *env, args []string) error {
	fs := newFlagSet(e, "advertise", advertiseUsage)
	name := fs.String("name", "oscli", "the `NAME` in HOST_INFO, and the name announced")
	httpArg := fs.String("http", defaultAdvertiseHTTP, "serve HTTP on `ADDR`: HOST:PORT, :PORT, or PORT on 127.0.0.1")
	nsFile := fs.String("namespace", "", "serve the nodes of `FILE.json` instead of learning them from what arrives")
	maxNodes := fs.Int("max-nodes", 10000, "learn at most `N` addresses (without -namespace)")
	maxConns := fs.Int("max-conns", oscquery.DefaultMaxConns, "serve at most `N` WebSocket clients at once")
	count := fs.Int("count", 0, "exit after `N` messages (0: no limit)")
	timeout := fs.Duration("timeout", 0, "exit after `D` (0: no limit)")
	announce := addAnnounceFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	httpAddr := *httpArg
	if _, err := strconv.ParseUint(httpAddr, 10, 16); err == nil {
		httpAddr = "127.0.0.1:" + httpAddr
	}
	if _, _, err := net.SplitHostPort(httpAddr); err != nil {
		return usagef("-http %q: want HOST:PORT, :PORT or PORT", *httpArg)
	}
	l, err := newListenCmd(e, fs, *timeout)
	if err != nil {
		return err
	}
	defer l.cancel()
	if l.ep.Network == netio.NetworkUnixgram {
		return usagef("%s: OSCQuery describes UDP and TCP servers only", l.ep)
	}
	if *maxConns <= 0 {
		return usagef("-max-conns %d: want 1 or more", *maxConns)
	}

	ns := oscquery.NewNamespace()
	if *nsFile != "" {
		b, err := os.ReadFile(*nsFile)
		if err != nil {
			return err
		}
		if err := ns.UnmarshalJSON(b); err != nil {
			return fmt.Errorf("%s: %w", *nsFile, err)
		}
	}
	a := &advertiser{count: int64(*count), stop: l.cancel}
	var h router.Handler = ns.Handler(router.HandlerFunc(a.counted))
	if *nsFile == "" {
		lr := &learner{ns: ns, max: *maxNodes, next: h, stderr: l.stderr, types: make(map[string]string)}
		h = lr
	}

	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return fmt.Errorf("-http: %w", err)
	}
	defer ln.Close()
	srv := &osc.Server{
		Handler:            h,
		ReplaceStaleSocket: true,
		IdleTimeout:        -1,
		Logger:             slog.New(&logHandler{w: l.stderr, prefix: "oscli advertise: "}),
	}
	ep, err := srv.Listen(l.ep.String(), nil)
	if err != nil {
		return err
	}
	hi := hostInfo(*name, l.ep, ep, ln.Addr())
	if err := announce.prepare(ns, hi); err != nil {
		return err
	}
	qh := oscquery.NewHandler(ns, hi)
	qh.OSC, qh.MaxConns = h, *maxConns
	served := make(chan error, 1)
	go func() { served <- qh.Serve(l.ctx, ln) }()
	fmt.Fprintf(l.stderr, "oscli advertise: listening on %s\n", ep.URL())
	fmt.Fprintf(l.stderr, "oscli advertise: serving OSCQuery on http://%s/\n", ln.Addr())
	unannounce, aerr := announce.start(l.stderr, *name, ln.Addr(), hi)
	if aerr != nil {
		l.cancel() // HTTP and OSC stop below
	} else {
		defer unannounce()
	}

	if err = <-served; err != nil {
		err = fmt.Errorf("http: %w", err)
	}
	if aerr != nil {
		err = aerr
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); err == nil {
		err = serr
	}
	return err
}

// hostInfo fills HOST_INFO from the OSC endpoint as bound and the HTTP
// listener's address.
func hostInfo(name string, want netio.Endpoint, ep *osc.Endpoint, httpAddr net.Addr) oscquery.HostInfo {
	hi := oscquery.HostInfo{Name: name, OSCTransport: oscquery.TransportUDP}
	if want.Network == netio.NetworkTCP {
		hi.OSCTransport = oscquery.TransportTCP
	}
	bound, _ := netip.ParseAddrPort(ep.Addr().String())
	hi.OSCPort = int(bound.Port())
	ip := bound.Addr().Unmap()
	if want.IsMulticast() {
		ip, _ = netip.ParseAddr(want.Host())
	}
	if !ip.IsValid() || ip.IsUnspecified() {
		hp, _ := netip.ParseAddrPort(httpAddr.String())
		ip = hp.Addr().Unmap()
	}
	if ip.IsValid() && !ip.IsUnspecified() {
		hi.OSCIP = ip.WithZone("").String()
	}
	return hi
}

// advertiser counts the messages dispatched, for -count.
type advertiser struct {
	count int64
	n     atomic.Int64
	stop  func()
}

func (a *advertiser) counted(router.ResponseWriter, *router.Request) {
	if n := a.n.Add(1); a.count > 0 && n == a.count {
		a.stop()
	}
}

// learner adds a read-write node for each new address that arrives, or
// changes its TYPE when the type tags change, before next (which observes
// the message) runs.
type learner struct {
	ns     *oscquery.Namespace
	max    int
	next   router.Handler
	stderr io.Writer

	mu    sync.Mutex
	types map[string]string // address -> TYPE of the nodes learnt
	full  bool
}

func (l *learner) ServeOSC(w router.ResponseWriter, r *router.Request) {
	l.learn(&r.Message)
	l.next.ServeOSC(w, r)
}

func (l *learner) learn(m *wire.Message) {
	addr, tags := m.Address(), m.TypeTags()
	l.mu.Lock()
	defer l.mu.Unlock()
	old, ok := l.types[string(addr)]
	if ok && sameTypes(old, tags) {
		return
	}
	if router.ValidAddress(string(addr)) != nil {
		return // a pattern: Observe updates the nodes it matches
	}
	if !ok && len(l.types) >= l.max {
		if !l.full {
			l.full = true
			fmt.Fprintf(l.stderr, "oscli advertise: %d addresses learnt: new ones are not added (see -max-nodes)\n", l.max)
		}
		return
	}
	err := l.ns.Add(string(addr), oscquery.Node{Type: string(tags), Access: oscquery.AccessReadWrite})
	if err != nil {
		return
	}
	l.types[string(addr)] = string(tags)
}

// sameTypes reports whether type tags are those of a node's TYPE, T and F
// standing for each other (as the namespace matches them).
func sameTypes(typ string, tags []byte) bool {
	if len(typ) != len(tags) {
		return false
	}
	for i := range len(typ) {
		a, b := typ[i], tags[i]
		if a != b && !((a == 'T' || a == 'F') && (b == 'T' || b == 'F')) {
			return false
		}
	}
	return true
}
