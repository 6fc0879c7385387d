//go:build linux

package bench

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	chabad "github.com/chabad360/go-osc/osc"
	hypebeast "github.com/hypebeast/go-osc/osc"

	osc "github.com/osckit/osc"
	"github.com/osckit/osc/bench/cpeer"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// drainCount is the number of datagrams of one pre-filled round.
const drainCount = 100_000

// BenchmarkUDPReceive measures how fast each receiver drains a socket
// pre-filled with drainCount 64-byte messages: the sender runs first (UDP
// GSO into a 256 MiB receive buffer) while the receiver does not read, and
// only the drain is timed, so the figure is the receiver's alone. Each round
// opens a fresh socket and receiver. msgs/s is messages handled per second
// of drain; loss-% is the share of the datagrams sent that no handler saw;
// cpu-ns/msg is the process's CPU time during the drains per message
// handled (see drainCPU), which a loaded machine stretches less than the
// wall-clock rate.
//
// osckit is an osc.Server UDP endpoint whose router handler reads the
// arguments (recvmmsg, decode, schedule, dispatch). hypebeast and chabad360
// run their own Server.Serve with a StandardDispatcher handler reading the
// arguments. rawmmsg is the ceiling: a bare recvmmsg loop, 64 per call,
// that decodes nothing. osckit-count is osckit with a handler that counts
// the messages without reading their arguments, to show what the argument
// reads cost. The C receivers (package cpeer) drain sockets filled the same
// way: liblo is its lo_server with a method reading the arguments
// (lo_server_recv_noblock: poll, recvfrom, dispatch), crecvmmsg the bare
// loop of rawmmsg written in C, the kernel's ceiling for one thread.
// rawsyscall is rawmmsg calling recvmmsg through RawSyscall6.
func BenchmarkUDPReceive(b *testing.B) {
	data := burst(b, drainCount)
	receivers := []struct {
		name  string
		round func(b *testing.B, data []byte) (int64, time.Duration)
	}{
		{"osckit", func(b *testing.B, data []byte) (int64, time.Duration) { return osckitRound(b, data, true) }},
		{"osckit-count", func(b *testing.B, data []byte) (int64, time.Duration) { return osckitRound(b, data, false) }},
		{"hypebeast", hypebeastRound},
		{"chabad360", chabadRound},
		{"rawmmsg", rawRound},
		{"rawsyscall", rawSysRound},
		{"crecvmmsg", crecvmmsgRound},
		{"liblo", libloRound},
	}
	for _, rc := range receivers {
		b.Run(rc.name, func(b *testing.B) {
			if (rc.name == "liblo" || rc.name == "crecvmmsg") && !cpeer.Available {
				b.Skip("built without the C peers")
			}
			var handled, sent int64
			var drain, cpu time.Duration
			for b.Loop() {
				n, d := rc.round(b, data)
				handled += n
				sent += drainCount
				drain += d
				cpu += drainCPU
			}
			reportDrain(b, handled, sent, drain)
			b.ReportMetric(float64(cpu)/float64(max(handled, 1)), "cpu-ns/msg")
		})
	}
}

// BenchmarkUDPReceiveRatio runs rounds of BenchmarkUDPReceive alternately,
// osckit, rawmmsg, crecvmmsg, liblo and back in the reverse order, so that
// a change in the machine's speed weighs on all alike, and reports their
// rates and ratios: ratio is osckit over rawmmsg (the Go ceiling),
// vs-crecvmmsg osckit over the C loop, vs-liblo osckit over liblo,
// raw-vs-c rawmmsg over the C loop and rawsys-vs-c rawsyscall over the C
// loop. Each receiver's CPU time per message is reported too
// (name-cpu-ns/msg), and the same ratios of the rates per CPU second
// (cpu-ratio, cpu-vs-crecvmmsg, cpu-vs-liblo, cpu-raw-vs-c). Without the C
// peers only osckit, rawmmsg and rawsyscall run.
//
// It runs three times, once per placement of the rounds (see placement):
// cpus=any leaves every thread where the scheduler puts it; cpus=same
// pins the whole process to one CPU, fill and drain; cpus=cross fills on
// one CPU and drains on another, so that every receiver hands each
// datagram's buffer back to the sender's CPU. The pinned runs are the
// like-for-like comparisons; cpus=any shows what luck adds.
func BenchmarkUDPReceiveRatio(b *testing.B) {
	for _, p := range []placement{placeAny, placeSame, placeCross} {
		b.Run("cpus="+p.String(), func(b *testing.B) {
			runPlaced(b, p, func() { udpReceiveRatio(b) })
		})
	}
}

