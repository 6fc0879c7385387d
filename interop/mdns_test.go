//go:build linux

package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/osckit/osc/internal/netnstest"
	"github.com/osckit/osc/oscquery"
	"github.com/stretchr/testify/require"
)

// needMDNSPeers checks for node and the npm mDNS packages.
func needMDNSPeers(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		missingTB(t, "node (Debian package nodejs)")
	}
	for _, p := range []string{"bonjour-service", "multicast-dns"} {
		if _, err := os.Stat(filepath.Join("js", "node_modules", p, "package.json")); err != nil {
			missingTB(t, "npm "+p+" (npm ci in interop/js)")
		}
	}
}

func missingTB(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("OSCKIT_NO_PEERS") == "1" {
		t.Skipf("peer %s is not installed (OSCKIT_NO_PEERS=1)", what)
	}
	t.Fatalf("peer %s is not installed: run .ci/install-peers.sh as root (make peers), or set OSCKIT_NO_PEERS=1 to skip the peer tests", what)
}

// mdnsPeer is node running js/mdns.js inside a namespace: its JSON lines
// arrive on out; closing its stdin ends it.
type mdnsPeer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    chan map[string]any
	stderr *lockedBuffer
	done   chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startMDNSPeer(t testing.TB, ns *netnstest.NS, args ...string) *mdnsPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	p := &mdnsPeer{out: make(chan map[string]any, 256), stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = ns.Command(ctx, "node", append([]string{filepath.Join("js", "mdns.js")}, args...)...)
	p.cmd.Stderr = p.stderr
	var err error
	p.stdin, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				select {
				case p.out <- m:
				default:
				}
			}
		}
		close(p.out)
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		p.cmd.Wait()
		cancel()
	})
	return p
}

// waitFor returns the first line for which ok holds, or fails after d.
func (p *mdnsPeer) waitFor(t testing.TB, d time.Duration, what string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case m, open := <-p.out:
			if !open {
				t.Fatalf("%s: node exited: %s", what, p.stderr.String())
			}
			if ok(m) {
				return m
			}
		case <-timer.C:
			t.Fatalf("%s: nothing within %v; node's stderr: %s", what, d, p.stderr.String())
		}
	}
}

func is(m map[string]any, kv ...any) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		if fmt.Sprint(m[kv[i].(string)]) != fmt.Sprint(kv[i+1]) {
			return false
		}
	}
	return true
}

func announceIn(t testing.TB, ns *netnstest.NS, a oscquery.Announcement) *oscquery.Announcer {
	t.Helper()
	var an *oscquery.Announcer
	require.NoError(t, ns.Do(func() (err error) {
		an, err = oscquery.Announce(a)
		return err
	}))
	return an
}

func browseIn(t testing.TB, ns *netnstest.NS) *oscquery.Browser {
	t.Helper()
	var br *oscquery.Browser
	require.NoError(t, ns.Do(func() (err error) {
		br, err = oscquery.Browse(nil)
		return err
	}))
	t.Cleanup(func() { br.Close() })
	return br
}

// waitServices waits until ok holds for the browser's services.
func waitServices(t *testing.T, br *oscquery.Browser, d time.Duration, what string, ok func([]oscquery.Service) bool) []oscquery.Service {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		s := br.Services()
		if ok(s) {
			return s
		}
		select {
		case <-br.Changed():
		case <-timer.C:
			t.Fatalf("%s: services %+v after %v", what, s, d)
		}
	}
}

// TestMDNSBonjourFindsOsckit: npm bonjour-service, on a second host,
// browses both services osckit announces, with the right ports and
// address, and sees them leave on osckit's goodbyes.
func TestMDNSBonjourFindsOsckit(t *testing.T) {
	needMDNSPeers(t)
	a, b := netnstest.Pair(t)
	peer := startMDNSPeer(t, b, "browse", "oscjson", "tcp", "osc", "udp")
	peer.waitFor(t, 10*time.Second, "bonjour ready", func(m map[string]any) bool { return is(m, "event", "ready") })
	an := announceIn(t, a, oscquery.Announcement{Name: "osckit synth", HTTPPort: 8080, OSCPort: 9000, Host: "osckit-a", IPv4Only: true})
	got := map[string]map[string]any{}
	for len(got) < 2 {
		m := peer.waitFor(t, 10*time.Second, "bonjour finds both services", func(m map[string]any) bool {
			return is(m, "event", "up", "name", "osckit synth")
		})
		got[m["type"].(string)] = m
	}
	require.EqualValues(t, 8080, got["_oscjson._tcp"]["port"])
	require.EqualValues(t, 9000, got["_osc._udp"]["port"])
	require.Equal(t, "osckit-a.local", got["_oscjson._tcp"]["host"])
	require.Contains(t, got["_oscjson._tcp"]["addresses"], a.Addr)
	require.Equal(t, map[string]any{"txtvers": "1"}, got["_osc._udp"]["txt"])

	require.NoError(t, an.Close())
	gone := map[string]bool{}
	for len(gone) < 2 {
		m := peer.waitFor(t, 5*time.Second, "bonjour follows the goodbyes", func(m map[string]any) bool {
			return is(m, "event", "down", "name", "osckit synth")
		})
		gone[m["type"].(string)] = true
	}
}

