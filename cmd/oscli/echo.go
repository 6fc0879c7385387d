package main

import (
	"fmt"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
)

const echoUsage = `[flags] PORT|URL

Answers every packet back to its sender, unchanged, from the socket it came
in on (on a wildcard bind, from the address the sender sent to): a
reflector for oscli bench's round-trip latency. PORT or osc.udp://HOST:PORT
listens on UDP, osc.tcp://HOST:PORT on TCP (replies use the framing the
sender used), osc.ws://HOST:PORT/PATH on WebSocket (replies on the same
WebSocket; osc.wss:// with -cert and -key), osc.unix:///PATH on a UNIX datagram socket (a sender on an
unbound socket cannot be answered). The address listened on is printed to
standard error, and the number of packets echoed when it ends.`

func runEcho(e *env, args []string) error {
	fs := newFlagSet(e, "echo", echoUsage)
	timeout := fs.Duration("timeout", 0, "exit after `D` (0: no limit)")
	count := fs.Int("count", 0, "exit after echoing `N` packets (0: no limit)")
	ws := addWSFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	l, err := newListenCmd(e, fs, *timeout)
	if err != nil {
		return err
	}
	defer l.cancel()
	if err := ws.check(l.ep); err != nil {
		return err
	}
	var n, failed int // the hooks never overlap
	err = serve(l.ctx, "echo", l.ep, serveHooks{
		packet: func(w router.ResponseWriter, p *osc.Packet) {
			if *count > 0 && n >= *count {
				return
			}
			if _, err := w.Write(p.Data); err != nil {
				failed++
			}
			if n++; n == *count {
				l.cancel()
			}
		},
		invalid: func(p *osc.Packet, err error) {
			fmt.Fprintf(l.stderr, "oscli echo: bad frame from %s: %v\n", sender(p), err)
		},
		stderr: l.stderr,
		ws:     ws,
	})
	fmt.Fprintf(e.stderr, "oscli echo: echoed %d packets (%d replies failed)\n", n, failed)
	return err
}
