package main

import (
	"fmt"
	"sync/atomic"
)

const echoUsage = `[flags] PORT|URL

Answers every packet back to its sender, unchanged, from the socket it came
in on: a reflector for oscli bench's round-trip latency. PORT or
osc.udp://HOST:PORT listens on UDP, osc.tcp://HOST:PORT on TCP (replies use
the framing the sender used). The address listened on is printed to
standard error, and the number of packets echoed when it ends.`

func runEcho(e *env, args []string) error {
	fs := newFlagSet(e, "echo", echoUsage)
	timeout := fs.Duration("timeout", 0, "exit after `D` (0: no limit)")
	count := fs.Int("count", 0, "exit after echoing `N` packets (0: no limit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one PORT or URL")
	}
	ep, err := listenArg(fs.Arg(0))
	if err != nil {
		return err
	}
	l, err := listen(ep)
	if err != nil {
		return err
	}
	ctx, cancel := signalContext(e, *timeout)
	defer cancel()
	fmt.Fprintf(e.stderr, "oscli echo: listening on %s\n", l.url())
	var n, failed atomic.Uint64
	err = l.serve(ctx, func(pkt []byte, from source, _ bool) {
		if *count > 0 && n.Load() >= uint64(*count) {
			return
		}
		if from.reply(pkt) != nil {
			failed.Add(1)
		}
		if n.Add(1) == uint64(*count) {
			cancel()
		}
	}, func(from source, err error) {
		fmt.Fprintf(e.stderr, "oscli echo: bad frame from %s: %v\n", from, err)
	})
	fmt.Fprintf(e.stderr, "oscli echo: echoed %d packets (%d replies failed)\n", n.Load(), failed.Load())
	return err
}
