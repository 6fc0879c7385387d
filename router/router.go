package router

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A Binding is one handler bound to a method address or to a pattern,
// with an optional type tag filter. Handle and HandleFunc return
// it; pass it to Remove to undo that one registration. A Binding is
// immutable.
type Binding struct {
	method  string // address or pattern, as registered
	types   string // type tag filter without ','; meaningful if typed
	typed   bool
	pattern bool
	h       Handler
	fn      HandlerFunc // h, when it is a HandlerFunc: called directly
	where   string      // file:line of the registration
}

// Method returns the address or pattern the handler is bound to.
func (b *Binding) Method() string { return b.method }

// IsPattern reports whether the binding was made with a pattern
// (an address with pattern characters given to Handle).
func (b *Binding) IsPattern() bool { return b.pattern }

// Types returns the type tag filter without its ',' and whether there is
// one. A filter "" admits only messages without arguments.
func (b *Binding) Types() (string, bool) { return b.types, b.typed }

// Handler returns the bound handler.
func (b *Binding) Handler() Handler { return b.h }

// String describes the binding, e.g. `/synth/freq ,f (main.go:12)`.
func (b *Binding) String() string {
	s := b.method
	if b.typed {
		s += " ," + b.types
	}
	return s + " (" + b.where + ")"
}

// An Option changes one binding at registration.
type Option func(*Binding)

// Types restricts a binding to messages whose type tag string is exactly
// spec (liblo's typespec). The leading ',' is optional: Types(",if") and
// Types("if") both admit only messages typed "if"; Types("") admits only
// messages without arguments. Without this option every message is
// admitted. An invalid spec makes the registration fail.
func Types(spec string) Option {
	return func(b *Binding) { b.types, b.typed = spec, true }
}

// Router dispatches OSC messages to the handlers bound to the addresses
// their address patterns match. It is itself a Handler. See the package
// documentation for the matching and precedence rules.
//
// Registration and removal may run while messages are dispatched: ServeOSC
// takes no lock and sees either the routing table before a change or the
// one after it. The zero value is an empty Router ready to use; it must
// not be copied after first use.
type Router struct {
	mu  sync.Mutex // serialises writers
	tab atomic.Pointer[table]
}

// New returns an empty Router.
func New() *Router { return new(Router) }

// caller returns the file:line skip frames above its caller, passing over
// the frames of package osc, whose Server.Handle and HandleFunc wrap a
// Router's: a setup error names the line of the program that made it.
func caller(skip int) string {
	var pcs [16]uintptr
	n := runtime.Callers(skip+2, pcs[:])
	if n == 0 {
		return "?:0"
	}
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !more || !strings.HasPrefix(f.Function, "github.com/osckit/osc.") {
			return f.File + ":" + strconv.Itoa(f.Line)
		}
	}
}

// Handle binds h to a method address, or to an address pattern matched
// against the literal addresses of incoming messages (python-osc and oscpy
// call this advanced matching): an address with any of * ? [ ] { } or
// "//" is a pattern. Several handlers may be bound to one address; they
// run in registration order; binding the same handler to the same address
// with the same Types again keeps the one binding and returns it (as oscpy's
// bind does). Messages whose address is itself a pattern
// reach the literal bindings it matches; a pattern binding takes them too
// when it matches their bytes as literals (/prefix* takes /prefix??).
//
// Handle returns an error, naming the caller's file:line, when address is
// neither a valid method address (see ValidAddress) nor a valid pattern
// (see the package documentation), when h is nil or when a Types option is invalid.
// Unlike net/http, it never panics: setup code that treats a bad address
// as a programmer's error can ignore the error only if it trusts the
// address.
func (r *Router) Handle(address string, h Handler, opts ...Option) (*Binding, error) {
	return r.register(caller(1), "Handle", address, h, opts)
}

// HandleFunc is Handle for a function.
func (r *Router) HandleFunc(address string, f func(ResponseWriter, *Request), opts ...Option) (*Binding, error) {
	var h Handler
	if f != nil {
		h = HandlerFunc(f)
	}
	return r.register(caller(1), "HandleFunc", address, h, opts)
}

// isPattern reports whether a registered address is a pattern.
func isPattern(address string) bool {
	return strings.ContainsAny(address, "*?[]{}") || strings.Contains(address, "//")
}

