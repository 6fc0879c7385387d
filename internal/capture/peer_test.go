package capture

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// peer finds a real tool installed by .ci/install-peers.sh; without it the
// test fails, unless OSCKIT_NO_PEERS=1 asks to skip.
func peer(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("OSCKIT_NO_PEERS") == "1" {
		t.Skipf("%s not installed (OSCKIT_NO_PEERS=1)", name)
	}
	t.Fatalf("%s not installed: run .ci/install-peers.sh as root, or set OSCKIT_NO_PEERS=1 to skip", name)
	return ""
}

// tsharkPaths returns the OSC message paths tshark decodes in file, one a
// line, with OSC's UDP heuristic on; extra adds tshark options such as
// -d tcp.port==N,osc.
func tsharkPaths(t *testing.T, tshark, file string, extra ...string) string {
	t.Helper()
	args := append([]string{"-n", "-r", file, "--enable-heuristic", "osc_udp"}, extra...)
	cmd := exec.Command(tshark, append(args,
		"-Y", "osc", "-T", "fields", "-e", "osc.message.header.path", "-E", "occurrence=a", "-E", "aggregator=\n")...)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("tshark: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("tshark: %v", err)
	}
	return strings.ReplaceAll(string(out), "\n\n", "\n")
}
