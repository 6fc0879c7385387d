//go:build race

package netio

import (
	"runtime"
	"unsafe"
)

const raceEnabled = true

// raceWrite tells the race detector that the kernel writes b.
func raceWrite(b []byte) {
	if len(b) > 0 {
		runtime.RaceWriteRange(unsafe.Pointer(&b[0]), len(b))
	}
}

// raceRead tells the race detector that the kernel reads b.
func raceRead(b []byte) {
	if len(b) > 0 {
		runtime.RaceReadRange(unsafe.Pointer(&b[0]), len(b))
	}
}
