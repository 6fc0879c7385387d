//go:build linux

package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	osc "github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// BenchmarkRoundTripParts splits osckit-block's round trip over goraw's
// (rawPinger) by side and by layer: each pair below has one side of
// goraw's, the raw pinger (send and recvfrom on a connected socket) or the
// raw echo (recvmmsg and sendmmsg), and one of osckit's, all waiting in
// blocking system calls. The pairs run interleaved in blocks of rttBlock
// round trips, as in BenchmarkRoundTripRatio, and each reports its p50 and
// its p50 over goraw's:
//
//	goraw         raw pinger, raw echo
//	server-netio  raw pinger, a netio.UDPConn echo (ReadBatch, WriteTo)
//	server-osc    raw pinger, osckit-block's osc.Server
//	client-netio  a dialed netio.UDPConn (Write, ReadBatch), raw echo
//	client-osc    osckit-block's Client (Write, Receive, ParseArgs), raw echo
//	osckit-block  Client and Server
//
// Run it pinned to one CPU (taskset -c 0) to compare its figures with
// BenchmarkRoundTripRatio's cpus=same.
func BenchmarkRoundTripParts(b *testing.B) {
	names := []string{"goraw", "server-netio", "server-osc", "client-netio", "client-osc", "osckit-block"}
	hs := interleave(b, names, partsPinger)
	base := float64(hs[0].quantile(0.5))
	for i, name := range names {
		b.ReportMetric(float64(hs[i].quantile(0.5))/1e3, name+"-p50-us")
		if i > 0 {
			b.ReportMetric(float64(hs[i].quantile(0.5))/base, name+"-vs-goraw")
		}
	}
	b.ReportMetric(0, "ns/op")
}

func partsPinger(b *testing.B, name string) pinger {
	msg := recvMessage(b, 1)
	switch name {
	case "goraw":
		return rawPinger(b, msg)
	case "osckit-block":
		return osckitPinger(b, msg, true)
	}
	var to netip.AddrPort
	var echo side
	switch name {
	case "server-netio":
		to, echo = partsNetioEcho(b)
	case "server-osc":
		to, echo = partsOscServer(b)
	case "client-netio", "client-osc":
		to, echo = rawEcho(b)
	default:
		b.Fatalf("no pair %q", name)
	}
	var client side
	switch name {
	case "client-netio":
		client = partsNetioClient(b, msg, to)
	case "client-osc":
		client = partsOscClient(b, msg, to)
	default:
		client = rawClient(b, msg, to)
	}
	return pairPinger(b, msg, client, echo, name == "client-osc")
}

// pairPinger pings echo from client under a watchdog that shuts both down
// when a reply is late (its failure then says what each socket has
// queued, when the sides can tell). With parse, each reply's arguments are
// read (ParseArgs, outside the timed part), as osckit's pinger does.
func pairPinger(b *testing.B, msg []byte, client, echo side, parse bool) pinger {
	var detail func() string
	if client.queued != nil && echo.queued != nil {
		detail = func() string {
			return fmt.Sprintf("next queued datagram: pinger %d bytes, echo %d bytes (0: none)", client.queued(), echo.queued())
		}
	}
	wd := startWatchdog(rttTimeout, func() { client.shut(); echo.shut() }, detail)
	var argv [8]wire.Arg
	ping := func(rtt []time.Duration) int {
		wd.begin()
		defer wd.end()
		for i := range rtt {
			t0 := time.Now()
			if err := client.send(); err != nil {
				return i
			}
			pkt, err := client.recv()
			if err != nil || len(pkt) != len(msg) {
				return i
			}
			d := time.Since(t0)
			if parse {
				if _, args, err := strict.ParseArgs(pkt, argv[:0]); err != nil || len(args) != 8 {
					return i
				}
			}
			rtt[i] = d
			wd.tick()
		}
		return len(rtt)
	}
	closeAll := func() {
		wd.stop()
		client.shut()
		echo.shut()
		client.close()
		echo.close()
	}
	return pinger{ping: ping, close: closeAll, stalled: wd.stalled}
}

// side is one end of a pair: shut ends a wait in progress (the watchdog's
// way out); close, which may run more than once, releases the end once no
// call is left on it, and runs at the end of the benchmark run too, should
// setup fail half way. A pinger side has send and recv; queued, if set, is
// the length of the next datagram queued on its socket (0: none).
type side struct {
	shut, close func()
	send        func() error
	recv        func() ([]byte, error)
	queued      func() int
}

func newSide(b *testing.B, shut, close func()) side {
	s := side{shut: shut, close: sync.OnceFunc(close)}
	b.Cleanup(s.close)
	return s
}

// partsNetioEcho answers every datagram a netio.UDPConn in blocking mode
// reads, as osc.Server's endpoints configure it (NoWait), without OSC.
func partsNetioEcho(b *testing.B) (netip.AddrPort, side) {
	c, err := netio.ListenUDP("udp4", "127.0.0.1:0", netio.UDPConfig{NoWait: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.SetBlocking(true); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pkts := make([]netio.Packet, netio.DefaultBatch)
		for {
			n, err := c.ReadBatch(pkts)
			if err != nil {
				return
			}
			for _, p := range pkts[:n] {
				_, _ = c.WriteTo(p.Data, p.Addr)
			}
		}
	}()
	stop := func() { c.Close() }
	return c.LocalAddrPort(), newSide(b, stop, func() { stop(); <-done })
}

// partsOscServer is osckit-block's server.
func partsOscServer(b *testing.B) (netip.AddrPort, side) {
	r := router.New()
	r.HandleFunc(recvAddress, func(w router.ResponseWriter, req *router.Request) {
		if sumArgs(req) >= 0 {
			_, _ = w.Write(req.Message.Bytes())
		}
	})
	srv := &osc.Server{Handler: r, Logger: quiet}
	srv.UDP.BlockingRead = true
	ep, err := srv.Listen("osc.udp://127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	stop := func() { srv.Close() }
	return ep.Addr().(*net.UDPAddr).AddrPort(), newSide(b, stop, stop)
}

// partsNetioClient is a dialed netio.UDPConn in blocking mode, as a
// Client's socket is during a Receive with a context that never ends.
func partsNetioClient(b *testing.B, msg []byte, to netip.AddrPort) side {
	c, err := netio.DialUDP("udp4", to.String(), netio.UDPConfig{})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.SetBlocking(true); err != nil {
		b.Fatal(err)
	}
	pkts := make([]netio.Packet, 1)
	stop := func() { c.Close() }
	s := newSide(b, stop, stop)
	s.send = func() error { _, err := c.Write(msg); return err }
	s.recv = func() ([]byte, error) {
		if _, err := c.ReadBatch(pkts); err != nil {
			return nil, err
		}
		return pkts[0].Data, nil
	}
	return s
}

// partsOscClient is osckit-block's client.
func partsOscClient(b *testing.B, msg []byte, to netip.AddrPort) side {
	c, err := osc.Dial(fmt.Sprintf("osc.udp://%s", to))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	stop := func() { c.Close() }
	s := newSide(b, stop, stop)
	s.send = func() error { _, err := c.Write(msg); return err }
	s.recv = func() ([]byte, error) { return c.Receive(ctx) }
	return s
}
