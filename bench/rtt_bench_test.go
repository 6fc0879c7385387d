//go:build linux

package bench

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	osc "github.com/osckit/osc"
	"github.com/osckit/osc/bench/cpeer"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
	"golang.org/x/sys/unix"
)

// Round-trip bounds.
const (
	rttWarmup  = 200             // round trips before the measured ones
	rttTimeout = 2 * time.Second // one reply later than this fails the run
)

// BenchmarkRoundTrip measures the latency of a 64-byte ping-pong on
// loopback, one message in flight: the pinger sends the receive
// benchmarks' message (/mixer/ch/1/gain ,iiffffff), the echo answers it to
// its sender, and the pinger waits for the answer before the next. ns/op is
// the mean round trip; p50-us, p99-us and p99.9-us come from a log-linear
// histogram of every round trip (latencyHist), max-us is the slowest.
//
// osckit is a Client (Write, then Receive and ParseArgs of the reply)
// against an osc.Server whose router handler reads the eight arguments and
// answers the message with ResponseWriter.Write, both with their default
// settings (Receive is given a context with a deadline, so it waits in the
// runtime's poller); osckit-block is
// the same pair with the server's UDPConfig.BlockingRead set and Receive
// given context.Background(), so that both sides wait in a blocking
// recvmmsg, as the C peers do, instead of the runtime's poller. liblo is a lo_server
// pinger (lo_send_message_from, lo_server_recv_noblock dispatching the
// reply to a method) against a lo_server echo whose method sends the
// message back to its source. cmmsg is a C pinger (send, recv on a
// connected socket) against a C echo that answers with sendmmsg what
// recvmmsg returned: the floor for a round trip through the kernel. gostd
// is the same pair in Go with the standard library (a connected UDPConn's
// Write and Read against ReadFromUDPAddrPort and WriteToUDPAddrPort):
// the Go runtime's floor, through its poller; goblock is gostd with both
// sockets in blocking mode, the floor of osckit-block through package net;
// goraw is the C pair's system calls made from goroutines, with neither
// package net nor the poller (rawPinger): the floor of any Go program. A
// missing reply ends
// the run with a failure, for every pinger: the C pingers wait rttTimeout,
// the Go ones under a watchdog that gives up after rttTimeout to 1.25
// rttTimeout without progress (goblock's failure says whether a datagram
// was left queued on either socket).
func BenchmarkRoundTrip(b *testing.B) {
	for _, name := range []string{"osckit", "osckit-block", "liblo", "cmmsg", "gostd", "goblock", "goraw"} {
		b.Run(name, func(b *testing.B) {
			p := newPinger(b, name)
			defer p.close()
			if n := p.ping(make([]time.Duration, rttWarmup)); n != rttWarmup {
				p.fail(b, name+" warm-up", n, rttWarmup)
			}
			rtt := make([]time.Duration, b.N)
			var n int
			b.ReportAllocs()
			if p.c {
				b.ResetTimer()
				allocs, bytes := cpeer.Allocs(func() { n = p.ping(rtt) })
				b.StopTimer()
				b.ReportMetric(float64(allocs)/float64(b.N), "allocs/op")
				b.ReportMetric(float64(bytes)/float64(b.N), "B/op")
			} else {
				b.ResetTimer()
				n = p.ping(rtt)
				b.StopTimer()
			}
			if n != len(rtt) {
				p.fail(b, name, n, len(rtt))
			}
			var h latencyHist
			for _, d := range rtt {
				h.record(d)
			}
			us := func(d time.Duration) float64 { return float64(d) / 1e3 }
			b.ReportMetric(us(h.quantile(0.5)), "p50-us")
			b.ReportMetric(us(h.quantile(0.99)), "p99-us")
			b.ReportMetric(us(h.quantile(0.999)), "p99.9-us")
			b.ReportMetric(us(time.Duration(h.max)), "max-us")
		})
	}
}

// rttBlock is the number of round trips each pinger makes in turn in
// BenchmarkRoundTripRatio, twice per iteration.
const rttBlock = 250

