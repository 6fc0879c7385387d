package osc

import (
	"context"
	"iter"
	"sync/atomic"

	"github.com/osckit/osc/router"
)

// Inbox is a Handler that queues a copy of every message it serves, for
// code that would rather pull messages than be called: a goroutine ranging
// over a channel, or a select loop with a context.
//
//	in := osc.NewInbox(1024)
//	srv := &osc.Server{Handler: in}
//	...
//	for req := range in.All(ctx) {
//		fmt.Println(req.Message.String())
//	}
//
// The Requests it hands out are clones (they own their bytes) and may be
// kept. When the queue is full a message is dropped and counted rather
// than stalling the server.
type Inbox struct {
	ch      chan *router.Request
	dropped atomic.Uint64
}

// NewInbox returns an Inbox that holds up to size messages.
func NewInbox(size int) *Inbox {
	return &Inbox{ch: make(chan *router.Request, max(size, 1))}
}

// ServeOSC queues a clone of r.
func (in *Inbox) ServeOSC(_ router.ResponseWriter, r *router.Request) {
	select {
	case in.ch <- r.Clone():
	default:
		in.dropped.Add(1)
	}
}

// C returns the channel messages arrive on.
func (in *Inbox) C() <-chan *router.Request { return in.ch }

// recv waits for the next message or for ctx to end.
func (in *Inbox) recv(ctx context.Context) (*router.Request, error) {
	select {
	case r := <-in.ch:
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// All returns an iterator over the messages as they arrive, ending when ctx
// does.
func (in *Inbox) All(ctx context.Context) iter.Seq[*router.Request] {
	return func(yield func(*router.Request) bool) {
		for {
			r, err := in.recv(ctx)
			if err != nil || !yield(r) {
				return
			}
		}
	}
}

// Dropped returns how many messages were dropped because the queue was full.
func (in *Inbox) Dropped() uint64 { return in.dropped.Load() }
