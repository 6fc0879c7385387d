// Package leakcheck fails a test binary whose tests leave goroutines
// running: a server, reader or timer loop that outlives its Close.
//
// Call it from the package's TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// After the tests pass it lists the goroutines (runtime.Stack) and ignores
// those that existed before the tests, the one it runs on, and those of
// the runtime and package testing. If others remain it waits for them to
// exit, up to Timeout, and then fails the binary, printing their stacks. It
// uses nothing beyond the standard library.
package leakcheck

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Timeout is how long Main and Run wait for goroutines to exit after the
// tests before they call them leaked.
var Timeout = 5 * time.Second

// Main runs the tests, checks for leaked goroutines if they passed, and
// exits the process.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit, for a TestMain that has to clean up after
// the tests: it returns the exit code, which is 1 when goroutines leaked.
//
//	code := leakcheck.Run(m)
//	cleanUp()
//	os.Exit(code)
func Run(m *testing.M) int {
	before := make(map[int]bool)
	for _, g := range goroutines() {
		before[g.id] = true
	}
	code := m.Run()
	if code != 0 {
		return code // the failures say more than the goroutines they left
	}
	if leaked := find(before, Timeout); len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "leakcheck: %d goroutine(s) still running %v after the tests:\n\n%s\n",
			len(leaked), Timeout, strings.Join(leaked, "\n\n"))
		return 1
	}
	return 0
}

// find returns the stacks of the goroutines that are neither in ignore nor
// the runtime's or testing's own, after waiting up to wait for them to
// exit.
func find(ignore map[int]bool, wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	pause := time.Millisecond
	for {
		var leaked []string
		for _, g := range goroutines() {
			if !ignore[g.id] && !g.own() {
				leaked = append(leaked, g.stack)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// goroutine is one goroutine of a runtime.Stack dump.
type goroutine struct {
	id    int
	top   string // the function it is in, "runtime.gopark" style
	stack string // its part of the dump, header included
}

// own reports a goroutine of the runtime, of package testing, or the one
// running the check.
func (g goroutine) own() bool {
	if g.id == currentID() {
		return true
	}
	for _, p := range []string{"runtime.", "testing.", "os/signal."} {
		if strings.HasPrefix(g.top, p) {
			return true
		}
	}
	return false
}

// goroutines lists every goroutine.
func goroutines() []goroutine {
	return parse(dump(true))
}

func currentID() int {
	gs := parse(dump(false))
	if len(gs) == 0 {
		return -1
	}
	return gs[0].id
}

// dump returns runtime.Stack's text, growing the buffer until it fits.
func dump(all bool) []byte {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, all)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// parse splits a runtime.Stack dump into goroutines. Each starts with a
// line "goroutine 7 [chan receive]:" and ends at a blank line; its first
// frame names the function it is in.
func parse(b []byte) []goroutine {
	var gs []goroutine
	for _, block := range bytes.Split(b, []byte("\n\n")) {
		lines := strings.Split(strings.TrimSpace(string(block)), "\n")
		f := strings.Fields(lines[0])
		if len(f) < 2 || f[0] != "goroutine" {
			continue
		}
		id, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		g := goroutine{id: id, stack: strings.Join(lines, "\n")}
		if len(lines) > 1 {
			g.top = lines[1]
			if i := strings.LastIndexByte(g.top, '('); i > 0 {
				g.top = g.top[:i]
			}
		}
		gs = append(gs, g)
	}
	return gs
}