func (r *Router) register(where, fn, method string, h Handler, opts []Option) (*Binding, error) {
	pattern := isPattern(method)
	fail := func(err error) (*Binding, error) {
		return nil, fmt.Errorf("router: %s: %s(%q): %w", where, fn, method, err)
	}
	var off int
	var err error
	if pattern {
		off, err = checkPattern(method)
	} else {
		off, err = checkAddress(method)
	}
	if err != nil {
		return fail(parseErr(off, err))
	}
	if h == nil {
		return fail(errNilHandler)
	}
	b := &Binding{method: method, pattern: pattern, h: h, where: where}
	b.fn, _ = h.(HandlerFunc)
	for _, o := range opts {
		o(b)
	}
	if b.typed {
		t, off, err := checkTypes(b.types)
		if err != nil {
			return fail(fmt.Errorf("Types(%q): %w", b.types, parseErr(off, err)))
		}
		b.types = t
	}
	r.update(func(t *table) {
		bs := t.patterns
		if !pattern {
			bs = nil
			if l := t.lookup(method); l != nil {
				bs = l.bindings
			}
		}
		for _, old := range bs {
			if old.same(b) {
				b = old // bound already: keep the one binding
				return
			}
		}
		if pattern {
			t.patterns = append(slices.Clip(t.patterns), b)
		} else {
			t.add(b)
		}
	})
	return b, nil
}

// same reports whether o binds the same handler to the same method with
// the same filter as b.
func (b *Binding) same(o *Binding) bool {
	return b.method == o.method && b.pattern == o.pattern && b.typed == o.typed &&
		b.types == o.types && sameHandler(b.h, o.h)
}

// sameHandler reports whether two handlers are certainly the same: equal
// comparable values, or the same function value. Go cannot compare
// functions with ==; a func value is a pointer to its closure, so two
// values holding the same pointer are the same function (a top-level
// function's closure is static; each closure made at run time is a new
// one, so a closure made twice counts as two handlers).
func sameHandler(a, b Handler) bool {
	fa, okA := a.(HandlerFunc)
	fb, okB := b.(HandlerFunc)
	if okA || okB {
		return okA && okB && *(*unsafe.Pointer)(unsafe.Pointer(&fa)) == *(*unsafe.Pointer)(unsafe.Pointer(&fb))
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.Type() == vb.Type() && va.Comparable() && vb.Comparable() && a == b
}

var errNilHandler = fmt.Errorf("nil handler")

// Remove undoes one registration and reports whether b was still bound.
func (r *Router) Remove(b *Binding) bool {
	if b == nil {
		return false
	}
	found := false
	r.update(func(t *table) {
		if b.pattern {
			if i := slices.Index(t.patterns, b); i >= 0 {
				t.patterns = slices.Delete(slices.Clone(t.patterns), i, i+1)
				found = true
			}
			return
		}
		found = t.remove(b.method, b)
	})
	return found
}

// RemoveAll removes every binding of a method address, and every pattern
// binding made with exactly that pattern string, and returns how many it
// removed.
func (r *Router) RemoveAll(method string) int {
	n := 0
	r.update(func(t *table) {
		if l := t.lookup(method); l != nil {
			n += len(l.bindings)
			t.remove(method, nil)
		}
		kept := make([]*Binding, 0, len(t.patterns))
		for _, b := range t.patterns {
			if b.method == method {
				n++
			} else {
				kept = append(kept, b)
			}
		}
		if len(kept) != len(t.patterns) {
			t.patterns = kept
		}
	})
	return n
}

// NotFound sets the handler for messages that run no other handler: their
// address matched nothing, or every binding it matched filtered the
// message out by type. Request.Method is "" when it runs. nil removes it.
func (r *Router) NotFound(h Handler) {
	r.update(func(t *table) { t.notFound = h })
}

// Bindings returns the current bindings: method addresses in byte order,
// each address's bindings in registration order, then pattern bindings in
// registration order. The NotFound handler is not included.
func (r *Router) Bindings() []*Binding {
	t := r.tab.Load()
	if t == nil {
		return nil
	}
	var out []*Binding
	var walk func(n *node)
	walk = func(n *node) {
		if n.leaf != nil {
			out = append(out, n.leaf.bindings...)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	if t.root != nil {
		walk(t.root)
	}
	return append(out, t.patterns...)
}

// update applies fn to a copy of the routing table and publishes it.
func (r *Router) update(fn func(t *table)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t table
	if old := r.tab.Load(); old != nil {
		t = *old
	} else {
		t.seed = rand.Uint64()
	}
	fn(&t)
	r.tab.Store(&t)
}

// ServeOSC dispatches req to every handler whose binding matches its
// address and type tags, in the order given in the package documentation,
// setting req.Method before each call; if none runs, to the NotFound
// handler. It takes no lock and does not allocate. A handler's panic is
// not recovered here: it ends the dispatch of that message and propagates
// to the caller, which for a server is its one recovery layer (as with
// net/http).
func (r *Router) ServeOSC(w ResponseWriter, req *Request) {
	t := r.tab.Load()
	if t == nil {
		return
	}
	d := dispatch{w: w, req: req, addr: req.Message.Address()}
	t.dispatch(&d)
}