func udpReceiveRatio(b *testing.B) {
	data := burst(b, drainCount)
	rounds := []struct {
		name  string
		round func(b *testing.B, data []byte) (int64, time.Duration)
	}{
		{"osckit", func(b *testing.B, data []byte) (int64, time.Duration) { return osckitRound(b, data, true) }},
		{"rawmmsg", rawRound},
		{"rawsyscall", rawSysRound},
		{"crecvmmsg", crecvmmsgRound},
		{"liblo", libloRound},
	}
	if !cpeer.Available {
		rounds = rounds[:3]
	}
	n := make([]int64, len(rounds))
	d := make([]time.Duration, len(rounds))
	cpu := make([]time.Duration, len(rounds))
	for b.Loop() {
		for k := range 2 * len(rounds) {
			i := k
			if k >= len(rounds) {
				i = 2*len(rounds) - 1 - k
			}
			rn, rd := rounds[i].round(b, data)
			n[i], d[i], cpu[i] = n[i]+rn, d[i]+rd, cpu[i]+drainCPU
		}
	}
	rate := make([]float64, len(rounds))
	cpuRate := make([]float64, len(rounds))
	for i, r := range rounds {
		if n[i] == 0 || cpu[i] <= 0 {
			b.Fatalf("%s received nothing", r.name)
		}
		rate[i] = float64(n[i]) / d[i].Seconds()
		cpuRate[i] = float64(n[i]) / cpu[i].Seconds()
		b.ReportMetric(rate[i], r.name+"-msgs/s")
		b.ReportMetric(float64(cpu[i])/float64(n[i]), r.name+"-cpu-ns/msg")
	}
	b.ReportMetric(rate[0]/rate[1], "ratio")
	b.ReportMetric(cpuRate[0]/cpuRate[1], "cpu-ratio")
	if len(rounds) == 5 {
		b.ReportMetric(rate[0]/rate[3], "vs-crecvmmsg")
		b.ReportMetric(rate[0]/rate[4], "vs-liblo")
		b.ReportMetric(rate[1]/rate[3], "raw-vs-c")
		b.ReportMetric(rate[2]/rate[3], "rawsys-vs-c")
		b.ReportMetric(cpuRate[0]/cpuRate[3], "cpu-vs-crecvmmsg")
		b.ReportMetric(cpuRate[0]/cpuRate[4], "cpu-vs-liblo")
		b.ReportMetric(cpuRate[1]/cpuRate[3], "cpu-raw-vs-c")
	}
	b.ReportMetric(0, "ns/op")
}

func reportDrain(b *testing.B, handled, sent int64, drain time.Duration) {
	if handled == 0 || drain <= 0 {
		b.Fatalf("nothing received (%d datagrams sent)", sent)
	}
	b.ReportMetric(float64(handled)/drain.Seconds(), "msgs/s")
	b.ReportMetric(100*float64(sent-handled)/float64(sent), "loss-%")
	b.ReportMetric(0, "ns/op") // a round's wall time includes the pre-fill
}

