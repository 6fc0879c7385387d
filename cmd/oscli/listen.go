package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/osckit/osc/netio"
)

// source is the sender of a received packet, and the way back to it.
type source interface {
	String() string
	// reply sends pkt back to the sender, on the socket it came in on.
	reply(pkt []byte) error
}

// packetHandler receives the packets of one read batch (UDP) or one frame
// (TCP); pkt is valid only during the call. Calls never overlap. flush
// says whether it is the last packet queued for now, a good time to flush
// buffered output.
type packetHandler func(pkt []byte, from source, flush bool)

// listener is a socket that oscli dump and oscli echo read packets from:
// UDP (multicast included) or TCP with OSC framing.
type listener struct {
	ep      netio.Endpoint
	udp     *netio.UDPConn
	unix    *netio.UnixConn
	tcp     net.Listener
	framing netio.Framing
}

// listenArg reads a PORT or URL argument into an endpoint to listen on.
func listenArg(arg string) (netio.Endpoint, error) {
	if _, err := strconv.ParseUint(arg, 10, 16); err == nil {
		arg = ":" + arg
	}
	ep, err := netio.ParseEndpoint(arg)
	if err != nil {
		return ep, usagef("%v", err)
	}
	return ep, nil
}

// listen opens the socket of ep.
func listen(ep netio.Endpoint) (*listener, error) {
	l := &listener{ep: ep, framing: ep.Framing}
	var err error
	switch ep.Network {
	case netio.NetworkUDP:
		l.udp, err = netio.ListenUDP("udp", ep.Address, netio.UDPConfig{Batch: 64, BufSize: 65536})
	case netio.NetworkTCP:
		l.tcp, err = net.Listen("tcp", ep.Address)
	case netio.NetworkUnixgram:
		l.unix, err = netio.ListenUnixgram(ep.Address, netio.UnixConfig{Batch: 64, BufSize: 65536, ReplaceStale: true})
	default:
		err = fmt.Errorf("%s: unknown network", ep)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// url returns the bound address in URL form (the port the kernel picked
// for port 0).
func (l *listener) url() string {
	switch {
	case l.udp != nil:
		host := l.ep.Host()
		if l.ep.IsMulticast() {
			return "osc.udp://" + net.JoinHostPort(host, strconv.Itoa(int(l.udp.LocalAddrPort().Port())))
		}
		return "osc.udp://" + l.udp.LocalAddrPort().String()
	case l.unix != nil:
		return "osc.unix://" + l.unix.LocalPath()
	case l.tcp != nil:
		scheme := "osc.tcp"
		switch l.framing {
		case netio.FrameSLIP:
			scheme = "osc.tcp+slip"
		case netio.FrameSizePrefix:
			scheme = "osc.tcp+size"
		}
		return scheme + "://" + l.tcp.Addr().String()
	}
	return l.ep.String()
}

// serve reads packets and hands them to h until ctx ends or the socket
// fails. It closes the socket when it returns. bad reports a framing
// error of a TCP connection (the connection is closed after an error that
// cannot be recovered from).
func (l *listener) serve(ctx context.Context, h packetHandler, bad func(from source, err error)) error {
	stop := context.AfterFunc(ctx, func() { l.close() })
	defer stop()
	defer l.close()
	var err error
	switch {
	case l.udp != nil:
		err = l.serveUDP(h)
	case l.unix != nil:
		err = l.serveUnix(h)
	default:
		err = l.serveTCP(ctx, h, bad)
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (l *listener) close() {
	if l.udp != nil {
		l.udp.Close()
	}
	if l.tcp != nil {
		l.tcp.Close()
	}
	if l.unix != nil {
		l.unix.Close()
	}
}

func (l *listener) serveUnix(h packetHandler) error {
	pkts := make([]netio.Packet, 64)
	src := &unixSource{c: l.unix}
	for {
		n, err := l.unix.ReadBatch(pkts)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			continue
		}
		for i := range n {
			p := &pkts[i]
			if p.Truncated {
				continue
			}
			src.path = p.Path
			h(p.Data, src, i == n-1)
		}
	}
}

// unixSource is a UNIX datagram sender; an unbound one cannot be
// answered.
type unixSource struct {
	c    *netio.UnixConn
	path []byte
}

func (s *unixSource) String() string {
	if len(s.path) == 0 {
		return "(unbound unix socket)"
	}
	return string(s.path)
}

func (s *unixSource) reply(pkt []byte) error {
	if len(s.path) == 0 {
		return errors.New("unbound sender")
	}
	_, err := s.c.WriteTo(pkt, s.path)
	return err
}

func (l *listener) serveUDP(h packetHandler) error {
	pkts := make([]netio.Packet, 64)
	src := &udpSource{c: l.udp}
	for {
		n, err := l.udp.ReadBatch(pkts)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			continue // transient (an ICMP error)
		}
		for i := range n {
			p := &pkts[i]
			if p.Truncated {
				continue
			}
			src.addr = p.Addr
			h(p.Data, src, i == n-1)
		}
	}
}

// udpSource is a UDP sender.
type udpSource struct {
	c    *netio.UDPConn
	addr netip.AddrPort
}

func (s *udpSource) String() string { return s.addr.String() }
func (s *udpSource) reply(pkt []byte) error {
	_, err := s.c.WriteTo(pkt, s.addr)
	return err
}

func (l *listener) serveTCP(ctx context.Context, h packetHandler, bad func(source, error)) error {
	var mu sync.Mutex // serialises h across connections
	var wg sync.WaitGroup
	conns := map[net.Conn]bool{}
	defer func() {
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			return err
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			return nil
		}
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			sr := netio.NewStreamReader(c, l.framing, 0)
			src := &tcpSource{c: c, sr: sr, addr: c.RemoteAddr().String()}
			for {
				pkt, err := sr.ReadFrame()
				if err != nil {
					if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
						return
					}
					var fe *netio.FrameError
					mu.Lock()
					bad(src, err)
					mu.Unlock()
					if errors.As(err, &fe) && fe.Recoverable {
						continue
					}
					return
				}
				mu.Lock()
				h(pkt, src, sr.Buffered() == 0)
				mu.Unlock()
			}
		}()
	}
}

// tcpSource is a TCP connection; replies use the framing it sends with.
type tcpSource struct {
	c    net.Conn
	sr   *netio.StreamReader
	sw   *netio.StreamWriter
	addr string
}

func (s *tcpSource) String() string { return s.addr }
func (s *tcpSource) reply(pkt []byte) error {
	if s.sw == nil {
		s.sw = netio.NewStreamWriter(s.c, s.sr.Framing())
	}
	s.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return s.sw.WriteFrame(pkt)
}
