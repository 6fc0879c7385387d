//go:build linux

package bench

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	osc "github.com/osckit/osc"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// Sizes and bounds of the end-to-end UDP runs.
const (
	datagramSize = 64        // every datagram of the receive benchmarks
	drainBuffer  = 256 << 20 // SO_RCVBUF(FORCE) request of the pre-filled sockets
	rawBatch     = 64        // recvmmsg batch of the bare loop

	// defaultReadBuffer is the receive buffer an osc.Server asks for when
	// UDPConfig.ReadBuffer is 0 (documented there).
	defaultReadBuffer = 4 << 20
	settle            = 10 * time.Millisecond
	idleLimit         = 500 * time.Millisecond // no progress for that long: the rest is lost
	roundLimit        = 30 * time.Second       // hard cap on one drain
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// recvAddress is the address of the receive benchmarks' message.
const recvAddress = "/mixer/ch/1/gain"

// recvMessage returns the 64-byte message numbered seq: two int32s and six
// float32s to "/mixer/ch/1/gain".
func recvMessage(tb testing.TB, seq int) []byte {
	pkt, err := wire.AppendMessage(nil, recvAddress,
		wire.Int32(int32(seq)), wire.Int32(1),
		wire.Float32(0.5), wire.Float32(0.25), wire.Float32(0.125),
		wire.Float32(1), wire.Float32(2), wire.Float32(4))
	if err != nil {
		tb.Fatal(err)
	}
	if len(pkt) != datagramSize {
		tb.Fatalf("message is %d bytes, want %d", len(pkt), datagramSize)
	}
	return pkt
}

// futureBundle returns a 64-byte bundle timed at tt holding one message.
func futureBundle(tb testing.TB, tt wire.Timetag, seq int) []byte {
	var e wire.Encoder
	e.BeginBundle(tt).Message("/later/x").
		Int32(int32(seq)).Int32(0).Int32(0).Int32(0).Int32(0).Int32(0).
		End().EndBundle()
	pkt, err := e.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	if len(pkt) != datagramSize {
		tb.Fatalf("bundle is %d bytes, want %d", len(pkt), datagramSize)
	}
	return append([]byte(nil), pkt...)
}

// burst returns n messages back to back, to be sent as n datagrams of
// datagramSize bytes with WriteSegments.
func burst(tb testing.TB, n int) []byte {
	out := make([]byte, 0, n*datagramSize)
	for i := range n {
		out = append(out, recvMessage(tb, i)...)
	}
	return out
}

// sumArgs reads every argument of the request's message the way a real
// handler would.
func sumArgs(req *router.Request) float64 {
	var s float64
	var argv [8]wire.Arg
	for _, a := range req.Message.AppendArgs(argv[:0]) {
		if v, ok := a.Int32(); ok {
			s += float64(v)
		} else if f, ok := a.Float32(); ok {
			s += float64(f)
		}
	}
	return s
}

// cpuNow returns the CPU time the process has used so far, user and
// system, over all its threads.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// drainCPU is the process CPU time of the last drain round: every round
// sets it from the moment its receiver is let go to the moment the drain
// ends. On a pre-filled socket a receiver never waits, so its CPU time is
// its work, which does not stretch when other processes take the CPUs as
// wall time does (see BenchmarkUDPReceiveRatio). Rounds run one at a time.
var drainCPU time.Duration

// tally counts handled messages. The call that reaches want records the
// time and closes done; every 1024th message records the time of the
// latest progress, which ends a round whose rest was lost.
type tally struct {
	n      atomic.Int64
	odd    atomic.Int64 // messages whose arguments did not read back
	base   time.Time    // when the tally was made
	lastAt atomic.Int64 // time since base at the latest 1024th message
	want   int64
	once   sync.Once
	done   chan struct{}
	doneAt time.Time
}

func newTally(want int) *tally {
	return &tally{base: time.Now(), want: int64(want), done: make(chan struct{})}
}

func (t *tally) add(k int64) {
	n := t.n.Add(k)
	if n>>10 != (n-k)>>10 {
		t.lastAt.Store(int64(time.Since(t.base)))
	}
	if n >= t.want {
		t.once.Do(func() {
			t.doneAt = time.Now()
			close(t.done)
		})
	}
}

// tallyTick is how often wait looks for progress. Only the Go receivers'
// rounds wait this way, so its wake-ups are CPU time they alone are
// charged: few and far between, well under idleLimit.
const tallyTick = idleLimit / 10

// wait returns how many messages were handled and the time from start to
// the last one. It ends when all arrived, when nothing arrived for
// idleLimit (the rest was lost: the time is then that of the last 1024th
// message, or of the last check that saw progress if fewer arrived), or at
// roundLimit.
func (t *tally) wait(start time.Time) (int64, time.Duration) {
	tick := time.NewTicker(tallyTick)
	defer tick.Stop()
	last, seenAt := t.n.Load(), time.Now()
	for {
		select {
		case <-t.done:
			return t.want, t.doneAt.Sub(start)
		case now := <-tick.C:
			cur := t.n.Load()
			if cur != last {
				last, seenAt = cur, now
			} else if now.Sub(seenAt) > idleLimit {
				end := seenAt
				if d := t.lastAt.Load(); d > 0 {
					end = t.base.Add(time.Duration(d))
				}
				return cur, max(end.Sub(start), time.Nanosecond)
			}
			if now.Sub(start) > roundLimit {
				return cur, now.Sub(start)
			}
		}
	}
}

// gsoSender opens a UDP socket connected to to, for blast.
func gsoSender(tb testing.TB, to netip.AddrPort) *net.UDPConn {
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(to))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// gsoSegments is how many datagrams one sendmsg carries with UDP_SEGMENT
// (the kernel's limit is 64 on older kernels).
const gsoSegments = 64

// blast sends data as datagrams of datagramSize bytes and lets the kernel
// finish queueing them. It hands the kernel gsoSegments datagrams a call
// with UDP generic segmentation offload (Linux 4.18), so that the sender
// costs little beside the receiver, and falls back to one datagram a call
// where the kernel or the device refuses it. Under a placement other than
// placeAny (BenchmarkUDPReceiveRatio) the process runs on the fill's CPU
// while it sends and is moved to the drain's before blast returns.
func blast(tb testing.TB, c *net.UDPConn, data []byte) {
	beforeFill(tb)
	oob := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	*(*uint16)(unsafe.Pointer(&oob[unix.CmsgLen(0)])) = datagramSize
	gso := true
	for off := 0; off < len(data); {
		if gso {
			end := min(off+gsoSegments*datagramSize, len(data))
			if _, _, err := c.WriteMsgUDP(data[off:end], oob, nil); err != nil {
				if !errors.Is(err, unix.EIO) && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOPROTOOPT) {
					tb.Fatal(err)
				}
				gso = false
				continue
			}
			off = end
			continue
		}
		end := min(off+datagramSize, len(data))
		if _, err := c.Write(data[off:end]); err != nil {
			tb.Fatal(err)
		}
		off = end
	}
	time.Sleep(settle)
	afterFill(tb)
}

