package oscquery

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/wire"
)

// ErrNotFound reports a path with no node.
var ErrNotFound = errors.New("oscquery: no such node")

// Namespace is a live OSC address space: a tree of nodes whose attributes
// are set with Add and whose values follow the messages it observes. Its
// JSON form is the proposal's: the root node with its whole subtree.
//
// A Namespace is safe for concurrent use. Observe and the readers take a
// shared lock and store values atomically, so that values may be updated
// at a high rate while clients read; Add and Remove take the lock
// exclusively. The zero Namespace is an empty root container ready to use.
type Namespace struct {
	mu   sync.RWMutex
	root *entry

	lmu  sync.Mutex // guards hubs and the entries' listeners (writes)
	hubs []*wsHub   // the WebSocket servers told about changes
}

// entry is one node of a Namespace.
type entry struct {
	attrs    Node // Contents and Value unused
	names    []string
	children map[string]*entry
	// The value: values set (Add, SetValue), or a copy of the last
	// message observed, whichever came last. Observe copies bytes into a
	// buffer that is reused, so that following messages costs no
	// allocation; readers decode it.
	vmu    sync.Mutex
	vals   []wire.Value
	raw    []byte
	rawSet bool // raw is the value
	has    bool // there is a value
	// listeners are the WebSocket clients that LISTEN to the node,
	// replaced as a whole (under the Namespace's lmu) when one comes or
	// goes.
	listeners atomic.Pointer[[]*wsConn]
	removed   atomic.Bool // the node left the namespace (Remove, UnmarshalJSON)
}

func (e *entry) getAttrs() *Node { return &e.attrs }

func (e *entry) loadValue() ([]wire.Value, bool) {
	e.vmu.Lock()
	defer e.vmu.Unlock()
	if !e.has {
		return nil, false
	}
	if !e.rawSet {
		return e.vals, true
	}
	// Arg.Value copies what it reads, so nothing decoded aliases e.raw.
	m, err := rereadOptions.ParseMessage(e.raw)
	if err != nil {
		return nil, false
	}
	vs := make([]wire.Value, 0, m.NumArgs())
	for r := m.Args(); r.Next(); {
		vs = append(vs, r.Arg().Value())
	}
	return vs, true
}

// rereadOptions decode a message that a server already accepted, however
// lenient it was.
var rereadOptions = wire.Options{Lenient: true, LooseAddress: true}

// setValues makes vs the value; they must not be modified afterwards.
func (e *entry) setValues(vs []wire.Value) {
	e.vmu.Lock()
	e.vals, e.rawSet, e.has = vs, false, true
	e.vmu.Unlock()
}

// setRaw makes the arguments of the message b the value, copying b.
func (e *entry) setRaw(b []byte) {
	e.vmu.Lock()
	if cap(e.raw) > 4096 && cap(e.raw) > 4*len(b) {
		e.raw = nil // do not keep the memory of one large message
	}
	e.raw = append(e.raw[:0], b...)
	e.vals, e.rawSet, e.has = nil, true, true
	e.vmu.Unlock()
}

// entryView adapts an entry to the encoder's view.
type entryView struct{ e *entry }

func (v entryView) attrs() *Node                { return v.e.getAttrs() }
func (v entryView) value() ([]wire.Value, bool) { return v.e.loadValue() }
func (v entryView) childName(i int) string      { return v.e.names[i] }
func (v entryView) children() []view {
	out := make([]view, len(v.e.names))
	for i, k := range v.e.names {
		out[i] = entryView{v.e.children[k]}
	}
	return out
}

// NewNamespace returns an empty namespace: a root container "/".
func NewNamespace() *Namespace {
	ns := &Namespace{}
	ns.init()
	return ns
}

func (ns *Namespace) init() {
	if ns.root == nil {
		ns.root = &entry{attrs: Node{FullPath: "/"}}
	}
}

// checkPath validates the path of a node: "/" or an OSC address whose
// parts hold none of the characters the OSC specification reserves.
func checkPath(path string) error {
	if path == "/" {
		return nil
	}
	if err := router.ValidAddress(path); err != nil {
		return fmt.Errorf("%w %q: %w", ErrPath, path, err)
	}
	return nil
}

