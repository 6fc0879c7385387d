//go:build !cgo || !linux || nocpeer

package cpeer

import "time"

// Available reports whether the C peers were built in.
const Available = false

// Codec names the C or C++ codec of a loop.
type Codec int

// The codecs.
const (
	Liblo Codec = iota
	Oscpack
)

const missing = "cpeer: built without the C peers (needs cgo, Linux, liblo-dev and liboscpack-dev)"

func Allocs(func()) (int64, int64)                               { panic(missing) }
func Encode(Codec, int, []byte) int                              { panic(missing) }
func EncodeBundle8(Codec, int, []byte) int                       { panic(missing) }
func Decode(Codec, []byte, int) int                              { panic(missing) }
func DecodeBundle(Codec, []byte, int) int                        { panic(missing) }
func MmsgDrain(uintptr, int, time.Duration) (int, time.Duration) { panic(missing) }

type LibloReceiver struct{ Port, Granted int }

func NewLibloReceiver(string, int) (*LibloReceiver, error)                { panic(missing) }
func (*LibloReceiver) Drain(int, time.Duration) (int, time.Duration, int) { panic(missing) }
func (*LibloReceiver) Close()                                             { panic(missing) }

type Echo struct{ Port int }

func StartMmsgEcho() (*Echo, error)                             { panic(missing) }
func StartLibloEcho(string) (*Echo, error)                      { panic(missing) }
func (*Echo) Stop()                                             { panic(missing) }
func UDPPing(int, []byte, []time.Duration, time.Duration) int   { panic(missing) }
func LibloPing(int, string, []time.Duration, time.Duration) int { panic(missing) }
