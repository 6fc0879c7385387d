//go:build linux

package bench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// placement decides on which CPUs a drain round's fill and drain run. The
// kernel frees each received datagram's buffer on the CPU that allocated
// it, the sender's: a receiver draining on another CPU hands the buffers
// back in batches, each with an inter-processor interrupt, and on a
// virtual machine such an interrupt costs microseconds of the receiver's
// CPU. Which CPU the scheduler gives each receiver decides how many it
// sends, so BenchmarkUDPReceiveRatio pins them, every receiver alike.
type placement int

const (
	placeAny   placement = iota // no pinning: wherever the scheduler puts them
	placeSame                   // fill and drain on one CPU
	placeCross                  // fill on one CPU, drain on another
)

func (p placement) String() string {
	return [...]string{"any", "same", "cross"}[p]
}

// drainPlace is the placement of the drain rounds that run now, and
// placeFillCPU and placeDrainCPU its CPUs; blast applies it.
var (
	drainPlace                  = placeAny
	placeFillCPU, placeDrainCPU int
)

// placeCPUs returns the CPUs of the fill and of the drain for p, from the
// CPUs the process could run on when it started (allCPUs).
func placeCPUs(tb testing.TB, p placement) (fill, drain int) {
	var cpus []int
	for i := range 1024 { // CPU_SETSIZE, the bits of a CPUSet
		if allCPUs.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	switch {
	case len(cpus) == 0:
		tb.Fatal("the process's CPU affinity mask could not be read")
	case p == placeCross && len(cpus) < 2:
		tb.Skip("cpus=cross needs two CPUs; this process may use one")
	case p == placeCross:
		return cpus[0], cpus[1]
	}
	return cpus[0], cpus[0]
}

// pinProcess sets the affinity of every thread of the process to the given
// CPUs (all of them with none); threads created afterwards inherit the mask
// of the thread that creates them, which is now one of these. A thread
// created while the list is walked may have been cloned from one not yet
// moved, so the list is read again until it holds no thread not yet seen.
func pinProcess(cpus ...int) error {
	var set unix.CPUSet
	if len(cpus) == 0 {
		set = allCPUs
	}
	for _, c := range cpus {
		set.Set(c)
	}
	seen := make(map[int]bool)
	for range 20 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		fresh := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || seen[tid] {
				continue
			}
			seen[tid], fresh = true, true
			// A thread may end in between: ESRCH is not an error here.
			if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
				return fmt.Errorf("sched_setaffinity(%d): %w", tid, err)
			}
		}
		if !fresh {
			return nil
		}
	}
	return errors.New("pinProcess: the process kept creating threads")
}

// pin is pinProcess for a benchmark: failing to pin ends it.
func pin(tb testing.TB, cpus ...int) {
	if err := pinProcess(cpus...); err != nil {
		tb.Fatal(err)
	}
}

// unpin puts every thread back on all the process's CPUs, as far as it
// can: it runs in deferred calls, after a failure too.
func unpin(tb testing.TB) {
	if err := pinProcess(); err != nil {
		tb.Log("restoring the CPU affinity:", err)
	}
}

// allCPUs is the process's affinity mask when the package loaded.
var allCPUs = func() unix.CPUSet {
	var set unix.CPUSet
	_ = unix.SchedGetaffinity(0, &set)
	return set
}()

// runPlaced runs f with drain rounds placed as p, and puts every thread
// back on all the process's CPUs afterwards.
func runPlaced(tb testing.TB, p placement, f func()) {
	if p == placeAny {
		f()
		return
	}
	placeFillCPU, placeDrainCPU = placeCPUs(tb, p) // skips cross on one CPU
	drainPlace = p
	defer func() {
		drainPlace = placeAny
		unpin(tb)
	}()
	f()
}

// beforeFill and afterFill, called by blast around the fill, move the whole
// process to the fill's CPU, then to the drain's: the receiver's threads,
// whichever they are, drain where the placement says.
func beforeFill(tb testing.TB) {
	if drainPlace != placeAny {
		pin(tb, placeFillCPU)
	}
}

func afterFill(tb testing.TB) {
	if drainPlace != placeAny {
		pin(tb, placeDrainCPU)
	}
}
