package netio

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
)

// ErrWouldBlock is returned by the writes of a conn with NoWait when the
// socket could not take the datagram at once; it was dropped.
var ErrWouldBlock = errors.New("netio: socket or peer queue full: datagram dropped")

// dgramConn is the datagram machinery UDPConn and UnixConn share: one read
// path (recvmmsg on Linux, one datagram per call elsewhere or with
// OSC_DISABLE_MMSG=1), the batch state and the locks. The two conns wrap it
// with their own addressing.
type dgramConn struct {
	rc  syscall.RawConn
	udp *net.UDPConn // exactly one of udp and unx is set
	unx *net.UnixConn

	rmu   sync.Mutex
	bio   *batchIO // nil: one datagram per read
	fbuf  []byte   // single-read buffer, one byte more than BufSize to see truncation
	foob  []byte   // single-read control buffer (Linux UDP: the drop count)
	fpth  []byte   // single-read sender path (UNIX)
	drops dropCounter

	wmu sync.Mutex
}

// initRead sets up the read side for a socket configured by cfg.
func (d *dgramConn) initRead(cfg *UDPConfig) error {
	if !mmsgDisabled() {
		var err error
		if d.bio, err = newBatchIO(d.rc, cfg, d.unx != nil, &d.drops); err != nil || d.bio != nil {
			return err
		}
	}
	d.fbuf = make([]byte, cfg.BufSize+1)
	if n := controlSpace(cfg); n > 0 && d.udp != nil {
		d.foob = make([]byte, n)
	}
	return nil
}

// readBatch is ReadBatch of both conns.
func (d *dgramConn) readBatch(dst []Packet) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	var n int
	var err error
	d.rmu.Lock()
	if d.bio != nil {
		n, err = d.bio.read(dst)
	} else {
		n, err = d.readOne(&dst[0])
	}
	d.rmu.Unlock()
	return n, err
}

// readOne reads one datagram into p without recvmmsg.
func (d *dgramConn) readOne(p *Packet) (int, error) {
	var n, oobn int
	var ap netip.AddrPort
	var path []byte
	var err error
	switch {
	case d.unx != nil:
		var a *net.UnixAddr
		n, a, err = d.unx.ReadFromUnix(d.fbuf)
		if a != nil && a.Name != "" {
			d.fpth = append(d.fpth[:0], a.Name...)
			path = d.fpth
		}
	case d.foob != nil:
		n, oobn, _, ap, err = d.udp.ReadMsgUDPAddrPort(d.fbuf, d.foob)
	default:
		n, ap, err = d.udp.ReadFromUDPAddrPort(d.fbuf)
	}
	if err != nil {
		return 0, err
	}
	if v, ok := controlDrops(d.foob[:oobn]); ok {
		d.drops.see(v)
	}
	addr := netipZero // UNIX senders have a Path instead
	if d.udp != nil {
		addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	bs := len(d.fbuf) - 1
	m := min(n, bs)
	*p = Packet{Data: d.fbuf[:m:m], Addr: addr, Path: path, Truncated: n > bs}
	return 1, nil
}
