package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/internal/netio"
	"github.com/osckit/osc/router"
)

// listenCmd is what oscli dump and oscli echo start with: the endpoint of
// their one PORT or URL argument, the context that ends them (see
// signalContext) and their standard error, shared with the server.
type listenCmd struct {
	ep     netio.Endpoint
	ctx    context.Context
	cancel context.CancelFunc
	stderr *lockedWriter
}

// newListenCmd reads the PORT or URL argument left in fs. The caller
// calls cancel when done.
func newListenCmd(e *env, fs *flagSet, timeout time.Duration) (*listenCmd, error) {
	if fs.NArg() != 1 {
		return nil, usagef("want one PORT or URL")
	}
	return listenOn(e, fs.Arg(0), timeout)
}

// listenOn is newListenCmd for a PORT or URL given.
func listenOn(e *env, arg string, timeout time.Duration) (*listenCmd, error) {
	ep, err := listenArg(arg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := signalContext(e, timeout)
	return &listenCmd{ep: ep, ctx: ctx, cancel: cancel, stderr: &lockedWriter{w: e.stderr}}, nil
}

// listenArg reads a PORT or URL argument into an endpoint to listen on.
// listenArgs is listenArg for each of a command's PORT|URL arguments.
func listenArgs(args []string) ([]netio.Endpoint, error) {
	eps := make([]netio.Endpoint, len(args))
	for i, a := range args {
		ep, err := listenArg(a)
		if err != nil {
			return nil, err
		}
		eps[i] = ep
	}
	return eps, nil
}

func listenArg(arg string) (netio.Endpoint, error) {
	if _, err := strconv.ParseUint(arg, 10, 16); err == nil {
		arg = ":" + arg
	}
	ep, err := netio.ParseEndpoint(arg)
	if err != nil {
		return ep, usagef("%v", err)
	}
	return ep, nil
}

// serveHooks is what oscli dump and oscli echo do with what arrives.
// Calls of packet and invalid never overlap, even across TCP connections.
type serveHooks struct {
	// packet sees every packet (a datagram or a TCP frame), undecoded; w
	// answers its sender. Nothing is dispatched after it.
	packet func(w router.ResponseWriter, p *osc.Packet)
	// invalid hears about a TCP framing error (p.Data is empty). Packets
	// that do not decode are packet's to find: the server decodes none.
	invalid func(p *osc.Packet, err error)
	// stderr is where the hooks print; the server's own reports go there
	// too, a whole line at a time.
	stderr io.Writer
	// ws configures a WebSocket endpoint (nil: the defaults).
	ws *wsFlags
}

// serve opens an osc.Server on ep, prints "oscli NAME: listening on URL"
// and hands every packet to the hooks until ctx ends. When serve returns,
// the server is closed and no hook runs any more.
func serve(ctx context.Context, name string, ep netio.Endpoint, h serveHooks) error {
	var mu sync.Mutex
	srv := &osc.Server{
		// Never called: Accept drops every packet before dispatch.
		Handler:            router.HandlerFunc(func(router.ResponseWriter, *router.Request) {}),
		ReplaceStaleSocket: true,
		// A TCP peer may stay connected and quiet as long as it likes, as
		// before; a frame must still arrive whole within FrameTimeout.
		IdleTimeout: -1,
		// Malformed packets and framing errors go to the Invalid hook
		// only; the server's other reports to stderr.
		Logger: slog.New(&logHandler{w: h.stderr, prefix: "oscli " + name + ": "}),
		Accept: func(w router.ResponseWriter, p *osc.Packet) bool {
			mu.Lock()
			defer mu.Unlock()
			h.packet(w, p)
			return false
		},
		Invalid: func(p *osc.Packet, err error) {
			mu.Lock()
			defer mu.Unlock()
			h.invalid(p, err)
		},
	}
	if h.ws == nil {
		h.ws = &wsFlags{}
	}
	h.ws.apply(srv, ep)
	e, err := srv.Listen(ep.String(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(h.stderr, "oscli %s: listening on %s\n", name, e.URL())
	<-ctx.Done()
	// Shutdown lets TCP connections write the replies they still have
	// queued (echo's last answers), within a bound.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// sender names the sender of a packet as oscli prints it. It stays apart
// from the server's own naming for logs, which is unexported and names an
// unbound UNIX sender "".
func sender(p *osc.Packet) string {
	switch {
	case p.Remote.IsValid():
		return p.Remote.String()
	case len(p.Path) > 0:
		return string(p.Path)
	}
	return "(unbound unix socket)"
}

// lockedWriter serialises the writes of the hooks and of the server's
// logger to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// logHandler prints the server's reports (slow peers, refused connections,
// a small receive buffer) as oscli's own error lines: "PREFIX MESSAGE
// key=value ...", one Write a line. Groups are flattened.
type logHandler struct {
	w      io.Writer
	prefix string
	attrs  []slog.Attr
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	b := append([]byte(h.prefix), r.Message...)
	add := func(a slog.Attr) bool {
		v := a.Value.Resolve().String()
		if v == "" || strings.ContainsAny(v, " \t\n\"=") {
			v = strconv.Quote(v)
		}
		b = append(append(append(append(b, ' '), a.Key...), '='), v...)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	_, err := h.w.Write(append(b, '\n'))
	return err
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *logHandler) WithGroup(string) slog.Handler { return h }

// isLoopback reports whether host names the loopback interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