func checkNode(path string, n *Node) error {
	if _, err := parseType(n.Type); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if n.Access > AccessReadWrite {
		return fmt.Errorf("oscquery: %s: invalid ACCESS %d", path, n.Access)
	}
	for i := range n.Overloads {
		if _, err := parseType(n.Overloads[i].Type); err != nil {
			return fmt.Errorf("%s: overload %d: %w", path, i, err)
		}
	}
	return nil
}

// Add sets the attributes of the node at path to those of n, creating the
// node and the containers above it as needed. n.FullPath is ignored (the
// node's FULL_PATH is path); n.Value, when not nil, sets the value; the
// nodes of n.Contents are added below it, recursively. Children the node
// already has stay. The path must be "/" or a valid OSC address, and the
// types valid type tag strings.
func (ns *Namespace) Add(path string, n Node) error {
	if err := ns.validate(path, &n); err != nil {
		return err
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.init()
	added := ns.firstMissing(path)
	ns.add(path, &n)
	if added != "" {
		ns.notify(cmdPathAdded, added)
	} else {
		ns.notify(cmdPathChanged, path)
	}
	return nil
}

// firstMissing returns the shortest prefix of path with no node, or "" when
// the node exists. The caller holds ns.mu.
func (ns *Namespace) firstMissing(path string) string {
	if path == "/" {
		return ""
	}
	e := ns.root
	for i := 1; i <= len(path); i++ {
		if i < len(path) && path[i] != '/' {
			continue
		}
		start := strings.LastIndexByte(path[:i], '/') + 1
		if e = e.children[path[start:i]]; e == nil {
			return path[:i]
		}
	}
	return ""
}

func (ns *Namespace) validate(path string, n *Node) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if strings.Count(path, "/") > MaxDepth {
		return fmt.Errorf("%w %q: deeper than %d", ErrPath, path, MaxDepth)
	}
	if err := checkNode(path, n); err != nil {
		return err
	}
	for name, c := range n.Contents {
		if c == nil {
			continue
		}
		if err := ns.validate(joinPath(path, name), c); err != nil {
			return err
		}
	}
	return nil
}

func (ns *Namespace) add(path string, n *Node) {
	e := ns.root
	if path != "/" {
		for part := range strings.SplitSeq(path[1:], "/") {
			c := e.children[part]
			if c == nil {
				c = &entry{attrs: Node{FullPath: joinPath(e.attrs.FullPath, part)}}
				if e.children == nil {
					e.children = make(map[string]*entry)
				}
				e.children[part] = c
				i, _ := slices.BinarySearch(e.names, part)
				e.names = slices.Insert(e.names, i, part)
			}
			e = c
		}
	}
	a := n.clone()
	a.FullPath, a.Contents, a.Value = path, nil, nil
	e.attrs = *a
	if n.Value != nil {
		e.setValues(slices.Clone(n.Value))
	}
	for name, c := range n.Contents {
		if c != nil {
			ns.add(joinPath(path, name), c)
		}
	}
}

// Remove deletes the node at path and its subtree, and reports whether
// there was one. The root cannot be removed.
func (ns *Namespace) Remove(path string) bool {
	if path == "/" || path == "" {
		return false
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	parentPath, name := path[:strings.LastIndexByte(path, '/')], path[strings.LastIndexByte(path, '/')+1:]
	if parentPath == "" {
		parentPath = "/"
	}
	p := ns.lookup(parentPath)
	if p == nil || p.children[name] == nil {
		return false
	}
	ns.dropListeners(p.children[name])
	delete(p.children, name)
	if i, ok := slices.BinarySearch(p.names, name); ok {
		p.names = slices.Delete(p.names, i, i+1)
	}
	ns.notify(cmdPathRemoved, path)
	return true
}

// Rename moves the node at oldPath, with its subtree, values and LISTENing
// clients, to newPath, creating the containers above it as needed. The
// WebSocket clients are told with PATH_RENAMED. newPath must not exist,
// nor lie below oldPath; the root cannot be renamed.
func (ns *Namespace) Rename(oldPath, newPath string) error {
	if oldPath == "/" || newPath == "/" {
		return fmt.Errorf("%w: the root cannot be renamed", ErrPath)
	}
	if err := checkPath(newPath); err != nil {
		return err
	}
	if strings.HasPrefix(newPath, oldPath+"/") {
		return fmt.Errorf("%w: %s is below %s", ErrPath, newPath, oldPath)
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	e := ns.lookup(oldPath)
	if e == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, oldPath)
	}
	if ns.lookup(newPath) != nil {
		return fmt.Errorf("%w %q: a node is already there", ErrPath, newPath)
	}
	if strings.Count(newPath, "/")+e.depth() > MaxDepth {
		return fmt.Errorf("%w %q: deeper than %d", ErrPath, newPath, MaxDepth)
	}
	i := strings.LastIndexByte(oldPath, '/')
	p := ns.lookup(oldPath[:max(i, 1)])
	name := oldPath[i+1:]
	delete(p.children, name)
	if j, ok := slices.BinarySearch(p.names, name); ok {
		p.names = slices.Delete(p.names, j, j+1)
	}
	// The new parent and the containers above it.
	i = strings.LastIndexByte(newPath, '/')
	parent := newPath[:max(i, 1)]
	if ns.lookup(parent) == nil {
		ns.add(parent, &Node{})
	}
	np := ns.lookup(parent)
	if np.children == nil {
		np.children = make(map[string]*entry)
	}
	name = newPath[i+1:]
	np.children[name] = e
	j, _ := slices.BinarySearch(np.names, name)
	np.names = slices.Insert(np.names, j, name)
	e.setPath(newPath)
	ns.notifyRename(oldPath, newPath)
	return nil
}

