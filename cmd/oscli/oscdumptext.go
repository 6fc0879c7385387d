package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/osckit/osc/internal/capture"
	"github.com/osckit/osc/wire"
)

// textReader reads the text that liblo's oscdump prints (and oscsendfile
// reads): one message a line, "SSSSSSSS.FFFFFFFF /address types values",
// the timetag optional. Every line becomes a message due at its timetag's
// offset from the first one (a line without one is due with the line
// before). Arguments print as oscdump prints them: strings in double
// quotes, blobs as [Nb 0x.. ..], #T, #F, Nil, Infinitum.
type textReader struct {
	sc    *bufio.Scanner
	line  int
	first wire.Timetag
	last  int64
	hdr   capture.Header
	rec   capture.Record
}

func newTextReader(r io.Reader) *textReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), capture.MaxBlock)
	return &textReader{sc: sc}
}

func (t *textReader) Header() capture.Header { return t.hdr }

func (t *textReader) Next() (*capture.Record, error) {
	for t.sc.Scan() {
		t.line++
		line := strings.TrimSpace(t.sc.Text())
		if line == "" || strings.HasPrefix(line, "#bundle") {
			continue
		}
		pkt, tt, err := parseTextLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", t.line, err)
		}
		if tt != 0 {
			if t.first == 0 {
				t.first = tt
				t.hdr.Start = tt.Time()
			}
			t.last = tt.Sub(t.first).Nanoseconds()
		}
		t.rec = capture.Record{Time: t.last, Transport: capture.UDP, Data: pkt}
		return &t.rec, nil
	}
	if err := t.sc.Err(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}

// parseTextLine reads one line of oscdump's text: the message and its
// timetag (0 when the line has none).
func parseTextLine(line string) ([]byte, wire.Timetag, error) {
	toks, err := textTokens(line)
	if err != nil {
		return nil, 0, err
	}
	var tt wire.Timetag
	if len(toks) > 0 && !strings.HasPrefix(toks[0], "/") {
		v, err := parseTime(toks[0], time.Now)
		if err != nil {
			return nil, 0, fmt.Errorf("timetag %q: %v", toks[0], err)
		}
		tt, toks = v, toks[1:]
	}
	if len(toks) == 0 || !strings.HasPrefix(toks[0], "/") {
		return nil, 0, fmt.Errorf("no address")
	}
	addr, types, vals := toks[0], "", toks[1:]
	if len(vals) > 0 {
		types, vals = vals[0], vals[1:]
	}
	var args []wire.Value
	for i := 0; i < len(types); i++ {
		c := types[i]
		switch c {
		case 'T', 'F', 'N', 'I':
			if len(vals) > 0 && (strings.HasPrefix(vals[0], "#") || vals[0] == "Nil" || vals[0] == "Infinitum") {
				vals = vals[1:]
			}
			v, _ := parseValue(c, "")
			args = append(args, v)
			continue
		}
		if len(vals) == 0 {
			return nil, 0, fmt.Errorf("no value for type %q", c)
		}
		s := vals[0]
		vals = vals[1:]
		switch c {
		case 's':
			s = strings.TrimSuffix(strings.TrimPrefix(s, `"`), `"`)
		case 'S':
			s = strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(s, `"`), `"`), "'")
		case 'c':
			s = strings.TrimSuffix(strings.TrimPrefix(s, "'"), "'")
		case 'b':
			b, err := textBlob(s)
			if err != nil {
				return nil, 0, err
			}
			args = append(args, wire.Blob(b))
			continue
		}
		v, err := parseValue(c, s)
		if err != nil {
			return nil, 0, fmt.Errorf("value %q of type %q: %v", s, c, err)
		}
		args = append(args, v)
	}
	pkt, err := wire.AppendMessage(nil, addr, args...)
	return pkt, tt, err
}

// textBlob reads oscdump's "[Nb 0x.. ..]".
func textBlob(s string) ([]byte, error) {
	f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if len(f) == 0 || !strings.HasSuffix(f[0], "b") {
		return nil, fmt.Errorf("blob %q: want [Nb 0x.. ..]", s)
	}
	n, err := strconv.Atoi(strings.TrimSuffix(f[0], "b"))
	if err != nil || n != len(f)-1 {
		return nil, fmt.Errorf("blob %q: length and bytes differ", s)
	}
	b := make([]byte, n)
	for i, x := range f[1:] {
		v, err := strconv.ParseUint(x, 0, 8)
		if err != nil {
			return nil, fmt.Errorf("blob %q: byte %q", s, x)
		}
		b[i] = byte(v)
	}
	return b, nil
}

// textTokens splits a line at spaces, keeping "quoted strings" and
// [bracketed groups] whole.
func textTokens(line string) ([]string, error) {
	var toks []string
	for line = strings.TrimLeft(line, " \t"); line != ""; line = strings.TrimLeft(line, " \t") {
		end := strings.IndexAny(line, " \t")
		switch line[0] {
		case '"':
			// The closing quote is the last one before a space or the end.
			end = -1
			for i := 1; i < len(line); i++ {
				if line[i] == '"' && (i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t') {
					end = i + 1
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("unterminated string")
			}
		case '[':
			i := strings.IndexByte(line, ']')
			if i < 0 {
				return nil, fmt.Errorf("unterminated blob")
			}
			end = i + 1
		}
		if end < 0 {
			end = len(line)
		}
		toks = append(toks, line[:end])
		line = line[end:]
	}
	return toks, nil
}
