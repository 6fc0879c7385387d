package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/wire"
)

const sendUsage = `[flags] HOST PORT|URL /address [TYPES] [VALUES...]
       oscli send [flags] - /address [TYPES] [VALUES...]
       oscli send -json [flags] HOST PORT|URL|- [JSON...]

Sends one message in liblo's oscsend grammar, or with -json the packets in
the JSON form given as arguments or read from standard input (one a line, as
oscli decode and oscli dump -json print them). The target "-" writes the
packet bytes to standard output instead; a URL is osc.udp://HOST:PORT.

TYPES (with or without a leading comma) holds the type tags
i h f d s S c m T F N I b t r and [ ] for arrays; each tag but T F N I [ ]
takes the next value: i h integers (or 0x hex), f d numbers (nan, inf),
s S text, c one character, m r 8 hex digits, b hex bytes, t NTP hex
SSSSSSSS.FFFFFFFF, an RFC 3339 time, "now" or "immediate". Without TYPES
each value is typed by its form: integers i (or h), other numbers f, true
and false T and F, nil N, anything else s.`

func runSend(e *env, args []string) error {
	fs := newFlagSet(e, "send", sendUsage)
	asJSON := fs.Bool("json", false, "send packets in the JSON form, from the arguments or standard input")
	at := fs.String("at", "", "send in a bundle timed `TIME` (NTP hex, RFC 3339, now or immediate)")
	in := fs.Duration("in", 0, "send in a bundle timed `DURATION` from now (e.g. 200ms)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up on a write after `D`")
	if err := parseFlags(fs, args); err != nil {
		return err
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

	dest, rest, err := parseTarget(fs.Args())
	if err != nil {
		return err
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
	if dest == "-" {
		out = e.stdout
	} else {
		conn, err := net.DialTimeout("udp", dest, *timeout)
		if err != nil {
			return err
		}
		defer conn.Close()
		out = deadlineWriter{conn, *timeout}
	}
	var enc wire.Encoder
	for {
		pkt, err := next()
		if err == io.EOF {
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
		if _, err := out.Write(pkt); err != nil {
			return err
		}
	}
}

// deadlineWriter bounds each write to a connection.
type deadlineWriter struct {
	c net.Conn
	d time.Duration
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	if err := w.c.SetWriteDeadline(time.Now().Add(w.d)); err != nil {
		return 0, err
	}
	return w.c.Write(p)
}

// parseTarget reads the destination at the start of args: "-", a URL, or
// HOST PORT. It returns "-" or a UDP host:port, and the arguments after it.
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
		case "osc.udp":
		case "osc.tcp", "osc.unix":
			return "", nil, fmt.Errorf("%s: sending over %s is not supported yet", a, strings.TrimPrefix(scheme, "osc."))
		default:
			return "", nil, usagef("%s: want osc.udp://HOST:PORT", a)
		}
		hostport, _, _ := strings.Cut(rest, "/")
		if _, err := splitHostPort(hostport); err != nil {
			return "", nil, usagef("%s: %v", a, err)
		}
		return hostport, args[1:], nil
	}
	if len(args) < 2 {
		return "", nil, usagef("missing PORT after HOST %q", a)
	}
	hostport := net.JoinHostPort(a, args[1])
	if _, err := splitHostPort(hostport); err != nil {
		return "", nil, usagef("%v", err)
	}
	return hostport, args[2:], nil
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