// BenchmarkRoundTripRatio interleaves the pingers of BenchmarkRoundTrip in
// blocks of rttBlock round trips (osckit, cmmsg, liblo, gostd,
// osckit-block, goblock, goraw, then back in the reverse order, each
// iteration), so that the machine's drift weighs on all alike, and reports
// each one's p50 and p99 over the whole run, the ratios of osckit's p50 to
// cmmsg's, liblo's and gostd's, of osckit-block's to cmmsg's, goblock's and
// goraw's, and of goblock's and goraw's to cmmsg's. Without the C peers it
// skips.
//
// It runs twice: cpus=any leaves every thread where the scheduler puts it,
// cpus=same pins the whole process, C threads included, to one CPU. A
// pinger and its echo that wait in the kernel are woken either on the CPU
// of the thread that wakes them or on another, whose virtual CPU may have
// halted meanwhile and takes microseconds to resume: which pair is lucky
// decides an unpinned run's p50 more than their code does. On one CPU
// every wake-up takes the same path.
func BenchmarkRoundTripRatio(b *testing.B) {
	if !cpeer.Available {
		b.Skip("built without the C peers")
	}
	for _, p := range []placement{placeAny, placeSame} {
		b.Run("cpus="+p.String(), func(b *testing.B) {
			if p == placeSame {
				cpu, _ := placeCPUs(b, p)
				defer unpin(b)
				pin(b, cpu)
			}
			roundTripRatio(b)
		})
	}
}

func roundTripRatio(b *testing.B) {
	names := []string{"osckit", "cmmsg", "liblo", "gostd", "osckit-block", "goblock", "goraw"}
	hs := interleave(b, names, newPinger)
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	for i, name := range names {
		b.ReportMetric(us(hs[i].quantile(0.5)), name+"-p50-us")
		b.ReportMetric(us(hs[i].quantile(0.99)), name+"-p99-us")
	}
	p50 := func(i int) float64 { return float64(hs[i].quantile(0.5)) }
	b.ReportMetric(p50(0)/p50(1), "p50-vs-cmmsg")
	b.ReportMetric(p50(0)/p50(2), "p50-vs-liblo")
	b.ReportMetric(p50(0)/p50(3), "p50-vs-gostd")
	b.ReportMetric(p50(4)/p50(1), "block-p50-vs-cmmsg")
	b.ReportMetric(p50(4)/p50(5), "block-p50-vs-goblock")
	b.ReportMetric(p50(5)/p50(1), "goblock-p50-vs-cmmsg")
	b.ReportMetric(p50(4)/p50(6), "block-p50-vs-goraw")
	b.ReportMetric(p50(6)/p50(1), "goraw-p50-vs-cmmsg")
	b.ReportMetric(0, "ns/op")
}

// interleave starts a pinger per name, warms each up, then has them make
// rttBlock round trips each in turn, forwards and back, every iteration of
// b.Loop, so that the machine's drift weighs on all alike; it returns each
// one's histogram and closes them.
func interleave(b *testing.B, names []string, start func(*testing.B, string) pinger) []latencyHist {
	ps := make([]pinger, len(names))
	hs := make([]latencyHist, len(names))
	for i, name := range names {
		ps[i] = start(b, name)
		defer ps[i].close()
		if n := ps[i].ping(make([]time.Duration, rttWarmup)); n != rttWarmup {
			ps[i].fail(b, name+" warm-up", n, rttWarmup)
		}
	}
	rtt := make([]time.Duration, rttBlock)
	for b.Loop() {
		for k := range 2 * len(ps) {
			i := k
			if k >= len(ps) {
				i = 2*len(ps) - 1 - k
			}
			if n := ps[i].ping(rtt); n != len(rtt) {
				ps[i].fail(b, names[i], n, len(rtt))
			}
			for _, d := range rtt {
				hs[i].record(d)
			}
		}
	}
	return hs
}

// pinger is one side of a round-trip benchmark with its echo running:
// ping fills rtt with round trips, one after the other, and returns how
// many it completed; c tells a C pinger (its allocations are C's).
type pinger struct {
	ping    func(rtt []time.Duration) int
	close   func()
	c       bool
	stalled func() string // why a Go pinger's run ended early ("" if it did not stall)
}