// TestMDNSOsckitFindsBonjour: services npm bonjour-service publishes (as
// a VRChat client would) are found and resolved by osckit's browser, and
// dropped on bonjour-service's goodbyes.
func TestMDNSOsckitFindsBonjour(t *testing.T) {
	needMDNSPeers(t)
	a, b := netnstest.Pair(t)
	br := browseIn(t, a)
	peer := startMDNSPeer(t, b, "publish", "VRChat-Client-AB12CD", "oscjson", "tcp", "8181", "VRChat-Client-AB12CD", "osc", "udp", "9000")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := br.Lookup(ctx, "VRChat-Client-AB12CD")
	require.NoError(t, err, "bonjour stderr: %s", peer.stderr.String())
	require.True(t, s.IsVRChat())
	require.Equal(t, 8181, s.HTTPPort)
	require.Equal(t, 9000, s.OSCPort)
	require.Equal(t, oscquery.TransportUDP, s.OSCTransport)
	require.Contains(t, s.Addrs, netip.MustParseAddr(b.Addr))
	require.Equal(t, "http://"+b.Addr+":8181/", s.URL())

	peer.stdin.Close()
	peer.waitFor(t, 10*time.Second, "bonjour unpublished", func(m map[string]any) bool { return is(m, "event", "gone") })
	waitServices(t, br, 5*time.Second, "dropped on goodbye", func(ss []oscquery.Service) bool { return len(ss) == 0 })
}