// depth returns the levels of e's subtree below e.
func (e *entry) depth() int {
	d := 0
	for _, c := range e.children {
		d = max(d, 1+c.depth())
	}
	return d
}

// setPath sets the FULL_PATH of e and of its subtree.
func (e *entry) setPath(path string) {
	e.attrs.FullPath = path
	for name, c := range e.children {
		c.setPath(joinPath(path, name))
	}
}

// lookup returns the entry at path, or nil. The caller holds ns.mu.
func (ns *Namespace) lookup(path string) *entry {
	if ns.root == nil || path == "" || path[0] != '/' {
		return nil
	}
	e := ns.root
	if path == "/" {
		return e
	}
	for part := range strings.SplitSeq(path[1:], "/") {
		if e = e.children[part]; e == nil {
			return nil
		}
	}
	return e
}

// lookupBytes is lookup for a message's address, without allocating.
func (ns *Namespace) lookupBytes(path []byte) *entry {
	if ns.root == nil || len(path) == 0 || path[0] != '/' {
		return nil
	}
	e := ns.root
	path = path[1:]
	for len(path) > 0 {
		part := path
		if i := slices.Index(path, '/'); i >= 0 {
			part, path = path[:i], path[i+1:]
			if len(path) == 0 {
				return nil // trailing '/'
			}
		} else {
			path = nil
		}
		if e = e.children[string(part)]; e == nil {
			return nil
		}
	}
	return e
}

// Node returns a copy of the node at path with its subtree and current
// values.
func (ns *Namespace) Node(path string) (*Node, bool) {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	e := ns.lookup(path)
	if e == nil {
		return nil, false
	}
	return e.snapshot(), true
}

func (e *entry) snapshot() *Node {
	n := e.attrs.clone()
	if vs, ok := e.loadValue(); ok {
		n.Value = slices.Clone(vs)
	}
	if len(e.names) > 0 {
		n.Contents = make(map[string]*Node, len(e.names))
		for _, k := range e.names {
			n.Contents[k] = e.children[k].snapshot()
		}
	}
	return n
}

