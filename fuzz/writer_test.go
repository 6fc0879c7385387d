package fuzz

import (
	"net"
	"net/netip"

	"github.com/osckit/osc/wire"
)

// nopWriter is a ResponseWriter that sends nothing.
type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error)                     { return len(p), nil }
func (nopWriter) WriteTo(p []byte, _ netip.AddrPort) (int, error) { return len(p), nil }
func (nopWriter) Encoder() *wire.Encoder                          { return new(wire.Encoder) }
func (nopWriter) Flush() error                                    { return nil }
func (nopWriter) Send(string, ...wire.Value) error                { return nil }
func (nopWriter) SendAny(string, ...any) error                    { return nil }
func (nopWriter) RemoteAddr() net.Addr                            { return nil }