func osckitRound(b *testing.B, data []byte, readArgs bool) (int64, time.Duration) {
	t := newTally(len(data) / datagramSize)
	r := router.New()
	r.HandleFunc(recvAddress, func(_ router.ResponseWriter, req *router.Request) {
		if readArgs && sumArgs(req) < 0 {
			t.odd.Add(1)
		}
		t.add(1)
	})
	g := newGatedServer(b, r, osc.UDPConfig{ReadBuffer: drainBuffer})
	defer g.close()
	s := gsoSender(b, g.addr)
	defer s.Close()
	g.hold(b, s)
	blast(b, s, data)
	c0 := cpuNow()
	start := time.Now()
	close(g.release)
	n, d := t.wait(start)
	drainCPU = cpuNow() - c0
	checkOdd(b, t)
	return n, d
}

func sumIface(args []any) float64 {
	var s float64
	for _, a := range args {
		switch v := a.(type) {
		case int32:
			s += float64(v)
		case float32:
			s += float64(v)
		}
	}
	return s
}

// libraryRound pre-fills a socket, then times serve (a library's own
// receive loop) draining it; serve must return once c is closed.
func libraryRound(b *testing.B, data []byte, t *tally, serve func(c *net.UDPConn) error) (int64, time.Duration) {
	c, addr := listenRaw(b)
	s := gsoSender(b, addr)
	defer s.Close()
	blast(b, s, data)
	done := make(chan error, 1)
	c0 := cpuNow()
	start := time.Now()
	go func() { done <- serve(c) }()
	n, d := t.wait(start)
	drainCPU = cpuNow() - c0
	c.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.Fatal("the receive loop did not stop after Close")
	}
	checkOdd(b, t)
	return n, d
}

func hypebeastRound(b *testing.B, data []byte) (int64, time.Duration) {
	t := newTally(len(data) / datagramSize)
	d := hypebeast.NewStandardDispatcher()
	if err := d.AddMsgHandler(recvAddress, func(m *hypebeast.Message) {
		if sumIface(m.Arguments) < 0 {
			t.odd.Add(1)
		}
		t.add(1)
	}); err != nil {
		b.Fatal(err)
	}
	srv := &hypebeast.Server{Dispatcher: d}
	return libraryRound(b, data, t, func(c *net.UDPConn) error { return srv.Serve(c) })
}

func chabadRound(b *testing.B, data []byte) (int64, time.Duration) {
	t := newTally(len(data) / datagramSize)
	d := chabad.NewStandardDispatcher()
	if err := d.AddMsgHandler(recvAddress, func(m *chabad.Message) {
		if sumIface(m.Arguments) < 0 {
			t.odd.Add(1)
		}
		t.add(1)
	}); err != nil {
		b.Fatal(err)
	}
	srv := &chabad.Server{Dispatcher: d}
	return libraryRound(b, data, t, func(c *net.UDPConn) error { return srv.Serve(c) })
}

func rawRound(b *testing.B, data []byte) (int64, time.Duration) {
	t := newTally(len(data) / datagramSize)
	r := newRawmmsg()
	return libraryRound(b, data, t, func(c *net.UDPConn) error { return r.serve(c, t) })
}

// rawSysRound is rawRound with recvmmsg called through RawSyscall6 (see
// rawmmsg.raw): what the Go loop gets when the runtime does not hand its P
// on during the call.
func rawSysRound(b *testing.B, data []byte) (int64, time.Duration) {
	t := newTally(len(data) / datagramSize)
	r := newRawmmsg()
	r.raw = true
	return libraryRound(b, data, t, func(c *net.UDPConn) error { return r.serve(c, t) })
}

// crecvmmsgRound drains a pre-filled plain socket with the C recvmmsg
// loop (cpeer.MmsgDrain), on the socket's own descriptor. Like every other
// receiver it reads from a goroutine started after the fill (see
// drainElsewhere).
func crecvmmsgRound(b *testing.B, data []byte) (int64, time.Duration) {
	c, addr := listenRaw(b)
	defer c.Close()
	s := gsoSender(b, addr)
	defer s.Close()
	blast(b, s, data)
	rc, err := c.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	var n int
	var d time.Duration
	c0 := cpuNow()
	drainElsewhere(func() {
		if err := rc.Control(func(fd uintptr) { n, d = cpeer.MmsgDrain(fd, len(data)/datagramSize, idleLimit) }); err != nil {
			b.Error(err)
		}
	})
	drainCPU = cpuNow() - c0
	if n < 0 {
		b.Fatal("recvmmsg failed")
	}
	return int64(n), d
}

