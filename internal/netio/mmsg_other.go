//go:build !linux

package netio

import (
	"errors"
	"net/netip"
	"syscall"
)

// batchIO is the recvmmsg/sendmmsg state, which exists on Linux only; off
// Linux newBatchIO returns nil and the conns read one datagram per call.
type batchIO struct{ gsoOff bool }

func newBatchIO(syscall.RawConn, *UDPConfig, bool, *dropCounter) (*batchIO, error) {
	return nil, nil
}

// controlSpace is 0: the kernel's drop count is read on Linux only.
func controlSpace(*UDPConfig) int { return 0 }

func controlDrops([]byte) (uint32, bool) { return 0, false }

func (*batchIO) read([]Packet) (int, error) { return 0, errors.ErrUnsupported }

func (*batchIO) writeBatch([]OutPacket, bool) (int, error) { return 0, errors.ErrUnsupported }

func (*batchIO) writeSegments([]byte, int, netip.AddrPort, bool) (int, error) {
	return 0, errors.ErrUnsupported
}

func (*batchIO) writeToUnix(_, _ []byte) (int, error) { return 0, errors.ErrUnsupported }

func (*batchIO) writeTo([]byte, netip.AddrPort) (int, error) { return 0, errors.ErrUnsupported }

func (*batchIO) write([]byte) (int, error) { return 0, errors.ErrUnsupported }

func (*batchIO) writeFrom([]byte, netip.AddrPort, netip.Addr) (int, error) {
	return 0, errors.ErrUnsupported
}

func (*batchIO) setBlocking(bool) error { return nil }

func (*batchIO) directMode() bool { return false }

func (*batchIO) setPeer(netip.AddrPort) {}

func (*batchIO) shutdown() {}

func autobind(syscall.RawConn) error { return nil }

func boundName(uintptr) string { return "" }

func (*batchIO) sendOneDirect([]byte, netip.AddrPort) (int, bool, error) { return 0, false, nil }
