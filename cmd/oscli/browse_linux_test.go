package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osckit/osc/internal/netnstest"
	"github.com/osckit/osc/oscquery"
	"github.com/stretchr/testify/require"
)

// startIn runs an oscli command line in-process inside a network
// namespace (its sockets are the namespace's), as start does.
func startIn(t *testing.T, ns *netnstest.NS, args ...string) *proc {
	t.Helper()
	or, ow := io.Pipe()
	er, ew := io.Pipe()
	p := &proc{out: lineChan(or), err: lineChan(er), done: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code := 0
		_ = ns.Do(func() error {
			code = run(&env{ctx: ctx, stdin: strings.NewReader(""), stdout: ow, stderr: ew}, args)
			return nil
		})
		ow.Close()
		ew.Close()
		p.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		ch := make(chan struct{})
		go func() { wg.Wait(); close(ch) }()
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Errorf("oscli %v did not end", args)
		}
	})
	return p
}

// TestBrowseAdvertised: oscli advertise -vrchat announces an endpoint and
// oscli browse, on the same machine (a network namespace with multicast
// on lo), lists it with its HOST_INFO, as a table and as JSON.
func TestBrowseAdvertised(t *testing.T) {
	ns := netnstest.New(t)
	old := browseHTTP
	browseHTTP = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: ns.DialContext}}
	t.Cleanup(func() { browseHTTP = old })

	p := startIn(t, ns, "advertise", "-vrchat", "-name", "Synth One", "-timeout", "30s", "osc.udp://127.0.0.1:0")
	var httpURL string
	for httpURL == "" {
		l := next(t, p.err, "advertise's lines")
		_, httpURL, _ = strings.Cut(l, "serving OSCQuery on ")
	}
	require.Contains(t, next(t, p.err, "announced line"), `announced as "Synth One" (_oscjson._tcp, _osc._udp)`)

	var code int
	var out, errOut strings.Builder
	require.NoError(t, ns.Do(func() error {
		code = run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, []string{"browse", "-timeout", "2s"})
		return nil
	}))
	require.Zero(t, code, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, out.String())
	require.Regexp(t, `^NAME\s+HOST\s+ADDRESS\s+HTTP\s+OSC\s+HOST_INFO$`, lines[0])
	require.Regexp(t, `^Synth One\s+\S+\.local\s+127\.0\.0\.1\s+\d+\s+\d+/udp\s+NAME="Synth One" OSC_IP=127\.0\.0\.1 OSC_PORT=\d+ OSC_TRANSPORT=UDP$`, lines[1])

	out.Reset()
	require.NoError(t, ns.Do(func() error {
		code = run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, []string{"browse", "-json", "-timeout", "2s"})
		return nil
	}))
	require.Zero(t, code, errOut.String())
	var b browsed
	require.NoError(t, json.Unmarshal([]byte(out.String()), &b), out.String())
	require.Equal(t, "Synth One", b.Name)
	require.Equal(t, []string{"127.0.0.1"}, b.Addrs)
	require.Equal(t, httpURL, b.URL)
	require.Equal(t, "UDP", b.OSCTransport)
	require.False(t, b.VRChat)
	require.NotNil(t, b.HostInfo, b.HostInfoError)
	require.Equal(t, b.OSCPort, b.HostInfo.OSCPort)

	// -vrchat put /avatar in the namespace: VRChat would send.
	c := oscquery.Client{HTTP: browseHTTP}
	n, err := c.Fetch(context.Background(), httpURL+"avatar")
	require.NoError(t, err)
	require.Contains(t, n.Contents, "parameters")

	// Interrupted, advertise withdraws the services.
	p.cancel()
	require.Zero(t, <-p.done)
	out.Reset()
	require.NoError(t, ns.Do(func() error {
		code = run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, []string{"browse", "-timeout", "1500ms"})
		return nil
	}))
	require.Empty(t, out.String())
	require.Contains(t, errOut.String(), "no OSCQuery service found")
}

// TestBrowseAcrossHosts: with -http on every address, advertise announces
// on every interface with that interface's addresses; browse on a second
// host lists the address it can reach, and reads HOST_INFO there.
func TestBrowseAcrossHosts(t *testing.T) {
	a, b := netnstest.Pair(t)
	old := browseHTTP
	browseHTTP = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: b.DialContext}}
	t.Cleanup(func() { browseHTTP = old })

	p := startIn(t, a, "advertise", "-http", ":0", "-name", "Desk", "-timeout", "30s", "0")
	for {
		if strings.Contains(next(t, p.err, "advertise's lines"), `announced as "Desk"`) {
			break
		}
	}
	var code int
	var out, errOut strings.Builder
	require.NoError(t, b.Do(func() error {
		code = run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, []string{"browse", "-json", "-interface", b.Link, "-timeout", "2s"})
		return nil
	}))
	require.Zero(t, code, errOut.String())
	var s browsed
	require.NoError(t, json.Unmarshal([]byte(out.String()), &s), out.String())
	require.Equal(t, "Desk", s.Name)
	require.Contains(t, s.Addrs, a.Addr)
	require.NotContains(t, s.Addrs, "127.0.0.1", "lo's address is announced on lo only")
	require.True(t, strings.HasPrefix(s.URL, "http://"+a.Addr+":"), s.URL)
	require.NotNil(t, s.HostInfo, s.HostInfoError)
	require.Equal(t, "Desk", s.HostInfo.Name)
}
