package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// env is what a subcommand reads and writes, so that tests can run it
// in-process.
type env struct {
	ctx    context.Context // nil: the process's life; ends long-running commands
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name     string
	synopsis string
	run      func(e *env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"send", "send a message (oscsend grammar) or JSON packets", runSend},
		{"dump", "print the packets arriving on a port (oscdump layout or JSON)", runDump},
		{"echo", "answer every packet back to its sender", runEcho},
		{"monitor", "a live view of the traffic on a port: rates, values, senders, loss", runMonitor},
		{"relay", "forward packets from endpoints to destinations, filtered, rewritten, flattened", runRelay},
		{"bench", "load generator: rate, loss, reordering and round-trip latency", runBench},
		{"query", "print the OSCQuery namespace of a server (HTTP)", runQuery},
		{"advertise", "serve an OSCQuery description of a port over HTTP", runAdvertise},
		{"browse", "list the OSCQuery applications announced by mDNS (DNS-SD)", runBrowse},
		{"encode", "JSON packets to packet bytes", runEncode},
		{"decode", "packet bytes to JSON or oscdump text", runDecode},
		{"record", "record the packets arriving on endpoints to pcapng or JSON lines", runRecord},
		{"replay", "send a recording to destinations with its timing", runReplay},
		{"version", "print the osckit and Go versions", runVersion},
		{"help", "show help for a subcommand", runHelp},
	}
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errReported means the subcommand has already printed its errors: exit
// status 1 with nothing more to say.
var errReported = errors.New("errors reported")

func main() {
	os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

// run executes one oscli command line and returns the exit status: 0 on
// success (and for -h), 1 when the work failed, 2 for a usage mistake.
func run(e *env, args []string) int {
	if len(args) == 0 {
		mainUsage(e.stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		mainUsage(e.stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errReported):
			return 1
		}
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "oscli %s: %v\nRun 'oscli %s -h' for usage.\n", name, err, name)
			return 2
		}
		fmt.Fprintf(e.stderr, "oscli %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(e.stderr, "oscli: unknown command %q\n", name)
	mainUsage(e.stderr)
	return 2
}

func mainUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: oscli COMMAND [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.synopsis)
	}
	b.WriteString("\nRun 'oscli COMMAND -h' for the flags and arguments of a command.\n")
	io.WriteString(w, b.String())
}

func runHelp(e *env, args []string) error {
	if len(args) == 0 {
		mainUsage(e.stdout)
		return nil
	}
	if args[0] == "help" {
		return usagef("try: oscli help COMMAND")
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(e, []string{"-h"})
		}
	}
	return usagef("unknown command %q", args[0])
}

// newFlagSet returns a FlagSet for a subcommand; parseFlags prints its
// usage for -h.
func newFlagSet(e *env, name, usage string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("oscli "+name, flag.ContinueOnError)}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.help = func() {
		w := e.stdout
		fmt.Fprintf(w, "Usage: oscli %s %s\n", name, strings.TrimSpace(usage))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.SetOutput(w)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	return fs
}

// flagSet is a subcommand's flags and its usage printer.
type flagSet struct {
	*flag.FlagSet
	help func()
}

// parseFlags parses args: -h prints the usage to stdout and returns
// flag.ErrHelp, and a flag mistake becomes a usageError.
func parseFlags(fs *flagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.help()
		return err
	}
	if err != nil {
		return &usageError{err.Error()}
	}
	return nil
}
