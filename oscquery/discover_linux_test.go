package oscquery_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netnstest"
	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
	"github.com/stretchr/testify/require"
)

// app is an OSCQuery application serving a namespace over HTTP and OSC
// over UDP, both on 127.0.0.1 inside a namespace.
type app struct {
	osc  *osc.Server
	http *http.Server
	oscP int
	webP int
	got  chan string
}

func startApp(t *testing.T, ns *netnstest.NS, name string, tree *oscquery.Namespace) *app {
	t.Helper()
	a := &app{got: make(chan string, 64)}
	h := tree.Handler(router.HandlerFunc(func(_ router.ResponseWriter, r *router.Request) {
		select {
		case a.got <- string(r.Message.Address()) + " " + string(r.Message.TypeTags()):
		default:
		}
	}))
	var ln net.Listener
	require.NoError(t, ns.Do(func() error {
		a.osc = &osc.Server{Handler: h}
		ep, err := a.osc.Listen("osc.udp://127.0.0.1:0", nil)
		if err != nil {
			return err
		}
		a.oscP = int(netip.MustParseAddrPort(ep.Addr().String()).Port())
		ln, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	}))
	a.webP = ln.Addr().(*net.TCPAddr).Port
	hi := oscquery.HostInfo{Name: name, OSCIP: "127.0.0.1", OSCPort: a.oscP, OSCTransport: oscquery.TransportUDP}
	a.http = &http.Server{Handler: oscquery.NewHandler(tree, hi), ReadHeaderTimeout: 5 * time.Second}
	go a.http.Serve(ln)
	t.Cleanup(func() {
		a.http.Close()
		a.osc.Close()
	})
	return a
}

func inNS(t *testing.T, ns *netnstest.NS, fn func() error) {
	t.Helper()
	require.NoError(t, ns.Do(fn))
}

// getJSONIn is a plain HTTP GET decoded into v, from inside the namespace,
// as an independent client would do it.
func getJSONIn(t *testing.T, ns *netnstest.NS, url string, v any) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: ns.DialContext}}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, "GET %s: %s", url, b)
	require.NoError(t, json.Unmarshal(b, v), "GET %s: %s", url, b)
}

// TestVRChatDiscovery plays VRChat's discovery of an OSC application, step
// by step as VRChat does it: browse _oscjson._tcp and _osc._udp, GET / and
// find /avatar, GET ?HOST_INFO, then send avatar parameters over UDP to
// the A record's address and OSC_PORT. The application must receive them.
func TestVRChatDiscovery(t *testing.T) {
	ns := netnstest.New(t)
	tree := oscquery.NewNamespace()
	require.NoError(t, oscquery.AddVRChatNodes(tree))
	a := startApp(t, ns, "Face Tracker", tree)
	var an *oscquery.Announcer
	inNS(t, ns, func() (err error) {
		an, err = oscquery.Announce(oscquery.Announcement{Name: "Face Tracker", HTTPPort: a.webP, OSCPort: a.oscP, VRChat: true})
		return err
	})
	defer an.Close()

	// VRChat's side, on the same machine.
	var br *oscquery.Browser
	inNS(t, ns, func() (err error) {
		br, err = oscquery.Browse(nil)
		return err
	})
	defer br.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc, err := br.Lookup(ctx, "Face Tracker")
	require.NoError(t, err)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, svc.Addrs, "one IPv4 A record, 127.0.0.1")
	require.Equal(t, a.webP, svc.HTTPPort)
	require.Equal(t, a.oscP, svc.OSCPort)
	require.Equal(t, oscquery.TransportUDP, svc.OSCTransport)
	require.False(t, svc.IsVRChat())

	var root struct {
		CONTENTS map[string]json.RawMessage
	}
	getJSONIn(t, ns, svc.URL(), &root)
	require.Contains(t, root.CONTENTS, "avatar", "VRChat sends only to applications with /avatar or /tracking/vrsystem")
	var hi struct {
		OSC_PORT      int
		OSC_TRANSPORT string
	}
	getJSONIn(t, ns, svc.URL()+"?HOST_INFO", &hi)
	require.Equal(t, a.oscP, hi.OSC_PORT)
	require.Equal(t, "UDP", hi.OSC_TRANSPORT)

	var c *net.UDPConn
	inNS(t, ns, func() (err error) {
		c, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(svc.Addrs[0], uint16(hi.OSC_PORT))))
		return err
	})
	defer c.Close()
	for _, m := range []struct {
		addr string
		v    wire.Value
	}{{"/avatar/change", wire.String("avtr_0000")}, {"/avatar/parameters/VelocityX", wire.Float32(0.5)}, {"/avatar/parameters/MuteSelf", wire.Bool(true)}} {
		pkt, err := wire.AppendMessage(nil, m.addr, m.v)
		require.NoError(t, err)
		_, err = c.Write(pkt)
		require.NoError(t, err)
	}
	var got []string
	for len(got) < 3 {
		select {
		case s := <-a.got:
			got = append(got, s)
		case <-ctx.Done():
			t.Fatalf("the application received %q", got)
		}
	}
	require.Equal(t, []string{"/avatar/change s", "/avatar/parameters/VelocityX f", "/avatar/parameters/MuteSelf T"}, got)
}

