package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

const sendUsage = `[flags] HOST PORT|URL /address [TYPES] [VALUES...]
       oscli send [flags] - /address [TYPES] [VALUES...]
       oscli send -json [flags] HOST PORT|URL|- [JSON...]
       oscli send [flags] [-H HOST] [-P PORT] [-r N] [-s] /address [VALUES...]

Sends one message in liblo's oscsend grammar, or with -json the packets in
the JSON form given as arguments or read from standard input (one a line, as
oscli decode and oscli dump -json print them). The target "-" writes the
packet bytes to standard output instead. A URL is osc.udp://HOST:PORT,
osc.tcp://HOST:PORT (OSC 1.0 int32 size prefixes, as liblo sends and
scsynth reads; osc.tcp+slip:// or -framing slip for SLIP),
osc.ws://HOST:PORT/PATH (WebSocket, one binary message a packet; osc.wss://
over TLS) or osc.unix:///PATH. With -expect it then waits on the same socket
for a reply and prints it.

TYPES (with or without a leading comma) holds the type tags
i h f d s S c m T F N I b t r and [ ] for arrays; each tag but T F N I [ ]
takes the next value: i h integers (or 0x hex), f d numbers (nan, inf),
s S text, c one character, m r 8 hex digits, b hex bytes, t NTP hex
SSSSSSSS.FFFFFFFF, an RFC 3339 time, "now" or "immediate". Without TYPES
each value is typed by its form: integers i (or h), other numbers f, true
and false T and F, nil N, anything else s.
` + oscpyGrammar + `
In it the target is -H and -P, values are always typed by their form (True,
False and None as T, F and N as well), -r N sends N times and then prints
what was sent as oscpy does (calls, bytes, params and a count of each type;
on standard error when the target is -), and -s pauses after each send:
oscli send -H 127.0.0.1 -P 8000 -r 3 /address 1 2.5 hello.`

