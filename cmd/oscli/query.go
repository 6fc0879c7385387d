package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/wire"
)

const queryUsage = `[flags] URL[/path]

Fetches the OSCQuery namespace of a server over HTTP, or the subtree below
/path, and prints one line a node, depth first: its full path, TYPE,
ACCESS (r, w or rw), VALUE (the arguments as oscli dump prints them),
RANGE (MIN..MAX or {VALS...} for each type tag) and DESCRIPTION; "-"
stands for an attribute the node does not have, "null" for an entry of a
VALUE the server left empty. With -json it prints the JSON document as the
server sent it. With -hostinfo it prints the server's HOST_INFO instead
(NAME, OSC_IP, OSC_PORT, OSC_TRANSPORT, EXTENSIONS...), as JSON with
-json.

URL is http://HOST:PORT/path (https too); HOST:PORT/path without the
scheme means http://, and PORT/path http://127.0.0.1:PORT/path.

With -listen PATH (repeatable) it connects to the server's WebSocket
instead, LISTENs to each PATH (which must be a node: a path with none is
an error) and prints the messages the server streams, in oscdump's layout
(as oscli dump prints them), until interrupted or, with -count, after N
messages; the server's notices of namespace changes (PATH_ADDED...) are
printed on standard error. The path of URL does not matter then.

oscli browse finds the servers announced by mDNS (DNS-SD). The exit
status is 1 when the server cannot be reached or does not answer within
-timeout, when the path has no node (404), and when the answer is not
OSCQuery JSON.`

func runQuery(e *env, args []string) error {
	fs := newFlagSet(e, "query", queryUsage)
	asJSON := fs.Bool("json", false, "print the JSON as served")
	hostInfo := fs.Bool("hostinfo", false, "print the server's HOST_INFO instead of the namespace")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after `D`")
	var listens stringList
	fs.Var(&listens, "listen", "stream the values of the node at `PATH` (repeatable)")
	count := fs.Int("count", 0, "with -listen, exit after `N` messages (0: no limit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one URL")
	}
	if *timeout <= 0 {
		return usagef("-timeout %v: want a positive duration", *timeout)
	}
	u, err := queryURL(fs.Arg(0))
	if err != nil {
		return err
	}
	if len(listens) > 0 {
		if *asJSON || *hostInfo {
			return usagef("-listen streams values: -json and -hostinfo do not apply")
		}
		return queryListen(e, u, listens, *count, *timeout)
	}
	if *count != 0 {
		return usagef("-count goes with -listen")
	}
	if *hostInfo {
		u.RawQuery = "HOST_INFO"
	}
	ctx, cancel := signalContext(e, 0)
	defer cancel()
	body, err := httpGetJSON(ctx, u.String(), *timeout)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	switch {
	case *asJSON:
		w.Write(body)
		w.WriteByte('\n')
	case *hostInfo:
		var hi oscquery.HostInfo
		if err := json.Unmarshal(body, &hi); err != nil {
			return fmt.Errorf("GET %s: not a HOST_INFO object: %v", u, err)
		}
		printHostInfo(w, &hi)
	default:
		var n oscquery.Node
		if err := n.UnmarshalJSON(body); err != nil {
			return fmt.Errorf("GET %s: not an OSCQuery node: %v", u, err)
		}
		printTree(w, &n)
	}
	return w.Flush()
}

