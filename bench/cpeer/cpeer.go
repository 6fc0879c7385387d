//go:build cgo && linux && !nocpeer

package cpeer

/*
#cgo CFLAGS: -O2
#cgo CXXFLAGS: -O2
#cgo LDFLAGS: -llo -loscpack -lpthread
#include <stdlib.h>
#include "cpeer.h"
*/
import "C"

import (
	"errors"
	"time"
	"unsafe"
)

// Available reports whether the C peers were built in.
const Available = true

// Codec names the C or C++ codec of a loop.
type Codec int

// The codecs.
const (
	Liblo Codec = iota
	Oscpack
)

// Allocs runs f and returns the calls to malloc, calloc and realloc that C
// and C++ code made meanwhile on any thread (the benchmarks' loops and the
// echo threads, and the few the Go runtime makes through cgo), and the
// bytes they asked for. Go's own allocations are not counted.
func Allocs(f func()) (n, bytes int64) {
	var n0, b0, n1, b1 C.int64_t
	C.cp_allocs(&n0, &b0)
	f()
	C.cp_allocs(&n1, &b1)
	return int64(n1 - n0), int64(b1 - b0)
}

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// Encode builds and serialises the benchmark message n times into out and
// returns the size of the last one; -1 on failure.
func Encode(c Codec, n int, out []byte) int {
	if c == Liblo {
		return int(C.cp_lo_encode(C.long(n), ptr(out), C.long(len(out))))
	}
	return int(C.cp_opk_encode(C.long(n), ptr(out), C.long(len(out))))
}

// EncodeBundle8 builds and serialises a bundle of eight benchmark messages
// n times into out and returns its size; -1 on failure.
func EncodeBundle8(c Codec, n int, out []byte) int {
	if c == Liblo {
		return int(C.cp_lo_encode_bundle8(C.long(n), ptr(out), C.long(len(out))))
	}
	return int(C.cp_opk_encode_bundle8(C.long(n), ptr(out), C.long(len(out))))
}

// Decode parses the message pkt n times, reading every argument, and
// returns the sum of what it read (ints, floats truncated, string and blob
// lengths); -1 when pkt is rejected.
func Decode(c Codec, pkt []byte, n int) int {
	if c == Liblo {
		return int(C.cp_lo_decode(ptr(pkt), C.long(len(pkt)), C.long(n)))
	}
	return int(C.cp_opk_decode(ptr(pkt), C.long(len(pkt)), C.long(n)))
}

// DecodeBundle parses the bundle pkt n times, reading every argument of
// every message, and returns the sum; -1 when pkt is rejected.
func DecodeBundle(c Codec, pkt []byte, n int) int {
	if c == Liblo {
		return int(C.cp_lo_decode_bundle(ptr(pkt), C.long(len(pkt)), C.long(n)))
	}
	return int(C.cp_opk_decode_bundle(ptr(pkt), C.long(len(pkt)), C.long(n)))
}

// MmsgDrain is the bare C receive loop: recvmmsg in batches of 64 on the
// non-blocking socket fd until want datagrams arrived or none came for
// idle. It returns the count and the time from the call to the last batch.
func MmsgDrain(fd uintptr, want int, idle time.Duration) (int, time.Duration) {
	var ns C.int64_t
	n := C.cp_mmsg_drain(C.int(fd), C.long(want), C.int(idle.Milliseconds()), &ns)
	return int(n), time.Duration(ns)
}

// LibloReceiver is a UDP lo_server with a method for one address and the
// types iiffffff that reads its arguments.
type LibloReceiver struct {
	r       *C.cp_lo_recv
	Port    int // the port it listens on (every address)
	Granted int // the receive buffer granted, in bytes
}

// NewLibloReceiver opens the server, asking for a receive buffer of rcvbuf
// bytes (SO_RCVBUFFORCE, else SO_RCVBUF).
func NewLibloReceiver(path string, rcvbuf int) (*LibloReceiver, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var port, granted C.int
	r := C.cp_lo_recv_new(cp, C.int(rcvbuf), &port, &granted)
	if r == nil {
		return nil, errors.New("cpeer: lo_server_new failed")
	}
	return &LibloReceiver{r: r, Port: int(port), Granted: int(granted)}, nil
}

// Drain runs lo_server_recv_noblock until want messages were handled or
// none came for idle, and returns the count handled, the time from the
// call to the last one, and the count whose arguments did not read back.
func (l *LibloReceiver) Drain(want int, idle time.Duration) (int, time.Duration, int) {
	var ns C.int64_t
	var odd C.long
	n := C.cp_lo_recv_drain(l.r, C.long(want), C.int(idle.Milliseconds()), &ns, &odd)
	return int(n), time.Duration(ns), int(odd)
}

// Close frees the server.
func (l *LibloReceiver) Close() { C.cp_lo_recv_free(l.r) }

// Echo is an echo server on a thread of its own.
type Echo struct {
	e    *C.cp_echo
	Port int // its port on 127.0.0.1 (liblo: on every address)
}

// StartMmsgEcho starts the C echo on 127.0.0.1: recvmmsg, then sendmmsg
// of the same datagrams back to their senders.
func StartMmsgEcho() (*Echo, error) {
	var port C.int
	e := C.cp_mmsg_echo_start(&port)
	if e == nil {
		return nil, errors.New("cpeer: echo start failed")
	}
	return &Echo{e: e, Port: int(port)}, nil
}

// StartLibloEcho starts a lo_server whose method for path sends every
// message back to its source.
func StartLibloEcho(path string) (*Echo, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var port C.int
	e := C.cp_lo_echo_start(cp, &port)
	if e == nil {
		return nil, errors.New("cpeer: lo_server echo start failed")
	}
	return &Echo{e: e, Port: int(port)}, nil
}

// Stop stops the echo and frees it.
func (e *Echo) Stop() { C.cp_echo_stop(e.e) }

// UDPPing sends msg to 127.0.0.1:port and waits for the reply, len(rtt)
// times one after the other, from a connected C socket, and writes each
// round trip to rtt. It returns the number completed.
func UDPPing(port int, msg []byte, rtt []time.Duration, timeout time.Duration) int {
	if len(rtt) == 0 {
		return 0
	}
	return int(C.cp_udp_ping(C.int(port), ptr(msg), C.long(len(msg)), C.long(len(rtt)),
		C.int(timeout.Milliseconds()), (*C.int64_t)(unsafe.Pointer(&rtt[0]))))
}

// LibloPing sends liblo's message for path (int32 1 and 1, float32 0.5,
// 0.25, 0.125, 1, 2, 4: 64 bytes) from its own lo_server to port on
// 127.0.0.1 and waits for the reply, len(rtt) times.
func LibloPing(port int, path string, rtt []time.Duration, timeout time.Duration) int {
	if len(rtt) == 0 {
		return 0
	}
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	return int(C.cp_lo_ping(C.int(port), cp, C.long(len(rtt)), C.int(timeout.Milliseconds()),
		(*C.int64_t)(unsafe.Pointer(&rtt[0]))))
}
