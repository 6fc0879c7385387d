package leakcheck

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func current() map[int]bool {
	ids := make(map[int]bool)
	for _, g := range goroutines() {
		ids[g.id] = true
	}
	return ids
}

// leaky blocks until stop is closed: the goroutine the tests leak.
func leaky(stop chan struct{}) { <-stop }

func TestFindsLeak(t *testing.T) {
	before := current()
	stop := make(chan struct{})
	go leaky(stop)
	leaked := find(before, 50*time.Millisecond)
	close(stop)
	if len(leaked) != 1 || !strings.Contains(leaked[0], "leakcheck.leaky(") {
		t.Fatalf("want the one leaky goroutine, got %d:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
	if leaked := find(before, 5*time.Second); len(leaked) != 0 {
		t.Fatalf("after it exited:\n%s", strings.Join(leaked, "\n\n"))
	}
}

func TestWaitsForExit(t *testing.T) {
	before := current()
	stop := make(chan struct{})
	go leaky(stop)
	time.AfterFunc(20*time.Millisecond, func() { close(stop) })
	if leaked := find(before, 5*time.Second); len(leaked) != 0 {
		t.Fatalf("a goroutine that exits within the timeout is no leak:\n%s", strings.Join(leaked, "\n\n"))
	}
}

func TestParse(t *testing.T) {
	dump := "goroutine 1 [running]:\nmain.main()\n\t/x/main.go:9 +0x1d\n\n" +
		"goroutine 18 [chan receive, 2 minutes]:\nexample.com/p.(*Server).loop(0xc000010000)\n\t/x/p.go:40 +0x25\ncreated by example.com/p.Start in goroutine 1\n\t/x/p.go:30 +0x3e\n\n" +
		"goroutine 7 [select]:\ntesting.(*M).startAlarm.func1()\n\t/go/src/testing/testing.go:2400 +0x10\n"
	gs := parse([]byte(dump))
	if len(gs) != 3 {
		t.Fatalf("%d goroutines, want 3", len(gs))
	}
	if gs[1].id != 18 || gs[1].top != "example.com/p.(*Server).loop" || gs[1].own() {
		t.Fatalf("second goroutine: %+v", gs[1])
	}
	if !gs[2].own() {
		t.Fatalf("testing's goroutine is not ignored: %+v", gs[2])
	}
}

// TestLeakyChild leaks a goroutine when run by TestRunFailsOnLeak.
func TestLeakyChild(t *testing.T) {
	if os.Getenv("LEAKCHECK_CHILD") != "1" {
		t.Skip("run by TestRunFailsOnLeak")
	}
	Timeout = 200 * time.Millisecond
	go leaky(make(chan struct{}))
}

// TestRunFailsOnLeak runs this test binary again with a test that leaks,
// and expects Main to fail it and name the leaked goroutine.
func TestRunFailsOnLeak(t *testing.T) {
	if os.Getenv("LEAKCHECK_CHILD") == "1" {
		t.Skip("in the child")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeakyChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LEAKCHECK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("the child passed (err %v):\n%s", err, out)
	}
	if !strings.Contains(string(out), "leakcheck: 1 goroutine(s) still running") || !strings.Contains(string(out), "leakcheck.leaky(") {
		t.Fatalf("the child's output does not name the leak:\n%s", out)
	}
}