func runSend(e *env, args []string) error {
	fs := newFlagSet(e, "send", sendUsage)
	asJSON := fs.Bool("json", false, "send packets in the JSON form, from the arguments or standard input")
	at := fs.String("at", "", "send in a bundle timed `TIME` (NTP hex, RFC 3339, now or immediate)")
	in := fs.Duration("in", 0, "send in a bundle timed `DURATION` from now (e.g. 200ms)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up on a connection, a write or -expect after `D`")
	framing := fs.String("framing", "size", "TCP framing of osc.tcp://: `size` (OSC 1.0 int32 length prefix, liblo's) or slip (OSC 1.1)")
	expect := fs.String("expect", "", "after sending, wait on the same socket for a reply whose address matches `PATTERN` and print it")
	py := addOscpyFlags(fs, true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := py.check(); err != nil {
		return err
	}
	if *framing != "slip" && *framing != "size" {
		return usagef("-framing %q: want slip or size", *framing)
	}
	if *expect != "" && !validPattern(*expect) {
		return usagef("-expect %q: not an OSC address pattern", *expect)
	}
	if *at != "" && *in != 0 {
		return usagef("give -at or -in, not both")
	}
	var bundle wire.Timetag
	wrap := true
	switch {
	case *at != "":
		tt, err := parseTime(*at, time.Now)
		if err != nil {
			return usagef("-at %q: %v", *at, err)
		}
		bundle = tt
	case *in != 0:
		bundle = wire.TimetagOf(time.Now().Add(*in))
	default:
		wrap = false
	}

	// A target from -H/-P (or oscpy's default) when they are given or
	// when the arguments start with the /address; else liblo's grammar.
	var dest string
	var rest []string
	oscpy := false
	hp, pos := py.hostPortSet(), fs.Args()
	switch {
	case *asJSON && hp:
		dest, rest = py.url(), pos
	case !*asJSON && (hp || len(pos) > 0 && strings.HasPrefix(pos[0], "/")):
		if len(pos) > 0 && !strings.HasPrefix(pos[0], "/") {
			return usagef("-H and -P name the target: want /address after them, not %q", pos[0])
		}
		dest, rest, oscpy = py.url(), pos, true
	default:
		var err error
		if dest, rest, err = parseTarget(pos); err != nil {
			return err
		}
	}
	if strings.HasPrefix(dest, "osc.tcp://") {
		dest = "osc.tcp+" + *framing + "://" + strings.TrimPrefix(dest, "osc.tcp://")
	}
	if dest == "-" && *expect != "" {
		return usagef("-expect needs a network target, not -")
	}

	var next func() ([]byte, error) // the packets to send, then io.EOF
	if *asJSON {
		if len(rest) > 0 {
			i := 0
			next = func() ([]byte, error) {
				if i == len(rest) {
					return nil, io.EOF
				}
				i++
				pkt, err := oscjson.Encode(nil, []byte(rest[i-1]), nil)
				if err != nil {
					return nil, fmt.Errorf("packet %d: %w", i, err)
				}
				return pkt, nil
			}
		} else {
			next = oscjson.NewReader(e.stdin, nil).Next
		}
	} else {
		addr, vals, err := parseMessage(rest)
		if oscpy && len(rest) > 0 {
			addr, vals, err = rest[0], make([]wire.Value, len(rest)-1), nil
			for i, s := range rest[1:] {
				vals[i] = oscpyValue(s)
			}
		}
		if err != nil {
			return usagef("%v", err)
		}
		pkt, err := wire.AppendMessage(nil, addr, vals...)
		if err != nil {
			return err
		}
		done := false
		next = func() ([]byte, error) {
			if done {
				return nil, io.EOF
			}
			done = true
			return pkt, nil
		}
	}

	var out io.Writer
	var client *osc.Client
	if dest == "-" {
		out = e.stdout
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		c, err := osc.DialContext(ctx, dest)
		cancel()
		if err != nil {
			return err
		}
		defer c.Close()
		client = c
		out = &boundedWriter{c: c, dest: dest, timeout: *timeout}
	}
	// Over UDP, a refusal reported for an earlier datagram (ICMP port
	// unreachable) does not fail the next send, as with liblo's oscsend
	// and oscpy, which send without connecting.
	udp := strings.HasPrefix(dest, "osc.udp://")
	var enc wire.Encoder
	var stats sendStats
	for {
		pkt, err := next()
		if err == io.EOF {
			if py.set("r", "repeat") {
				w := e.stdout
				if dest == "-" {
					w = e.stderr
				}
				stats.print(w)
			}
			if *expect != "" {
				return expectReply(e, client, *expect, *timeout, *asJSON)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if wrap {
			enc.Reset()
			if pkt, err = enc.BeginBundle(bundle).Raw(pkt).EndBundle().Bytes(); err != nil {
				return err
			}
		}
		for range py.repeat {
			if _, err := out.Write(pkt); err != nil && !(udp && errors.Is(err, syscall.ECONNREFUSED)) {
				return err
			}
			stats.add(pkt)
			if py.safer {
				time.Sleep(time.Millisecond)
			}
		}
	}
}

// boundedWriter gives each write to the client timeout to complete: a
// write that blocks longer (a UNIX datagram receiver whose queue is full, a
// TCP peer that stopped reading) closes the client and fails with
// os.ErrDeadlineExceeded.
type boundedWriter struct {
	c        *osc.Client
	dest     string
	timeout  time.Duration
	watchdog *time.Timer
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if w.watchdog == nil {
		w.watchdog = time.AfterFunc(w.timeout, func() { w.c.Close() })
	} else {
		w.watchdog.Reset(w.timeout)
	}
	n, err := w.c.Write(p)
	if !w.watchdog.Stop() { // it fired: the client is closed, or about to be
		return n, fmt.Errorf("write to %s: %w", w.dest, os.ErrDeadlineExceeded)
	}
	return n, err
}

// expectReply waits for a packet holding a message whose address matches
// pattern and prints it, in the oscdump layout or as JSON.
func expectReply(e *env, c *osc.Client, pattern string, timeout time.Duration, asJSON bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var opts wire.Options
	for {
		pkt, err := c.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("no reply matching %s within %v", pattern, timeout)
			}
			var fe *osc.FrameError
			if errors.As(err, &fe) && fe.Recoverable {
				continue
			}
			if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
				return fmt.Errorf("connection closed before a reply matching %s", pattern)
			}
			time.Sleep(10 * time.Millisecond) // a refused port: keep waiting
			continue
		}
		found := false
		opts.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
			found = found || router.Match(pattern, m.AddressString())
			return nil
		})
		if !found {
			continue
		}
		var line []byte
		if asJSON {
			line, err = oscjson.AppendPacket(nil, pkt, &opts)
			line = append(line, '\n')
		} else {
			line, err = appendText(nil, pkt, &opts)
		}
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(line)
		return err
	}
}

// parseTarget reads the destination at the start of args: "-", a URL, or
// HOST PORT. It returns "-" or a URL for osc.Dial, and the arguments after
// it.
func parseTarget(args []string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usagef("missing HOST PORT, URL or -")
	}
	a := args[0]
	switch {
	case a == "-":
		return "-", args[1:], nil
	case strings.Contains(a, "://"):
		scheme, rest, _ := strings.Cut(a, "://")
		switch scheme {
		case "osc.udp", "osc.tcp", "osc.tcp+slip", "osc.tcp+size":
		case "osc.unix", "osc.ws", "osc.wss":
			if _, err := netio.ParseEndpoint(a); err != nil {
				return "", nil, usagef("%v", err)
			}
			return a, args[1:], nil
		default:
			return "", nil, usagef("%s: want osc.udp://HOST:PORT, osc.tcp://HOST:PORT, osc.ws://HOST:PORT/PATH or osc.unix:///PATH", a)
		}
		hostport, _, _ := strings.Cut(rest, "/")
		if _, err := splitHostPort(hostport); err != nil {
			return "", nil, usagef("%s: %v", a, err)
		}
		return scheme + "://" + hostport, args[1:], nil
	}
	if len(args) < 2 {
		return "", nil, usagef("missing PORT after HOST %q", a)
	}
	hostport := net.JoinHostPort(a, args[1])
	if _, err := splitHostPort(hostport); err != nil {
		return "", nil, usagef("%v", err)
	}
	return "osc.udp://" + hostport, args[2:], nil
}

func splitHostPort(hostport string) (int, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0, err
	}
	if host == "" {
		return 0, errors.New("missing host")
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("port %q: want a number from 1 to 65535", port)
	}
	return int(n), nil
}
