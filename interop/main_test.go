package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/osckit/osc/internal/leakcheck"
)

// oscliPath is the oscli binary built for this test run.
var oscliPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "oscli-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	oscliPath = filepath.Join(dir, "oscli")
	// go test puts the toolchain's bin directory first on PATH.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", oscliPath, "github.com/osckit/osc/cmd/oscli").CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building oscli: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := leakcheck.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// missing fails the test because a peer is not installed, or skips it when
// OSCKIT_NO_PEERS=1.
func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("OSCKIT_NO_PEERS") == "1" {
		t.Skipf("peer %s is not installed (OSCKIT_NO_PEERS=1)", what)
	}
	t.Fatalf("peer %s is not installed: run .ci/install-peers.sh as root (make peers), or set OSCKIT_NO_PEERS=1 to skip the peer tests", what)
}

// needOscsend returns the path of liblo's oscsend.
func needOscsend(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("oscsend")
	if err != nil {
		missing(t, "oscsend (Debian package liblo-tools)")
	}
	return p
}

// needOscjs checks for node, osc.js and ws in js/node_modules.
func needOscjs(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		missing(t, "node (Debian package nodejs)")
	}
	if _, err := os.Stat(filepath.Join("js", "node_modules", "osc", "package.json")); err != nil {
		missing(t, "osc.js (npm ci in interop/js)")
	}
	if _, err := os.Stat(filepath.Join("js", "node_modules", "ws", "package.json")); err != nil {
		missing(t, "npm ws (npm ci in interop/js)")
	}
}

// result is what a finished process printed.
type result struct {
	code   int
	stdout []byte
	stderr string
}

// run runs a process with stdin, bounded to 30 seconds.
func run(t *testing.T, stdin []byte, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out", name, strings.Join(args, " "))
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return result{code: code, stdout: out.Bytes(), stderr: errOut.String()}
}

// mustRun is run that fails the test on a non-zero exit status.
func mustRun(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	r := run(t, stdin, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit status %d: %s", filepath.Base(name), strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// oscli runs the oscli binary and fails the test unless it succeeds.
func oscli(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	return mustRun(t, stdin, oscliPath, args...)
}

// lines joins packets in the JSON form (or hex) one a line.
func lines(ss []string) []byte { return []byte(strings.Join(ss, "\n") + "\n") }