// listenRaw opens a plain loopback UDP socket with a receive buffer of
// drainBuffer bytes and checks what the kernel granted.
func listenRaw(tb testing.TB) (*net.UDPConn, netip.AddrPort) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	got, err := forceRecvBuffer(c, drainBuffer)
	if err != nil {
		c.Close()
		tb.Fatal(err)
	}
	if got < drainBuffer {
		tb.Logf("receive buffer: asked %d, granted %d (not root?); the pre-fill may overflow", drainBuffer, got)
	}
	return c, c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// forceRecvBuffer sets SO_RCVBUFFORCE (SO_RCVBUF without privilege) and
// returns the usable size granted.
func forceRecvBuffer(c *net.UDPConn, n int) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var got int
	var serr error
	cerr := rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) != nil {
			_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
		got, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	})
	if cerr != nil {
		return 0, cerr
	}
	return got / 2, serr // Linux reports twice the usable size
}

// gatedServer is an osc.Server whose reading goroutine can be held in a
// handler, so that its socket fills while it does not read.
type gatedServer struct {
	srv     *osc.Server
	ep      *osc.Endpoint
	addr    netip.AddrPort
	entered chan struct{}
	release chan struct{}
}

// gateAddress is the message that holds the reader.
const gateAddress = "/gate"