// SetValue sets the value of the node at path, whatever its ACCESS (only a
// readable node's value is served). The values are kept as given: they
// must not be modified afterwards.
func (ns *Namespace) SetValue(path string, vs ...wire.Value) error {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	e := ns.lookup(path)
	if e == nil {
		return fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	vs = slices.Clone(vs)
	e.setValues(vs)
	if ls := e.listeners.Load(); ls != nil && e.attrs.Access.Readable() {
		if b, err := wire.AppendMessage(nil, e.attrs.FullPath, vs...); err == nil {
			for _, c := range *ls {
				c.stream(b)
			}
		}
	}
	return nil
}

// Value returns the current value of the node at path and whether it has
// one.
func (ns *Namespace) Value(path string) ([]wire.Value, bool) {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	e := ns.lookup(path)
	if e == nil {
		return nil, false
	}
	return e.loadValue()
}

// Observe takes the arguments of msg as the new value of every readable
// node its address (a literal address or an OSC pattern) designates and
// whose TYPE the message's type tags fit (T and F stand for each other; a
// node without TYPE takes any message). It returns the number of nodes
// updated. msg may alias a receive buffer: the values are copied.
//
// The message is also sent to the WebSocket clients that LISTEN to those
// nodes (a message sent to a pattern is sent to each with the node's
// address).
func (ns *Namespace) Observe(msg wire.Message) int { return ns.observe(msg, nil) }

// observe is Observe for a message from a WebSocket client, from (nil for
// other senders), which does not get its own message back.
func (ns *Namespace) observe(msg wire.Message, from *wsConn) int {
	addr := msg.Address()
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	if !isPattern(addr) {
		e := ns.lookupBytes(addr)
		if e == nil || !e.accepts(&msg) {
			return 0
		}
		e.setRaw(msg.Bytes())
		if ls := e.listeners.Load(); ls != nil {
			b := msg.Bytes()
			for _, c := range *ls {
				if c != from {
					c.stream(b)
				}
			}
		}
		return 1
	}
	if ns.root == nil {
		return 0
	}
	n := 0
	pattern := string(addr)
	var walk func(e *entry)
	walk = func(e *entry) {
		if e.accepts(&msg) && router.Match(pattern, e.attrs.FullPath) {
			e.setRaw(msg.Bytes())
			n++
			if ls := e.listeners.Load(); ls != nil {
				b := readdress(e.attrs.FullPath, &msg)
				for _, c := range *ls {
					if c != from {
						c.stream(b)
					}
				}
			}
		}
		for _, k := range e.names {
			walk(e.children[k])
		}
	}
	walk(ns.root)
	return n
}

func (e *entry) accepts(msg *wire.Message) bool {
	return e.attrs.Access.Readable() && (e.attrs.Type == "" || matchTypes(e.attrs.Type, msg.TypeTags()))
}

func isPattern(addr []byte) bool {
	for i, c := range addr {
		switch c {
		case '*', '?', '[', ']', '{', '}':
			return true
		case '/':
			if i > 0 && addr[i-1] == '/' {
				return true
			}
		}
	}
	return false
}

// Handler returns a router.Handler that observes every message (see
// Observe) and then passes it to next, when next is not nil. Wrap a
// server's Router with it so that the namespace's values follow what the
// server accepts:
//
//	srv.Handler = ns.Handler(rt)
func (ns *Namespace) Handler(next router.Handler) router.Handler {
	return router.HandlerFunc(func(w router.ResponseWriter, r *router.Request) {
		from, _ := w.(*wsWriter)
		if from != nil {
			ns.observe(r.Message, from.c)
		} else {
			ns.observe(r.Message, nil)
		}
		if next != nil {
			next.ServeOSC(w, r)
		}
	})
}

// MarshalJSON writes the whole namespace: the root node and its subtree.
func (ns *Namespace) MarshalJSON() ([]byte, error) {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	e := encoder{}
	e.object(entryView{ns.rootForRead()}, attrAll, true)
	return e.b, nil
}

// rootForRead gives readers a root without a write lock: a zero Namespace
// that was never written to is served as an empty root.
func (ns *Namespace) rootForRead() *entry {
	if ns.root != nil {
		return ns.root
	}
	return emptyRoot
}

var emptyRoot = &entry{attrs: Node{FullPath: "/"}}

// UnmarshalJSON replaces the whole namespace with the node the JSON
// object describes, placed at its FULL_PATH ("/" when absent), below an
// empty root. The rules of Node.UnmarshalJSON apply, and those of Add.
func (ns *Namespace) UnmarshalJSON(b []byte) error {
	var n Node
	if err := n.UnmarshalJSON(b); err != nil {
		return err
	}
	path := n.FullPath
	if path == "" {
		path = "/"
	}
	if err := ns.validate(path, &n); err != nil {
		return err
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.root != nil {
		ns.dropListeners(ns.root)
	}
	ns.root = nil
	ns.init()
	ns.add(path, &n)
	ns.notify(cmdPathChanged, "/")
	return nil
}

// readdress returns msg with its address replaced by path.
func readdress(path string, msg *wire.Message) []byte {
	b := msg.Bytes()
	old := (len(msg.Address())/4 + 1) * 4
	if old > len(b) {
		old = len(b)
	}
	out := make([]byte, 0, (len(path)/4+1)*4+len(b)-old)
	out = append(out, path...)
	out = append(out, make([]byte, (len(path)/4+1)*4-len(path))...)
	return append(out, b[old:]...)
}
