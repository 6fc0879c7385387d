package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/osckit/osc/wire"
)

// oscpy's defaults: with neither -H/-P nor a PORT, URL or HOST PORT, send
// and dump use localhost:8000 over UDP.
const (
	oscpyHost = "localhost"
	oscpyPort = 8000
)

// oscpyGrammar is the help text of the second grammar of send and dump.
const oscpyGrammar = `
oscpy's grammar is accepted too: -H/--host and -P/--port name the UDP
host and port (localhost and 8000 when neither they nor a target is given),
-e/--encoding the string encoding (utf-8 only: strings go as given).`

// oscpyFlags are the flags of oscpy's oscli send and dump.
type oscpyFlags struct {
	fs       *flagSet
	host     string
	port     int
	encoding string
	repeat   int
	safer    bool
}

// addOscpyFlags registers oscpy's flags on fs, each under its short and
// long name; send adds -r/--repeat and -s/--safer.
func addOscpyFlags(fs *flagSet, send bool) *oscpyFlags {
	o := &oscpyFlags{fs: fs, repeat: 1}
	for _, n := range []string{"H", "host"} {
		fs.StringVar(&o.host, n, oscpyHost, "oscpy: UDP `HOST` (with -P, instead of a target)")
	}
	for _, n := range []string{"P", "port"} {
		fs.IntVar(&o.port, n, oscpyPort, "oscpy: UDP `PORT` (with -H, instead of a target)")
	}
	for _, n := range []string{"e", "encoding"} {
		fs.StringVar(&o.encoding, n, "utf-8", "oscpy: string `ENCODING` (utf-8 only)")
	}
	if send {
		for _, n := range []string{"r", "repeat"} {
			fs.IntVar(&o.repeat, n, 1, "oscpy: send each packet `N` times, then print what was sent")
		}
		for _, n := range []string{"s", "safer"} {
			fs.BoolVar(&o.safer, n, false, "oscpy: pause a millisecond after each packet sent")
		}
	}
	return o
}

// set reports whether one of the named flags was given.
func (o *oscpyFlags) set(names ...string) bool {
	found := false
	o.fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			found = found || f.Name == n
		}
	})
	return found
}

// check refuses what oscpy's flags cannot mean.
func (o *oscpyFlags) check() error {
	switch strings.ToLower(o.encoding) {
	case "utf-8", "utf8":
	default:
		return usagef("-e %q: only utf-8 (OSC strings are sent and printed as their bytes)", o.encoding)
	}
	if o.port < 0 || o.port > 65535 {
		return usagef("-P %d: want a port from 0 to 65535", o.port)
	}
	if o.repeat < 1 {
		return usagef("-r %d: want 1 or more", o.repeat)
	}
	return nil
}

// hostPortSet reports whether -H or -P was given.
func (o *oscpyFlags) hostPortSet() bool { return o.set("H", "host", "P", "port") }

// url is the UDP endpoint of -H and -P.
func (o *oscpyFlags) url() string {
	return "osc.udp://" + net.JoinHostPort(o.host, strconv.Itoa(o.port))
}

// oscpyValue types one value as oscpy's CLI does (Python literals): True,
// False and None too, and every other word as oscli infers it, never as
// type tags.
func oscpyValue(s string) wire.Value {
	switch s {
	case "True":
		return wire.Bool(true)
	case "False":
		return wire.Bool(false)
	case "None":
		return wire.Nil()
	}
	return inferValue(s)
}

// sendStats is what oscpy's oscli send prints after sending.
type sendStats struct {
	calls, bytes, params int
	types                [256]int
}

func (s *sendStats) add(pkt []byte) {
	s.calls++
	s.bytes += len(pkt)
	var opts wire.Options
	opts.Walk(pkt, func(m wire.Message, _ wire.Timetag) error {
		for _, t := range m.TypeTags() {
			s.types[t]++
			if t != '[' && t != ']' {
				s.params++
			}
		}
		return nil
	})
}

// print writes the stats in oscpy's layout.
func (s *sendStats) print(w io.Writer) {
	fmt.Fprintf(w, "Stats:\n    calls: %d\n    bytes: %d\n    params: %d\n    types:", s.calls, s.bytes, s.params)
	for t, n := range s.types {
		if n > 0 {
			fmt.Fprintf(w, "\n        %c: %d", t, n)
		}
	}
	fmt.Fprintln(w)
}