func newGatedServer(tb testing.TB, r *router.Router, cfg osc.UDPConfig) *gatedServer {
	g := &gatedServer{entered: make(chan struct{}), release: make(chan struct{})}
	r.HandleFunc(gateAddress, func(router.ResponseWriter, *router.Request) {
		close(g.entered)
		select {
		case <-g.release:
		case <-time.After(roundLimit):
		}
	})
	g.srv = &osc.Server{Handler: r, UDP: cfg, Logger: quiet}
	ep, err := g.srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		tb.Fatal(err)
	}
	g.ep = ep
	g.addr = ep.Addr().(*net.UDPAddr).AddrPort()
	return g
}

// hold sends the gate message and waits until the reader is held.
func (g *gatedServer) hold(tb testing.TB, c *net.UDPConn) {
	gate, err := wire.AppendMessage(nil, gateAddress)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.Write(gate); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-g.entered:
	case <-time.After(5 * time.Second):
		tb.Fatal("the server did not receive the gate message")
	}
}

func (g *gatedServer) close() { g.srv.Close() }

// rawmmsg is the bare receive loop: recvmmsg in batches of rawBatch through
// SyscallConn().Read, sender addresses kept, nothing decoded.
type rawmmsg struct {
	hdrs  [rawBatch]mmsghdr
	iovs  [rawBatch]unix.Iovec
	names [rawBatch][unix.SizeofSockaddrInet6]byte
	bufs  [rawBatch][2048]byte
	got   int
	errno syscall.Errno
	// raw makes the loop call recvmmsg with RawSyscall6, without telling
	// the runtime (entersyscall/exitsyscall). The socket is non-blocking,
	// so the call never blocks; but a batch of 64 takes 30-50 us, longer
	// than the 20 us after which the runtime's monitor takes the P of a
	// goroutine in a system call and hands it on, which costs context
	// switches (twice as many as the C loop's in a one-CPU profile).
	raw bool
}

// mmsghdr is struct mmsghdr of <sys/socket.h> on 64-bit Linux.
type mmsghdr struct {
	Hdr unix.Msghdr
	Len uint32
	_   [4]byte
}

func newRawmmsg() *rawmmsg {
	r := new(rawmmsg)
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(len(r.bufs[i]))
		h := &r.hdrs[i].Hdr
		h.Name = &r.names[i][0]
		h.Iov = &r.iovs[i]
		h.Iovlen = 1
	}
	return r
}

// serve reads until c is closed, adding every batch to t.
func (r *rawmmsg) serve(c *net.UDPConn, t *tally) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	read := func(fd uintptr) bool {
		for {
			var n uintptr
			var e syscall.Errno
			if r.raw {
				n, _, e = unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), rawBatch, 0, 0, 0)
			} else {
				n, _, e = unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), rawBatch, 0, 0, 0)
			}
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			r.got, r.errno = int(n), e
			return true
		}
	}
	for {
		for i := range r.hdrs {
			r.hdrs[i].Hdr.Namelen = uint32(len(r.names[i]))
		}
		if err := rc.Read(read); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if r.errno != 0 {
			return r.errno
		}
		t.add(int64(r.got))
	}
}

// udpCounters reads the kernel's UDP counters (/proc/net/snmp), to tell
// drops for a full receive buffer (RcvbufErrors) from other losses.
func udpCounters() map[string]int64 {
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		return nil
	}
	defer f.Close()
	var names []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = fields[1:]
			continue
		}
		m := make(map[string]int64, len(names))
		for i, v := range fields[1:] {
			if i < len(names) {
				m[names[i]], _ = strconv.ParseInt(v, 10, 64)
			}
		}
		return m
	}
	return nil
}