// fail ends the benchmark after p completed n of want round trips.
func (p pinger) fail(b *testing.B, name string, n, want int) {
	why := fmt.Sprintf("no reply within %v", rttTimeout) // what ends a C pinger early
	if p.stalled != nil {
		why = "a write or read failed, or a reply did not read back"
		if s := p.stalled(); s != "" {
			why = s
		}
	}
	b.Fatalf("%s: %d of %d round trips (%s)", name, n, want, why)
}

func newPinger(b *testing.B, name string) pinger {
	switch name {
	case "osckit":
		return osckitPinger(b, recvMessage(b, 1), false)
	case "osckit-block":
		return osckitPinger(b, recvMessage(b, 1), true)
	case "gostd":
		return gostdPinger(b, recvMessage(b, 1), false)
	case "goblock":
		return gostdPinger(b, recvMessage(b, 1), true)
	case "goraw":
		return rawPinger(b, recvMessage(b, 1))
	}
	if !cpeer.Available {
		b.Skip("built without the C peers")
	}
	var e *cpeer.Echo
	var err error
	var ping func(rtt []time.Duration) int
	switch name {
	case "liblo":
		e, err = cpeer.StartLibloEcho(recvAddress)
		ping = func(rtt []time.Duration) int { return cpeer.LibloPing(e.Port, recvAddress, rtt, rttTimeout) }
	case "cmmsg":
		msg := recvMessage(b, 1)
		e, err = cpeer.StartMmsgEcho()
		ping = func(rtt []time.Duration) int { return cpeer.UDPPing(e.Port, msg, rtt, rttTimeout) }
	default:
		b.Fatalf("no pinger %q", name)
	}
	if err != nil {
		b.Fatal(err)
	}
	return pinger{ping: ping, close: e.Stop, c: true}
}

// osckitPinger starts an osckit server and client. With block, the
// server's UDPConfig.BlockingRead is set and the client's Receive is given
// context.Background(), so that both wait for their datagram in a blocking
// system call instead of the runtime's poller. Without, the server has the
// default settings and Receive a context with a deadline (an hour away: it
// is there to make Receive set a read deadline and wait in the poller, as a
// caller with a timeout would). Either way a watchdog closes the pair when
// no reply comes for rttTimeout, which ends the Receive waiting for it: a
// lost datagram fails the run in seconds.
func osckitPinger(b *testing.B, msg []byte, block bool) pinger {
	r := router.New()
	r.HandleFunc(recvAddress, func(w router.ResponseWriter, req *router.Request) {
		if sumArgs(req) >= 0 {
			_, _ = w.Write(req.Message.Bytes())
		}
	})
	srv := &osc.Server{Handler: r, Logger: quiet}
	srv.UDP.BlockingRead = block
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	c, err := osc.Dial("osc.udp://" + ep.Addr().(*net.UDPAddr).String())
	if err != nil {
		srv.Close()
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	if block {
		ctx = context.Background()
	}
	closeAll := func() { cancel(); c.Close(); srv.Close() }
	wd := startWatchdog(rttTimeout, closeAll, nil)
	var argv [8]wire.Arg
	ping := func(rtt []time.Duration) int {
		wd.begin()
		defer wd.end()
		for i := range rtt {
			t0 := time.Now()
			if _, err := c.Write(msg); err != nil {
				return i
			}
			pkt, err := c.Receive(ctx)
			if err != nil {
				return i
			}
			d := time.Since(t0)
			if _, args, err := strict.ParseArgs(pkt, argv[:0]); err != nil || len(args) != 8 {
				return i
			}
			rtt[i] = d
			wd.tick()
		}
		return len(rtt)
	}
	return pinger{ping: ping, close: func() { wd.stop(); closeAll() }, stalled: wd.stalled}
}

// gostdPinger is a ping-pong with the standard library only: an echo
// goroutine reading with ReadFromUDPAddrPort and answering with
// WriteToUDPAddrPort, and a connected UDPConn that writes and reads. With
// block both sockets are switched to blocking mode (O_NONBLOCK cleared),
// so that the same calls wait in the kernel instead of the runtime's
// poller: the Go floor of osckit-block.
func gostdPinger(b *testing.B, msg []byte, block bool) pinger {
	echo, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := echo.ReadFromUDPAddrPort(buf)
			if err != nil || !from.IsValid() { // closed, or shut down (block)
				return
			}
			_, _ = echo.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	c, err := net.DialUDP("udp4", nil, echo.LocalAddr().(*net.UDPAddr))
	if err != nil {
		echo.Close()
		b.Fatal(err)
	}
	closeAll := func() { c.Close(); echo.Close() }
	if block {
		setBlocking(b, echo)
		setBlocking(b, c)
		// A blocked read holds the socket: shut both down first so that
		// their reads end, then close them.
		closeAll = func() { shutRead(c); shutRead(echo); c.Close(); echo.Close() }
	}
	// What the two sockets hold when a reply is late: a datagram queued
	// where nobody reads it, or none (lost).
	queued := func() string {
		return fmt.Sprintf("next queued datagram: pinger %d bytes, echo %d bytes (0: none)", inq(c), inq(echo))
	}
	wd := startWatchdog(rttTimeout, closeAll, queued)
	buf := make([]byte, 2048)
	ping := func(rtt []time.Duration) int {
		wd.begin()
		defer wd.end()
		// A read deadline as a caller with a timeout would set (once per
		// call, not per round trip); the watchdog, not the deadline, ends
		// a wait for a lost reply.
		if err := c.SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
			return 0
		}
		for i := range rtt {
			t0 := time.Now()
			if _, err := c.Write(msg); err != nil {
				return i
			}
			n, err := c.Read(buf)
			if err != nil || n != len(msg) {
				return i
			}
			rtt[i] = time.Since(t0)
			wd.tick()
		}
		return len(rtt)
	}
	return pinger{ping: ping, close: func() { wd.stop(); closeAll() }, stalled: wd.stalled}
}

