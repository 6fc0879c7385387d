package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tmux is a tmux server of its own running one command in a pane.
type tmux struct {
	t    *testing.T
	sock string
}

// newTmux starts cmd in a detached tmux session of width x height; the
// server is killed with the test.
func newTmux(t *testing.T, width, height int, cmd ...string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		missing(t, "tmux (Debian package tmux)")
	}
	m := &tmux{t: t, sock: fmt.Sprintf("osckit-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	args := []string{"new-session", "-d", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height)}
	m.run(append(args, strings.Join(cmd, " "))...)
	t.Cleanup(func() { exec.Command("tmux", "-L", m.sock, "kill-server").Run() })
	return m
}

func (m *tmux) run(args ...string) string {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-L", m.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (m *tmux) capture() string { return m.run("capture-pane", "-p") }

func (m *tmux) keys(keys ...string) { m.run(append([]string{"send-keys"}, keys...)...) }

// await captures the pane until ok accepts it, for up to 15 seconds.
func (m *tmux) await(what string, ok func(screen string) bool) string {
	m.t.Helper()
	var s string
	for range 150 {
		if s = m.capture(); ok(s) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.t.Fatalf("%s: not on the screen within 15s:\n%s", what, s)
	return ""
}

// gone reports whether the session has ended.
func (m *tmux) gone() bool {
	return exec.Command("tmux", "-L", m.sock, "-f", "/dev/null", "has-session").Run() != nil
}

// screenRow returns the fields of the row of an address on a screen.
func screenRow(screen, name string) []string {
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(strings.TrimPrefix(l, ">"))
		if len(f) > 0 && f[0] == name {
			return f
		}
	}
	return nil
}

var urlRe = regexp.MustCompile(`osc\.udp://127\.0\.0\.1:\d+`)

// TestMonitorTUI runs oscli monitor full-screen in tmux (80x24) while
// oscli bench and liblo's oscsend send known traffic, reads the rows,
// rates and values off the screen, and drives it with keys: sort, filter,
// select and history, resize, pause, clear, quit.
func TestMonitorTUI(t *testing.T) {
	oscsend := needOscsend(t)
	m := newTmux(t, 80, 24, oscliPath, "monitor", "-timeout", "90s", "127.0.0.1:0")
	screen := m.await("the endpoint", func(s string) bool { return urlRe.MatchString(s) })
	url := urlRe.FindString(screen)
	port := url[strings.LastIndexByte(url, ':')+1:]
	for _, v := range []string{"0.25", "-3", "7.5"} {
		mustRun(t, nil, oscsend, "127.0.0.1", port, "/mixer/gain", "fs", v, "dB")
	}

	// 8 channels at 50 messages a second each, for 4 seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bench := exec.CommandContext(ctx, oscliPath, "bench", "-profile", "fader", "-channels", "8", "-rate", "400", "-count", "1600", "-wait", "0s", url)
	require.NoError(t, bench.Start())
	screen = m.await("the rate of the channels", func(s string) bool {
		f := screenRow(s, "/ch/01/mix/fader")
		if f == nil {
			return false
		}
		r, _ := strconv.Atoi(f[1])
		return r >= 35 && r <= 65
	})
	if f := strings.Fields(strings.Split(screen, "\n")[5]); !strings.HasPrefix(f[0], "/ch/") {
		t.Errorf("sorted by rate, a channel is not first:\n%s", screen)
	}
	require.NoError(t, bench.Wait())

	screen = m.await("the counts", func(s string) bool {
		f := screenRow(s, "/ch/08/mix/fader")
		return f != nil && f[3] == "200"
	})
	for ch := 1; ch <= 8; ch++ {
		f := screenRow(screen, fmt.Sprintf("/ch/%02d/mix/fader", ch))
		// The sparkline may split in fields where a second had no value.
		k := -1
		if len(f) > 5 {
			k = slices.Index(f[5:], "fb") + 5
		}
		if k < 5 || f[3] != "200" || k+1 >= len(f) || f[k+1] != strconv.FormatFloat(float64(float32(ch)/8), 'g', -1, 32) {
			t.Errorf("channel %d: %q", ch, f)
		}
	}
	if !regexp.MustCompile(`(?m)^packets 16\d\d \(`).MatchString(screen) || !strings.Contains(screen, "malformed 0  dropped 0  kernel drops 0") {
		t.Errorf("header:\n%s", screen)
	}

	// Sort by name: the channels, then /mixer/gain and /oscli/bench/end.
	m.keys("s")
	screen = m.await("sort by name", func(s string) bool { return strings.Contains(s, "sort name") })
	var names []string
	for _, l := range strings.Split(screen, "\n")[5:] {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[0], "/") && f[1] != "filter" {
			names = append(names, f[0])
		}
	}
	if len(names) < 10 || names[0] != "/ch/01/mix/fader" || names[8] != "/mixer/gain" || !slices.IsSorted(names) {
		t.Errorf("sorted by name: %q", names)
	}
	m.keys("/", "g", "a", "i", "n", "Enter")
	screen = m.await("the filter", func(s string) bool {
		return strings.Contains(s, "filter gain") && screenRow(s, "/ch/01/mix/fader") == nil
	})
	g := screenRow(screen, "/mixer/gain")
	if len(g) < 8 || g[3] != "3" || strings.Join(g[len(g)-3:], " ") != `fs 7.5 "dB"` {
		t.Errorf("/mixer/gain row %q in\n%s", g, screen)
	}
	m.keys("Down", "Enter")
	screen = m.await("the history", func(s string) bool { return strings.Contains(s, "range    -3 .. 7.5") })
	if !strings.Contains(screen, `last     fs 7.5 "dB"`) || !strings.Contains(screen, "messages 3 ") {
		t.Errorf("history screen:\n%s", screen)
	}
	m.keys("Escape", "Escape", "/", "Escape")
	m.run("resize-window", "-x", "120", "-y", "30")
	screen = m.await("the wide table", func(s string) bool { return strings.Contains(s, "RANGE") && screenRow(s, "/ch/01/mix/fader") != nil })
	if f := screenRow(screen, "/mixer/gain"); f == nil || f[4] != "-3..7.5" {
		t.Errorf("wide /mixer/gain row %q in\n%s", f, screen)
	}
	if n := len(strings.Split(strings.TrimRight(screen, "\n"), "\n")); n > 30 {
		t.Errorf("%d lines on a 30-line screen", n)
	}
	m.keys("p")
	m.await("pause", func(s string) bool { return strings.Contains(s, "PAUSED") })
	m.keys("p", "c")
	m.await("clear", func(s string) bool { return strings.Contains(s, "packets 0 ") && screenRow(s, "/mixer/gain") == nil })
	m.keys("q")
	for i := 0; i < 100 && !m.gone(); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if !m.gone() {
		t.Fatalf("q did not end oscli monitor:\n%s", m.capture())
	}
}

// TestMonitorKeepUp sends toward 200,000 messages a second over 1,000
// addresses with oscli bench and checks that oscli monitor -plain counted
// every one the kernel delivered, and that the kernel delivered them all
// or counted what it dropped.
func TestMonitorKeepUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mon := exec.CommandContext(ctx, oscliPath, "monitor", "-plain", "-interval", "200ms", "-sort", "name", "-rows", "1100", "127.0.0.1:0")
	stdout, err := mon.StdoutPipe()
	require.NoError(t, err)
	stderr, err := mon.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, mon.Start())
	defer func() { mon.Process.Kill(); mon.Wait() }()
	line, err := bufio.NewReader(stderr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, stderr)
	url := urlRe.FindString(line)
	if url == "" {
		t.Fatalf("no URL in %q", line)
	}
	out := oscli(t, nil, "bench", "-profile", "fader", "-channels", "1000", "-rate", "200000", "-duration", "2s", "-workers", "2", "-wait", "0s", "-json", url)
	var rep struct {
		Sent     uint64  `json:"sent"`
		SentRate float64 `json:"sent_rate"`
	}
	require.NoError(t, json.Unmarshal(out, &rep))
	t.Logf("bench sent %d messages at %.0f/s", rep.Sent, rep.SentRate)

	// Read tables until the count has not moved for a second (the traffic
	// has ended and the socket is drained): two tables in a row are not
	// enough, as a table printed late is followed by one printed at once.
	headRe := regexp.MustCompile(`^packets (\d+) `)
	dropRe := regexp.MustCompile(`^malformed (\d+)  dropped (\d+)  kernel drops (\d+)  addresses (\d+)`)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	var prev, packets, dropped, rows, counted, end uint64
	changed := time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var lines []string
		for sc.Scan() && sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
		if len(lines) < 4 {
			t.Fatalf("table %q (%v)", lines, sc.Err())
		}
		h, d := headRe.FindStringSubmatch(lines[0]), dropRe.FindStringSubmatch(lines[1])
		if h == nil || d == nil {
			t.Fatalf("header %q", lines[:2])
		}
		packets, _ = strconv.ParseUint(h[1], 10, 64)
		dr, _ := strconv.ParseUint(d[2], 10, 64)
		kd, _ := strconv.ParseUint(d[3], 10, 64)
		dropped = dr + kd
		rows, _ = strconv.ParseUint(d[4], 10, 64)
		counted, end = 0, 0
		for _, l := range lines[4:] {
			f := strings.Fields(l)
			n, _ := strconv.ParseUint(f[3], 10, 64)
			if f[0] == "/oscli/bench/end" {
				end = n
				continue
			}
			counted += n
		}
		if packets != prev {
			prev, changed = packets, time.Now()
		} else if packets > 0 && time.Since(changed) >= time.Second {
			break
		}
	}
	t.Logf("monitor: %d packets, %d rows, %d counted, %d dropped", packets, rows, counted, dropped)
	if rows != 1001 {
		t.Errorf("%d addresses, want 1000 and /oscli/bench/end", rows)
	}
	if packets != counted+end {
		t.Errorf("header says %d packets, the rows %d", packets, counted+end)
	}
	if counted+dropped != rep.Sent {
		t.Errorf("sent %d, counted %d and dropped %d", rep.Sent, counted, dropped)
	}
}