// TestMDNSMulticastDNSQueriesOsckit: a PTR query sent with npm
// multicast-dns gets PTR, SRV, TXT and A records for osckit's service.
func TestMDNSMulticastDNSQueriesOsckit(t *testing.T) {
	needMDNSPeers(t)
	a, b := netnstest.Pair(t)
	an := announceIn(t, a, oscquery.Announcement{Name: "lights", HTTPPort: 8080, OSCPort: 9000, Host: "osckit-a", IPv4Only: true})
	defer an.Close()
	peer := startMDNSPeer(t, b, "query", "_oscjson._tcp.local")
	want := map[string]func(m map[string]any) bool{
		"PTR": func(m map[string]any) bool {
			return is(m, "name", "_oscjson._tcp.local", "data", "lights._oscjson._tcp.local")
		},
		"SRV": func(m map[string]any) bool {
			d, _ := m["data"].(map[string]any)
			return is(m, "name", "lights._oscjson._tcp.local") && is(d, "port", 8080, "target", "osckit-a.local")
		},
		"TXT": func(m map[string]any) bool {
			return is(m, "name", "lights._oscjson._tcp.local", "data", []any{"txtvers=1"})
		},
		"A": func(m map[string]any) bool { return is(m, "name", "osckit-a.local", "data", a.Addr) },
	}
	for len(want) > 0 {
		m := peer.waitFor(t, 10*time.Second, fmt.Sprintf("records %v", keys(want)), func(m map[string]any) bool {
			ok := want[fmt.Sprint(m["type"])]
			return ok != nil && ok(m)
		})
		delete(want, fmt.Sprint(m["type"]))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestMDNSOsckitReadsAdditionals: a responder written with npm
// multicast-dns puts only the PTR in the answers and SRV, TXT and A in
// the additionals; osckit resolves the service from them and follows its
// goodbye.
func TestMDNSOsckitReadsAdditionals(t *testing.T) {
	needMDNSPeers(t)
	a, b := netnstest.Pair(t)
	peer := startMDNSPeer(t, b, "respond", "VRChat-Client-XY34ZW", "_osc._udp.local", "9001", "vrc-host.local", b.Addr)
	peer.waitFor(t, 10*time.Second, "responder ready", func(m map[string]any) bool { return is(m, "event", "ready") })
	br := browseIn(t, a)
	ss := waitServices(t, br, 10*time.Second, "resolved from additionals", func(ss []oscquery.Service) bool {
		return len(ss) == 1 && len(ss[0].Addrs) > 0
	})
	require.Equal(t, "VRChat-Client-XY34ZW", ss[0].Name)
	require.Equal(t, "vrc-host.local", ss[0].Host)
	require.Equal(t, 9001, ss[0].OSCPort)
	require.Equal(t, []netip.Addr{netip.MustParseAddr(b.Addr)}, ss[0].Addrs)
	require.True(t, ss[0].IsVRChat())
	peer.stdin.Close()
	waitServices(t, br, 5*time.Second, "dropped on goodbye", func(ss []oscquery.Service) bool { return len(ss) == 0 })
}

// BenchmarkMDNSAnnounceToDiscovered is the time from Announce to npm
// bonjour-service on another host reporting the service: probing (a
// random 0-250 ms, then three probes 250 ms apart) and the first
// announcement. Run with -benchtime=Nx; it reports the median and p90.
func BenchmarkMDNSAnnounceToDiscovered(b *testing.B) {
	needMDNSPeers(b)
	h1, h2 := netnstest.Pair(b)
	peer := startMDNSPeer(b, h2, "browse", "oscjson", "tcp")
	peer.waitFor(b, 10*time.Second, "bonjour ready", func(m map[string]any) bool { return is(m, "event", "ready") })
	var ds []time.Duration
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("bench %d", i)
		i++
		start := time.Now()
		an := announceIn(b, h1, oscquery.Announcement{Name: name, HTTPPort: 8080, Host: "bench", IPv4Only: true})
		peer.waitFor(b, 10*time.Second, "discovered", func(m map[string]any) bool { return is(m, "event", "up", "name", name) })
		ds = append(ds, time.Since(start))
		b.StopTimer()
		an.Close()
		peer.waitFor(b, 10*time.Second, "gone", func(m map[string]any) bool { return is(m, "event", "down", "name", name) })
		b.StartTimer()
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(ds[len(ds)*9/10].Microseconds())/1000, "ms-p90")
}

// TestMDNSNameConflicts: osckit renames its instance "Mixer (2)" when
// bonjour-service already holds "Mixer", and bonjour-service, probing a
// name osckit holds, hears osckit's answer and gives the name up.
func TestMDNSNameConflicts(t *testing.T) {
	needMDNSPeers(t)
	a, b := netnstest.Pair(t)
	peer := startMDNSPeer(t, b, "publish", "Mixer", "oscjson", "tcp", "8181")
	peer.waitFor(t, 10*time.Second, "bonjour publishes Mixer", func(m map[string]any) bool { return is(m, "event", "up", "name", "Mixer") })
	an := announceIn(t, a, oscquery.Announcement{Name: "Mixer", HTTPPort: 8080, OSCPort: 9000, Host: "osckit-a", IPv4Only: true})
	defer an.Close()
	require.Equal(t, "Mixer (2)", an.Name())

	an2 := announceIn(t, a, oscquery.Announcement{Name: "Lights", HTTPPort: 8082, Host: "osckit-a", IPv4Only: true})
	defer an2.Close()
	require.Equal(t, "Lights", an2.Name())
	peer2 := startMDNSPeer(t, b, "publish", "Lights", "oscjson", "tcp", "8183")
	m := peer2.waitFor(t, 10*time.Second, "bonjour's probe of Lights", func(m map[string]any) bool {
		return is(m, "event", "up") || is(m, "event", "log")
	})
	require.Contains(t, m["text"], "already in use", "bonjour-service took a name osckit holds: %v", m)
}

// TestMDNSSharesPort: on one host, bonjour-service (bound first to port
// 5353 with SO_REUSEADDR, as a system responder would be), osckit's
// announcer and osckit's browser share the port, and each hears the
// others.
func TestMDNSSharesPort(t *testing.T) {
	needMDNSPeers(t)
	ns := netnstest.New(t)
	peer := startMDNSPeer(t, ns, "browse", "oscjson", "tcp")
	peer.waitFor(t, 10*time.Second, "bonjour ready", func(m map[string]any) bool { return is(m, "event", "ready") })
	br := browseIn(t, ns)
	an := announceIn(t, ns, oscquery.Announcement{Name: "Neighbour", HTTPPort: 8080, OSCPort: 9000, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, IPv4Only: true})
	defer an.Close()
	m := peer.waitFor(t, 10*time.Second, "bonjour hears osckit on the shared port", func(m map[string]any) bool {
		return is(m, "event", "up", "name", "Neighbour")
	})
	require.Contains(t, m["addresses"], "127.0.0.1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := br.Lookup(ctx, "Neighbour")
	require.NoError(t, err)
	require.Equal(t, 8080, s.HTTPPort)
}
