package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/osckit/osc/oscquery"
	"github.com/osckit/osc/wire"
)

// queryListen is oscli query -listen: it LISTENs to paths over the
// server's WebSocket and prints what streams in.
func queryListen(e *env, u *url.URL, paths []string, count int, timeout time.Duration) error {
	if count < 0 {
		return usagef("-count %d: want 0 or more", count)
	}
	ctx, cancel := signalContext(e, 0)
	defer cancel()
	base := *u
	base.Path = "/"
	for _, p := range paths {
		if len(p) == 0 || p[0] != '/' {
			return usagef("-listen %q: want a node's path, /like/this", p)
		}
		// A path with no node would stream nothing, silently: ask first.
		n := base
		n.Path = p
		n.RawQuery = "FULL_PATH"
		if _, err := httpGetJSON(ctx, n.String(), timeout); err != nil {
			return err
		}
	}
	dctx, dcancel := context.WithTimeout(ctx, timeout)
	c, err := (&oscquery.Client{HTTP: queryClient}).Dial(dctx, base.String())
	dcancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%s: %w", base.String(), err)
	}
	defer c.Close()
	for _, p := range paths {
		if err := c.Listen(ctx, p); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	var line []byte
	n := 0
	for count == 0 || n < count {
		ev, err := c.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted
			}
			return fmt.Errorf("%s: %w", base.String(), err)
		}
		if ev.Packet == nil {
			w.Flush()
			if ev.OldPath != "" {
				fmt.Fprintf(e.stderr, "oscli query: %s %s %s\n", ev.Command, ev.OldPath, ev.Path)
			} else {
				fmt.Fprintf(e.stderr, "oscli query: %s %s\n", ev.Command, ev.Path)
			}
			continue
		}
		arrival := wire.TimetagOf(time.Now())
		line = line[:0]
		err = wire.Walk(ev.Packet, func(m wire.Message, _ wire.Timetag) error {
			if count > 0 && n >= count {
				return errDone
			}
			line = appendMessageText(line, &m, arrival)
			n++
			return nil
		})
		if err != nil && !errors.Is(err, errDone) {
			fmt.Fprintf(e.stderr, "oscli query: malformed packet from the server: %v\n", err)
			continue
		}
		w.Write(line)
		w.Flush()
	}
	return nil
}

var errDone = errors.New("done")