// libloRound pre-fills a liblo lo_server's socket (the same GSO burst into
// a receive buffer of drainBuffer bytes) and times lo_server_recv_noblock
// draining it, with a method that reads the eight arguments.
func libloRound(b *testing.B, data []byte) (int64, time.Duration) {
	r, err := cpeer.NewLibloReceiver(recvAddress, drainBuffer)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if r.Granted < drainBuffer {
		b.Logf("liblo receive buffer: asked %d, granted %d (not root?); the pre-fill may overflow", drainBuffer, r.Granted)
	}
	s := gsoSender(b, netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(r.Port)))
	defer s.Close()
	blast(b, s, data)
	var n, odd int
	var d time.Duration
	c0 := cpuNow()
	drainElsewhere(func() { n, d, odd = r.Drain(len(data)/datagramSize, idleLimit) })
	drainCPU = cpuNow() - c0
	if odd > 0 {
		b.Fatalf("liblo: %d messages did not read back", odd)
	}
	return int64(n), d
}

// drainElsewhere runs a C receiver's drain on a goroutine of its own and
// waits for it. The kernel frees each datagram's buffer on the CPU that
// allocated it, the sender's: a receiver that runs where the sender ran
// frees locally, one on the other CPU hands the buffers back with an
// interrupt, which took 20% of the drain in profiles on a 2-vCPU virtual
// machine. The C loop called straight from the goroutine that sent tends
// to stay on the sender's CPU; started like rawmmsg's and the Go
// libraries' loops (a new goroutine after the fill), every receiver's
// placement is left to the same scheduler.
func drainElsewhere(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func checkOdd(tb testing.TB, t *tally) {
	if n := t.odd.Load(); n > 0 {
		tb.Fatalf("%d messages did not read back", n)
	}
}

// Reader-not-blocked round sizes.
const (
	futureCount = 5_000 // future bundles interleaved with the immediate burst
)

// BenchmarkReaderNotBlocked shows that the socket reader never waits on the
// scheduler. Each iteration drains four pre-filled osc.Server sockets (see
// BenchmarkUDPReceive), in the order base, mixed, mixed, base: base holds
// drainCount immediate messages, mixed the same messages with futureCount
// bundles timed 10-40 s ahead spread evenly among them, which the scheduler queues while the reader goes on.
// base-msgs/s and mixed-msgs/s count the immediate messages handled per
// second of drain, ratio is mixed over base (the mixed socket holds 5% more
// datagrams, so 0.95 is the ideal), and queued is the number of bundles
// the scheduler held at the end of the last mixed round.
func BenchmarkReaderNotBlocked(b *testing.B) {
	base := burst(b, drainCount)
	mixed := make([]byte, 0, (drainCount+futureCount)*datagramSize)
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now()
	every := drainCount / futureCount
	for i := range drainCount {
		if i%every == every/2 {
			due := now.Add(10*time.Second + time.Duration(rng.Int64N(int64(30*time.Second))))
			mixed = append(mixed, futureBundle(b, wire.TimetagOf(due), i)...)
		}
		mixed = append(mixed, base[i*datagramSize:(i+1)*datagramSize]...)
	}
	var baseN, mixedN int64
	var baseD, mixedD time.Duration
	queued := 0
	rounds := int64(0)
	for b.Loop() {
		// base, mixed, mixed, base: drift of the machine's speed
		// during the iteration weighs on both alike.
		for _, mix := range []bool{false, true, true, false} {
			if mix {
				n, d, q := notBlockedRound(b, mixed, drainCount)
				mixedN, mixedD, queued = mixedN+n, mixedD+d, q
			} else {
				n, d, _ := notBlockedRound(b, base, drainCount)
				baseN, baseD = baseN+n, baseD+d
			}
		}
		rounds += 2
	}
	if baseN < rounds*drainCount || mixedN < rounds*drainCount {
		b.Fatalf("lost messages: base %d, mixed %d of %d each", baseN, mixedN, rounds*drainCount)
	}
	if queued != futureCount {
		b.Fatalf("scheduler held %d bundles, want %d", queued, futureCount)
	}
	br := float64(baseN) / baseD.Seconds()
	mr := float64(mixedN) / mixedD.Seconds()
	b.ReportMetric(br, "base-msgs/s")
	b.ReportMetric(mr, "mixed-msgs/s")
	b.ReportMetric(mr/br, "ratio")
	b.ReportMetric(float64(queued), "queued")
	b.ReportMetric(0, "ns/op")
}

// notBlockedRound drains data through a fresh gated osc.Server and returns
// the immediate messages handled, the drain time and the bundles queued.
func notBlockedRound(b *testing.B, data []byte, want int) (int64, time.Duration, int) {
	t := newTally(want)
	r := router.New()
	r.HandleFunc(recvAddress, func(_ router.ResponseWriter, req *router.Request) {
		if sumArgs(req) < 0 {
			t.odd.Add(1)
		}
		t.add(1)
	})
	g := newGatedServer(b, r, osc.UDPConfig{ReadBuffer: drainBuffer})
	defer g.close()
	s := gsoSender(b, g.addr)
	defer s.Close()
	g.hold(b, s)
	blast(b, s, data)
	start := time.Now()
	close(g.release)
	n, d := t.wait(start)
	checkOdd(b, t)
	return n, d, g.ep.Stats().Queued
}

// TestBurst200k sends 200,000 64-byte messages from an ordinary socket (a
// plain Write loop, as fast as it goes) to an osc.Server with default
// settings, and requires every one to reach the handler.
func TestBurst200k(t *testing.T) {
	const total = 200_000
	tl := newTally(total)
	r := router.New()
	r.HandleFunc(recvAddress, func(_ router.ResponseWriter, req *router.Request) {
		if sumArgs(req) < 0 {
			tl.odd.Add(1)
		}
		tl.add(1)
	})
	srv := &osc.Server{Handler: r}
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := ep.Addr().(*net.UDPAddr)

	// What the server's default request (osc.UDPConfig.ReadBuffer) is granted here.
	probe, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	granted, err := forceRecvBuffer(probe, defaultReadBuffer)
	probe.Close()
	if err != nil {
		t.Fatal(err)
	}

	c, err := net.DialUDP("udp4", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pkts := make([][]byte, 256)
	for i := range pkts {
		pkts[i] = recvMessage(t, i)
	}
	before := udpCounters()
	start := time.Now()
	if err := c.SetWriteDeadline(start.Add(roundLimit)); err != nil {
		t.Fatal(err)
	}
	for i := range total {
		if _, err := c.Write(pkts[i%len(pkts)]); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	sendTime := time.Since(start)
	got, d := tl.wait(start)
	after := udpCounters()
	checkOdd(t, tl)
	st := ep.Stats()
	t.Logf("receive buffer granted %d bytes (requested %d); sent %d in %v (%.0f msgs/s); "+
		"handled %d in %v (%.0f msgs/s); kernel RcvbufErrors +%d, InErrors +%d; server %+v",
		granted, defaultReadBuffer, total, sendTime.Round(time.Millisecond), total/sendTime.Seconds(),
		got, d.Round(time.Millisecond), float64(got)/d.Seconds(),
		after["RcvbufErrors"]-before["RcvbufErrors"], after["InErrors"]-before["InErrors"], st)
	if got != total {
		t.Errorf("lost %d of %d messages (%.2f%%)", total-got, total, 100*float64(total-got)/total)
	}
}