// TestMonitorTUISignal: an interrupt or a terminate signal ends the
// full-screen monitor cleanly (exit status 0), as it ends oscli dump.
func TestMonitorTUISignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			pidFile, statusFile := dir+"/pid", dir+"/status"
			script := fmt.Sprintf(`echo $$ > %s; %s monitor -timeout 60s 127.0.0.1:0; echo $? > %s; sleep 60`, pidFile, oscliPath, statusFile)
			m := newTmux(t, 80, 24, "sh", "-c", strconv.Quote(script))
			m.await("the endpoint", func(s string) bool { return urlRe.MatchString(s) })
			shPID, err := os.ReadFile(pidFile)
			require.NoError(t, err)
			pid := strings.TrimSpace(string(shPID))
			children, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
			require.NoError(t, err)
			f := strings.Fields(string(children))
			require.Len(t, f, 1, "children of the shell: %q", children)
			child, err := strconv.Atoi(f[0])
			require.NoError(t, err)
			proc, err := os.FindProcess(child)
			require.NoError(t, err)
			require.NoError(t, proc.Signal(sig))
			var status []byte
			for range 100 {
				if status, err = os.ReadFile(statusFile); err == nil && len(status) > 0 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			require.NoError(t, err, "oscli monitor did not end within 10s of %v:\n%s", sig, m.capture())
			require.Equal(t, "0", strings.TrimSpace(string(status)), "exit status after %v:\n%s", sig, m.capture())
		})
	}
}
