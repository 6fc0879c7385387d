package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/wire"
)

// maxPacket bounds what decode reads as one packet.
const maxPacket = 16 << 20

func runEncode(e *env, args []string) error {
	fs := newFlagSet(e, "encode", `[-hex] [-lenient] [JSON...]

Encodes packets written in the JSON form ({"address":"/a","args":[...]} or
{"timetag":...,"elements":[...]}), given as arguments or read from standard
input (one packet a line). Writes the bytes of one packet, or with -hex one
line of hex for each packet. A value that is not a packet prints its error
and makes the exit status 1.`)
	hexOut := fs.Bool("hex", false, "write each packet as one line of lowercase hex")
	lenient := fs.Bool("lenient", false, "also write what a lenient decoder accepts (a nested bundle earlier than its parent)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := &wire.Options{Lenient: *lenient}
	var pkts [][]byte
	failed := false
	report := func(n int, err error) {
		failed = true
		fmt.Fprintf(e.stderr, "oscli encode: packet %d: %v\n", n, err)
	}
	if fs.NArg() > 0 {
		for i, a := range fs.Args() {
			pkt, err := oscjson.Encode(nil, []byte(a), opts)
			if err != nil {
				report(i+1, err)
				continue
			}
			pkts = append(pkts, pkt)
		}
	} else {
		r := oscjson.NewReader(e.stdin, opts)
		for {
			pkt, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				failed = true
				fmt.Fprintf(e.stderr, "oscli encode: %v\n", err)
				if errors.Is(err, oscjson.ErrStream) {
					break // the stream cannot be resumed
				}
				continue
			}
			pkts = append(pkts, bytes.Clone(pkt))
		}
	}
	if *hexOut {
		w := bufio.NewWriter(e.stdout)
		for _, p := range pkts {
			w.WriteString(hex.EncodeToString(p))
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			return err
		}
	} else {
		switch {
		case len(pkts) > 1:
			return errors.New("raw output holds one packet: give -hex for several")
		case len(pkts) == 1 && !failed:
			if _, err := e.stdout.Write(pkts[0]); err != nil {
				return err
			}
		case len(pkts) == 0 && !failed:
			return usagef("no packet given")
		}
	}
	if failed {
		return errReported
	}
	return nil
}

func runDecode(e *env, args []string) error {
	fs := newFlagSet(e, "decode", `[-hex] [-text] [-lenient] [FILE...|HEX...]

Decodes packets to the JSON form, one line a packet, or with -text to
liblo's oscdump layout (SSSSSSSS.FFFFFFFF /address types values...; a
bundle prints a "#bundle TIMETAG" line, indented by its nesting, before its
messages, which carry its timetag). Input is the bytes of one packet from
each FILE ("-" or none: standard input), or with -hex a packet of hex from
each argument or from each line of standard input. A packet that does not
decode prints the reason, its byte offset and the packet in hex, and makes
the exit status 1.`)
	hexIn := fs.Bool("hex", false, "read packets as hex: from the arguments, or one a line from standard input")
	text := fs.Bool("text", false, "print in liblo's oscdump layout instead of JSON")
	fs.Bool("json", true, "print JSON lines (the default)")
	lenient := fs.Bool("lenient", false, "accept non-zero padding, trailing bytes, a message without type tags, and a nested bundle earlier than its parent")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := &wire.Options{Lenient: *lenient}
	w := bufio.NewWriter(e.stdout)
	failed := false
	var line []byte
	n := 0
	decode := func(pkt []byte) {
		n++
		var err error
		if *text {
			line, err = appendText(line[:0], pkt, opts)
		} else {
			line, err = oscjson.AppendPacket(line[:0], pkt, opts)
			line = append(line, '\n')
		}
		if err != nil {
			failed = true
			w.Flush()
			fmt.Fprintf(e.stderr, "oscli decode: packet %d: %s\n", n, badPacket(err, pkt))
			return
		}
		w.Write(line)
	}
	switch {
	case *hexIn && fs.NArg() > 0:
		for _, a := range fs.Args() {
			pkt, err := parseHex(a)
			if err != nil {
				return usagef("%q: %v", a, err)
			}
			decode(pkt)
		}
	case *hexIn:
		sc := bufio.NewScanner(e.stdin)
		sc.Buffer(nil, 2*maxPacket+1)
		for sc.Scan() {
			s := strings.TrimSpace(sc.Text())
			if s == "" || s[0] == '#' {
				continue
			}
			pkt, err := parseHex(s)
			if err != nil {
				w.Flush()
				return fmt.Errorf("line %q: %v", truncate(s, 40), err)
			}
			decode(pkt)
		}
		if err := sc.Err(); err != nil {
			return err
		}
	default:
		files := fs.Args()
		if len(files) == 0 {
			files = []string{"-"}
		}
		for _, f := range files {
			pkt, err := readPacket(e, f)
			if err != nil {
				w.Flush()
				return err
			}
			decode(pkt)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if failed {
		return errReported
	}
	return nil
}

func readPacket(e *env, name string) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPacket+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPacket {
		return nil, fmt.Errorf("%s: more than %d bytes", name, maxPacket)
	}
	return b, nil
}

// parseHex reads hex digits, ignoring white space and an optional 0x.
func parseHex(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hex")
	}
	return b, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// badPacket formats a decoding error with the packet's bytes in hex, at
// most 256 of them.
func badPacket(err error, pkt []byte) string {
	h := pkt
	more := ""
	if len(h) > 256 {
		h, more = h[:256], "..."
	}
	return fmt.Sprintf("%v: %d bytes: %x%s", err, len(pkt), h, more)
}

// appendText writes pkt in liblo's oscdump layout, one line a message
// prefixed with its bundle's timetag (Immediately for a bare message); a
// bundle prints "#bundle TIMETAG", indented two spaces a nesting level,
// before its elements.
func appendText(dst, pkt []byte, o *wire.Options) ([]byte, error) {
	if err := o.Validate(pkt); err != nil {
		return dst, err
	}
	if len(pkt) > 0 && pkt[0] == '#' {
		b, err := o.ParseBundle(pkt)
		if err != nil {
			return dst, err
		}
		return appendBundleText(dst, &b, 0), nil
	}
	m, err := o.ParseMessage(pkt)
	if err != nil {
		return dst, err
	}
	return appendMessageText(dst, &m, wire.Immediately), nil
}

func appendMessageText(dst []byte, m *wire.Message, tt wire.Timetag) []byte {
	dst = tt.AppendText(dst)
	dst = append(dst, ' ')
	dst = m.AppendText(dst)
	return append(dst, '\n')
}

func appendBundleText(dst []byte, b *wire.Bundle, depth int) []byte {
	for range depth {
		dst = append(dst, "  "...)
	}
	dst = append(dst, "#bundle "...)
	tt := b.Timetag()
	dst = tt.AppendText(dst)
	dst = append(dst, '\n')
	r := b.Elements()
	for r.Next() {
		if m, ok := r.Message(); ok {
			dst = appendMessageText(dst, &m, tt)
			continue
		}
		nb, _ := r.Bundle()
		dst = appendBundleText(dst, &nb, depth+1)
	}
	return dst
}