// queryURL reads the URL argument of oscli query: http(s)://HOST:PORT/path,
// HOST:PORT/path or PORT/path (on 127.0.0.1).
func queryURL(arg string) (*url.URL, error) {
	port, _, _ := strings.Cut(arg, "/")
	if _, err := strconv.ParseUint(port, 10, 16); err == nil {
		arg = "127.0.0.1:" + arg
	}
	if !strings.Contains(arg, "://") {
		arg = "http://" + arg
	}
	u, err := url.Parse(arg)
	if err != nil {
		return nil, usagef("%v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, usagef("%q: want an http:// URL", arg)
	case u.Host == "":
		return nil, usagef("%q: no host", arg)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, usagef("%q: give the node as a path, without a ?query (see -hostinfo)", arg)
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// queryClient is oscli query's HTTP client: its time limit comes from the
// context of each request.
var queryClient = &http.Client{Transport: http.DefaultTransport}

// httpGetJSON fetches rawURL and returns the body of a 200 answer that is
// JSON, or an error that says what went wrong in terms of the server.
func httpGetJSON(ctx context.Context, rawURL string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := queryClient.Do(req)
	if err != nil {
		return nil, reachError(ctx, rawURL, timeout, err)
	}
	defer resp.Body.Close()
	const limit = oscquery.DefaultMaxResponseBytes
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, reachError(ctx, rawURL, timeout, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg := resp.Status
		line := firstLine(b)
		switch {
		case resp.StatusCode == http.StatusNotFound:
			msg += ": no such node"
		case line != "" && !strings.EqualFold(line, http.StatusText(resp.StatusCode)):
			msg += " (" + truncate(line, 80) + ")"
		}
		return nil, fmt.Errorf("GET %s: %s", rawURL, msg)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("GET %s: answer larger than %d bytes: ask for a subtree", rawURL, limit)
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		ct := resp.Header.Get("Content-Type")
		if ct == "" {
			ct = "none"
		}
		start := firstLine(b)
		if start == "" {
			start = "an empty body"
		} else {
			start = strconv.Quote(truncate(start, 40))
		}
		return nil, fmt.Errorf("GET %s: the answer is not JSON (Content-Type %s, %s): not an OSCQuery server?", rawURL, ct, start)
	}
	return b, nil
}

// reachError explains a failed request: no answer in time, or why the
// server could not be reached.
func reachError(ctx context.Context, rawURL string, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("GET %s: no answer within %v", rawURL, timeout)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("GET %s: interrupted", rawURL)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("cannot reach %s: %v", rawURL, op.Err)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("GET %s: %v", rawURL, err)
}

// firstLine returns the first line of b, trimmed.
func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte{'\n'})
	return string(bytes.TrimSpace(line))
}

// printTree writes one line a node, depth first, children in name order,
// in aligned columns.
func printTree(w io.Writer, n *oscquery.Node) {
	var rows [][]string
	var walk func(n *oscquery.Node)
	walk = func(n *oscquery.Node) {
		rows = append(rows, nodeCells(n))
		for _, k := range slices.Sorted(maps.Keys(n.Contents)) {
			if c := n.Contents[k]; c != nil {
				walk(c)
			}
		}
	}
	walk(n)
	writeColumns(w, rows)
}

// writeColumns writes rows of cells in columns two spaces apart, without
// trailing spaces.
func writeColumns(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var line []byte
	for _, r := range rows {
		line = line[:0]
		for i, c := range r {
			line = append(line, c...)
			if i < len(r)-1 {
				for range widths[i] - utf8.RuneCountInString(c) + 2 {
					line = append(line, ' ')
				}
			}
		}
		line = append(bytes.TrimRight(line, " "), '\n')
		w.Write(line)
	}
}

// nodeCells returns the cells of one node: PATH TYPE ACCESS VALUE RANGE
// DESCRIPTION.
func nodeCells(n *oscquery.Node) []string {
	value := "-"
	if n.Value != nil {
		value = string(appendValuesText(nil, n.Value))
	}
	desc := ""
	if n.Description != "" {
		desc = strconv.Quote(n.Description)
	}
	return []string{
		n.FullPath,
		orDash(n.Type),
		orDash(accessText(n.Access)),
		value,
		string(appendRanges(nil, n.Range)),
		desc,
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func accessText(a oscquery.Access) string {
	switch a {
	case oscquery.AccessRead:
		return "r"
	case oscquery.AccessWrite:
		return "w"
	case oscquery.AccessReadWrite:
		return "rw"
	}
	return ""
}

// appendValuesText writes values as oscli dump writes arguments, separated
// by spaces; an empty entry (JSON null where the type has a value) as
// null. An empty VALUE is written [].
func appendValuesText(dst []byte, vs []wire.Value) []byte {
	if len(vs) == 0 {
		return append(dst, "[]"...)
	}
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = appendValueText(dst, v)
	}
	return dst
}

// appendValueText writes one value in dump's text layout; oscquery's
// appendValue has the same shape for the JSON form.
func appendValueText(dst []byte, v wire.Value) []byte {
	switch v.Type() {
	case 0:
		return append(dst, "null"...)
	case wire.TypeArrayBegin:
		arr, _ := v.Array()
		dst = append(dst, '[')
		for i, x := range arr {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = appendValueText(dst, x)
		}
		return append(dst, ']')
	}
	return append(dst, v.String()...)
}

// appendRanges writes one entry a type tag, separated by spaces: MIN..MAX
// (either side may be missing), {VALS...}, or - for an entry without a
// range; a node without RANGE is a single -.
func appendRanges(dst []byte, rs []oscquery.Range) []byte {
	if !slices.ContainsFunc(rs, func(r oscquery.Range) bool { return !r.IsZero() }) {
		return append(dst, '-')
	}
	for i, r := range rs {
		if i > 0 {
			dst = append(dst, ' ')
		}
		if r.IsZero() {
			dst = append(dst, '-')
			continue
		}
		if r.Min.Type() != 0 || r.Max.Type() != 0 {
			if r.Min.Type() != 0 {
				dst = appendValueText(dst, r.Min)
			}
			dst = append(dst, ".."...)
			if r.Max.Type() != 0 {
				dst = appendValueText(dst, r.Max)
			}
		}
		if r.Vals != nil {
			dst = append(dst, '{')
			for j, v := range r.Vals {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendValueText(dst, v)
			}
			dst = append(dst, '}')
		}
	}
	return dst
}

// printHostInfo writes the fields of HOST_INFO that are set, one a line,
// EXTENSIONS as the names of those it says are supported.
func printHostInfo(w io.Writer, hi *oscquery.HostInfo) {
	var rows [][]string
	field := func(k, v string) {
		if v != "" && v != "0" {
			rows = append(rows, []string{k, v})
		}
	}
	field("NAME", hi.Name)
	field("OSC_IP", hi.OSCIP)
	field("OSC_PORT", strconv.Itoa(hi.OSCPort))
	field("OSC_TRANSPORT", hi.OSCTransport)
	field("WS_IP", hi.WSIP)
	field("WS_PORT", strconv.Itoa(hi.WSPort))
	if hi.Extensions != nil {
		var on []string
		for k, v := range hi.Extensions {
			if v {
				on = append(on, k)
			}
		}
		slices.Sort(on)
		rows = append(rows, []string{"EXTENSIONS", strings.Join(on, " ")})
	}
	writeColumns(w, rows)
}