// TestBrowseFindsVRChat: a VRChat client announces itself as
// VRChat-Client-XXXXXX with its OSC input port (9000 by default; the
// test's is free); an application browsing finds it, reads its HOST_INFO
// and sends to it.
func TestBrowseFindsVRChat(t *testing.T) {
	ns := netnstest.New(t)
	vrc := oscquery.NewNamespace()
	require.NoError(t, vrc.Add("/avatar/parameters/GestureLeft", oscquery.Node{Type: "i", Access: oscquery.AccessReadWrite}))
	a := startApp(t, ns, "VRChat-Client-1A2B3C", vrc)
	var an *oscquery.Announcer
	inNS(t, ns, func() (err error) {
		an, err = oscquery.Announce(oscquery.Announcement{Name: "VRChat-Client-1A2B3C", HTTPPort: a.webP, OSCPort: a.oscP, VRChat: true})
		return err
	})
	defer an.Close()
	var br *oscquery.Browser
	inNS(t, ns, func() (err error) {
		br, err = oscquery.Browse(nil)
		return err
	})
	defer br.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var found oscquery.Service
	for found.Name == "" {
		for _, s := range br.Services() {
			if s.IsVRChat() && s.OSCPort != 0 && s.HTTPPort != 0 && len(s.Addrs) > 0 {
				found = s
			}
		}
		if found.Name != "" {
			break
		}
		select {
		case <-br.Changed():
		case <-ctx.Done():
			t.Fatalf("no VRChat client found: %+v", br.Services())
		}
	}
	require.Equal(t, "VRChat-Client-1A2B3C", found.Name)
	var hi oscquery.HostInfo
	getJSONIn(t, ns, found.URL()+"?HOST_INFO", &hi)
	require.Equal(t, "VRChat-Client-1A2B3C", hi.Name)
	require.Equal(t, found.OSCPort, hi.OSCPort)
	var c *net.UDPConn
	inNS(t, ns, func() (err error) {
		c, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(found.OSCAddr()))
		return err
	})
	defer c.Close()
	pkt, _ := wire.AppendMessage(nil, "/avatar/parameters/GestureLeft", wire.Int32(3))
	_, err := c.Write(pkt)
	require.NoError(t, err)
	select {
	case s := <-a.got:
		require.Equal(t, "/avatar/parameters/GestureLeft i", s)
	case <-ctx.Done():
		t.Fatal("VRChat's side received nothing")
	}
}

// TestBrowseFollowsGoodbye: an application that closes sends goodbyes, and
// a browser on another host drops it at once (VRChat drops a service
// whose SRV TTL is 0), long before its records would expire.
func TestBrowseFollowsGoodbye(t *testing.T) {
	h1, h2 := netnstest.Pair(t)
	var an *oscquery.Announcer
	inNS(t, h1, func() (err error) {
		an, err = oscquery.Announce(oscquery.Announcement{Name: "Lights", HTTPPort: 8080, OSCPort: 9000, Host: "lights", IPv4Only: true})
		return err
	})
	var br *oscquery.Browser
	inNS(t, h2, func() (err error) {
		br, err = oscquery.Browse(nil)
		return err
	})
	defer br.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc, err := br.Lookup(ctx, "Lights")
	require.NoError(t, err)
	require.Equal(t, "lights.local", svc.Host)
	require.Equal(t, "http://"+h1.Addr+":8080/", svc.URL(), "the A record of the interface the answer left from")
	start := time.Now()
	require.NoError(t, an.Close())
	for {
		gone := true
		for _, s := range br.Services() {
			if strings.HasPrefix(s.Name, "Lights") {
				gone = false
			}
		}
		if gone {
			break
		}
		select {
		case <-br.Changed():
		case <-ctx.Done():
			t.Fatalf("still listed after goodbye: %+v", br.Services())
		}
	}
	require.Less(t, time.Since(start), 5*time.Second)
}

// TestBrowseTCPEndpoint: an OSC server over TCP is announced as _osc._tcp
// and found with OSCTransport TCP.
func TestBrowseTCPEndpoint(t *testing.T) {
	h1, h2 := netnstest.Pair(t)
	var an *oscquery.Announcer
	inNS(t, h1, func() (err error) {
		an, err = oscquery.Announce(oscquery.Announcement{Name: "Stream", HTTPPort: 8080, OSCPort: 9001,
			OSCTransport: oscquery.TransportTCP, Host: "stream", IPv4Only: true})
		return err
	})
	defer an.Close()
	br := func() *oscquery.Browser {
		var br *oscquery.Browser
		inNS(t, h2, func() (err error) {
			br, err = oscquery.Browse(nil)
			return err
		})
		return br
	}()
	defer br.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := br.Lookup(ctx, "Stream")
	require.NoError(t, err)
	require.Equal(t, 9001, s.OSCPort)
	require.Equal(t, oscquery.TransportTCP, s.OSCTransport)
}
