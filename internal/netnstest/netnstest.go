//go:build linux

package netnstest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// NS is a network namespace made for one test.
type NS struct {
	Name string
	// Addr is the namespace's address on the veth link of a Pair
	// ("10.99.0.1" or "10.99.0.2"); empty for a namespace of New.
	Addr string
	// Link is the name of its end of the veth link ("osck0" in both).
	Link string
}

var seq atomic.Int64

// New creates a namespace whose lo is up with multicast on, and a route
// for multicast (224.0.0.0/4) over it, and deletes it when the test ends. The test fails when namespaces cannot be made
// (not root, no ip command) unless OSCKIT_NO_NETNS=1, which skips it.
func New(t testing.TB) *NS {
	t.Helper()
	check(t)
	ns := &NS{Name: fmt.Sprintf("osckit-%d-%d", os.Getpid(), seq.Add(1))}
	run(t, "ip", "netns", "add", ns.Name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns.Name).Run() })
	run(t, "ip", "-n", ns.Name, "link", "set", "lo", "up")
	run(t, "ip", "-n", ns.Name, "link", "set", "lo", "multicast", "on")
	// A route for multicast: programs that do not choose the interface
	// of each packet (node's dgram, a plain UDP socket) need one.
	run(t, "ip", "-n", ns.Name, "route", "add", "224.0.0.0/4", "dev", "lo")
	return ns
}

// Pair creates two namespaces as New does, joined by a veth link with
// 10.99.0.1/24 in the first and 10.99.0.2/24 in the second, and a route
// for multicast (224.0.0.0/4) over it: two hosts on one network.
func Pair(t testing.TB) (*NS, *NS) {
	t.Helper()
	a, b := New(t), New(t)
	a.Addr, b.Addr, a.Link, b.Link = "10.99.0.1", "10.99.0.2", "osck0", "osck0"
	peer := fmt.Sprintf("osckp%d", seq.Add(1))
	run(t, "ip", "-n", a.Name, "link", "add", a.Link, "type", "veth", "peer", "name", peer, "netns", b.Name)
	run(t, "ip", "-n", b.Name, "link", "set", peer, "name", b.Link)
	for _, ns := range []*NS{a, b} {
		run(t, "ip", "-n", ns.Name, "addr", "add", ns.Addr+"/24", "dev", ns.Link)
		run(t, "ip", "-n", ns.Name, "link", "set", ns.Link, "multicast", "on")
		run(t, "ip", "-n", ns.Name, "link", "set", ns.Link, "up")
		run(t, "ip", "-n", ns.Name, "route", "replace", "224.0.0.0/4", "dev", ns.Link)
	}
	return a, b
}

func check(t testing.TB) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "network namespaces need root"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "the ip command (iproute2) is missing"
	}
	if why == "" {
		return
	}
	if os.Getenv("OSCKIT_NO_NETNS") == "1" {
		t.Skipf("skipped: %s, and OSCKIT_NO_NETNS=1", why)
	}
	t.Fatalf("this test makes a network namespace for multicast: %s (run as root, or set OSCKIT_NO_NETNS=1 to skip it)", why)
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// Do runs fn on an OS thread that has entered the namespace, and returns
// its error. Sockets fn creates belong to the namespace for good, whatever
// goroutine uses them afterwards; goroutines fn starts do not run in the
// namespace. The thread is discarded afterwards.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread ends with the goroutine, so that
		// it never runs anything else in the namespace.
		f, err := os.Open("/var/run/netns/" + ns.Name)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// DialContext dials from inside the namespace: an http.Transport's
// DialContext.
func (ns *NS) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// Command returns a command that runs in the namespace (ip netns exec).
func (ns *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}
