package osc

import (
	"net"
	"time"

	"github.com/osckit/osc/netio"
)

type unixConn struct{}

func (*unixConn) ReadBatch([]netio.Packet) (int, error) { return 0, ErrNotSupported }
func (*unixConn) WriteTo([]byte, string) (int, error)   { return 0, ErrNotSupported }
func (*unixConn) Write([]byte) (int, error)             { return 0, ErrNotSupported }
func (*unixConn) Close() error                          { return nil }
func (*unixConn) LocalAddr() net.Addr                   { return nil }
func (*unixConn) SetReadDeadline(time.Time) error       { return nil }
func (e *Endpoint) openUnix() error                     { return ErrNotSupported }
func dialUnix(string) (*unixConn, string, error)        { return nil, "", ErrNotSupported }
