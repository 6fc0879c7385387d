package osc

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/osckit/osc/wire"
)

// The limits of the clients SendAny keeps, variables so that tests can
// shorten them (under senders.mu): at most sendCap destinations, each
// closed once unused for sendIdle (net/http's IdleConnTimeout is 90 s
// too), and a dial bounded by sendDialTimeout (net/http's default
// dialer's 30 s), not by the system's much longer TCP connect timeout.
var (
	sendCap         = 64
	sendIdle        = 90 * time.Second
	sendDialTimeout = 30 * time.Second
)

// senders are the clients SendAny keeps, one per endpoint URL.
var senders senderCache

// SendAny sends one message whose arguments are plain Go values, typed as
// Client.SendAny types them, to the endpoint url (any URL Dial takes:
// osc.udp://, osc.tcp://, osc.unix://, osc.ws://, a bare host:port...):
//
//	err := osc.SendAny("osc.udp://127.0.0.1:9000", "/ping", 1, "hello")
//
// It is the one-liner, beside Dial and Client as http.Get is beside
// http.Client. A Client is dialed at the first message to url (calls to
// url made meanwhile wait for that dial and share its error) and kept for
// the next ones, as http.DefaultClient keeps idle connections: at most
// 64 destinations (the least recently used is closed when another comes),
// each closed after 90 s unused. A dial error is returned and nothing is
// kept. A send error over TCP, WebSocket or a UNIX socket closes the kept
// client, so that the next call dials again (a server that restarted may
// lose the message sent before the error showed); over UDP the client is
// kept. A value with no OSC type is a *wire.TypeError, and an invalid
// address an error, before anything is dialed or sent. SendAny is safe
// for concurrent use.
//
// For a loop of sends to one place, typed values without allocation, or
// replies, Dial a Client and use its Send (or SendAny), Receive and Serve.
func SendAny(url, address string, args ...any) error {
	vs, err := wire.InferAll(args)
	if err != nil {
		return err
	}
	bp := sendBufs.Get().(*[]byte)
	defer sendBufs.Put(bp)
	pkt, err := wire.AppendMessage((*bp)[:0], address, vs...)
	if err != nil {
		return err
	}
	if cap(pkt) <= maxSendBuf {
		*bp = pkt
	}
	s, err := senders.get(url)
	if err != nil {
		return err
	}
	_, err = s.c.Write(pkt)
	senders.put(s, err)
	return err
}

// sendBufs are SendAny's encoding buffers; one grown past maxSendBuf is
// not kept.
var sendBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

const maxSendBuf = 64 << 10

// senderCache holds the clients of SendAny, most recently used first.
type senderCache struct {
	mu      sync.Mutex
	m       map[string]*sender
	lru     list.List // of *sender, the most recently used at the front
	dialing map[string]*dialCall
}

// dialCall is a dial in progress: the calls that need the same URL
// meanwhile wait for it instead of dialing a connection of their own.
type dialCall struct {
	done chan struct{}
	err  error // set before done is closed
}

// sender is one kept client. Its fields but c are guarded by the cache's
// mu. A sender dropped from the cache (elem nil) is closed by whoever
// leaves it unused: the call that drops it, or the last call that was
// still sending on it.
type sender struct {
	url  string
	c    *Client
	elem *list.Element // nil once dropped
	busy int           // SendAny calls between get and put
	last time.Time     // when the last call ended
	idle *time.Timer   // runs expire once the client may have idled sendIdle
}

// get returns the sender of url, dialing it if none is kept, and marks it
// busy; put must follow. One dial at a time per URL: a call that finds
// one in progress waits for it and shares its error.
func (sc *senderCache) get(url string) (*sender, error) {
	sc.mu.Lock()
	for {
		if s := sc.m[url]; s != nil {
			s.busy++
			sc.lru.MoveToFront(s.elem)
			sc.mu.Unlock()
			return s, nil
		}
		d := sc.dialing[url]
		if d == nil {
			break
		}
		sc.mu.Unlock()
		<-d.done
		if d.err != nil {
			return nil, d.err
		}
		// The dialed client is kept, unless it was evicted or failed
		// meanwhile: look again.
		sc.mu.Lock()
	}
	d := &dialCall{done: make(chan struct{})}
	if sc.dialing == nil {
		sc.dialing = make(map[string]*dialCall)
	}
	sc.dialing[url] = d
	dt := sendDialTimeout
	sc.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), dt)
	c, err := DialContext(ctx, url)
	cancel()

	sc.mu.Lock()
	delete(sc.dialing, url)
	d.err = err
	close(d.done)
	if err != nil {
		sc.mu.Unlock()
		return nil, err
	}
	if sc.m == nil {
		sc.m = make(map[string]*sender)
	}
	s := &sender{url: url, c: c, busy: 1}
	s.elem = sc.lru.PushFront(s)
	sc.m[url] = s
	var evicted []*Client
	for sc.lru.Len() > max(sendCap, 1) {
		if old := sc.lru.Back().Value.(*sender); sc.dropLocked(old) {
			evicted = append(evicted, old.c)
		}
	}
	sc.mu.Unlock()
	for _, c := range evicted {
		c.Close()
	}
	return s, nil
}

// put ends a call that get began; err is its send's result.
func (sc *senderCache) put(s *sender, err error) {
	sc.mu.Lock()
	s.busy--
	// A stream's write error leaves its connection broken, and a UNIX
	// datagram socket connected to a server that went away stays
	// refused: the next call dials again. A UDP socket recovers (a
	// refusal reports an earlier datagram).
	if err != nil && s.elem != nil && s.c.udp == nil {
		sc.dropLocked(s)
	}
	closeNow := s.elem == nil && s.busy == 0
	if !closeNow && s.busy == 0 {
		// The timer is set once; expire puts it off by what is left when
		// the client was used since.
		s.last = time.Now()
		if s.idle == nil {
			s.idle = time.AfterFunc(sendIdle, func() { sc.expire(s) })
		}
	}
	sc.mu.Unlock()
	if closeNow {
		s.c.Close()
	}
}

// expire closes s if it has stayed unused for sendIdle.
func (sc *senderCache) expire(s *sender) {
	sc.mu.Lock()
	if s.elem == nil {
		sc.mu.Unlock()
		return // dropped
	}
	left := sendIdle - time.Since(s.last)
	if s.busy > 0 {
		left = sendIdle // in use: its put sets last when it ends
	}
	if left > 0 {
		s.idle.Reset(left) // used since the timer was set
		sc.mu.Unlock()
		return
	}
	sc.dropLocked(s)
	sc.mu.Unlock()
	s.c.Close()
}

// dropLocked removes s from the cache and reports whether it is unused,
// to be closed by the caller once mu is released; a busy one is closed by
// its last put.
func (sc *senderCache) dropLocked(s *sender) bool {
	sc.lru.Remove(s.elem)
	s.elem = nil
	delete(sc.m, s.url)
	if s.idle != nil {
		s.idle.Stop()
	}
	return s.busy == 0
}
