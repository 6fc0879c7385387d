//go:build race

package main

// raceEnabled: the race detector is on, slowing and stalling the
// in-process commands that timing checks measure.
const raceEnabled = true