// inq is the length of the next datagram queued on c's socket, 0 if none
// (SIOCINQ on a UDP socket), or -1 if it cannot be had.
func inq(c *net.UDPConn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	_ = rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil {
			n = v
		}
	})
	return n
}

func setBlocking(b *testing.B, c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil || serr != nil {
		b.Fatal(err, serr)
	}
}

func shutRead(c *net.UDPConn) {
	if rc, err := c.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = syscall.Shutdown(int(fd), syscall.SHUT_RD) })
	}
}

// watchdog ends a Go pinger's round trips when one waits for its reply
// longer than rttTimeout: the pingers wait without a deadline (a blocking
// read has none, and a deadline per round trip would be part of what is
// timed), so a lost datagram would otherwise hold the run for good. tick,
// called after each timed round trip, is outside the timed part.
type watchdog struct {
	n      atomic.Int64 // round trips completed
	active atomic.Bool  // a ping is under way
	why    atomic.Pointer[string]
	done   chan struct{}
	exited chan struct{} // closed when the checking goroutine has returned
}

// startWatchdog checks, four times per period, that a ping under way has
// made progress within the last period; when it has not, it records why
// (with detail's account, if any) and calls onStall, which must end the
// wait. It fires between one and 1.25 periods after the last progress.
func startWatchdog(period time.Duration, onStall func(), detail func() string) *watchdog {
	w := &watchdog{done: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(w.exited)
		t := time.NewTicker(period / 4)
		defer t.Stop()
		last, was, since := int64(-1), false, time.Now()
		for {
			var now time.Time
			select {
			case <-w.done:
				return
			case now = <-t.C:
			}
			n, on := w.n.Load(), w.active.Load()
			if n != last || !on || !was {
				last, was, since = n, on, now
				continue
			}
			if now.Sub(since) >= period {
				why := fmt.Sprintf("no reply within %v", period)
				if detail != nil {
					why += "; " + detail()
				}
				w.why.Store(&why)
				onStall()
				return
			}
		}
	}()
	return w
}

func (w *watchdog) begin() { w.active.Store(true) }
func (w *watchdog) end()   { w.active.Store(false) }
func (w *watchdog) tick()  { w.n.Add(1) }

// stop ends the watchdog; once it returns, onStall is not running and will
// not run, so the caller may close what onStall would have shut down.
func (w *watchdog) stop() {
	close(w.done)
	<-w.exited
}

func (w *watchdog) stalled() string {
	if s := w.why.Load(); s != nil {
		return *s
	}
	return ""
}
