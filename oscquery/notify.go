package oscquery

import (
	"encoding/json"
	"slices"
)

// watch registers a WebSocket server to be told about the namespace's
// changes.
func (ns *Namespace) watch(h *wsHub) {
	ns.lmu.Lock()
	ns.hubs = append(ns.hubs, h)
	ns.lmu.Unlock()
}

func (ns *Namespace) unwatch(h *wsHub) {
	ns.lmu.Lock()
	if i := slices.Index(ns.hubs, h); i >= 0 {
		ns.hubs = slices.Delete(ns.hubs, i, i+1)
	}
	ns.lmu.Unlock()
}

type noticeJSON struct {
	COMMAND string
	DATA    any
}

type renameJSON struct {
	OLD, NEW string
}

// notify tells every client of every WebSocket server about a change. The
// caller holds ns.mu for writing, so that notices leave in the order of
// the changes.
func (ns *Namespace) notify(cmd, path string) {
	ns.send(noticeJSON{COMMAND: cmd, DATA: path})
}

func (ns *Namespace) notifyRename(oldPath, newPath string) {
	ns.send(noticeJSON{COMMAND: cmdPathRenamed, DATA: renameJSON{OLD: oldPath, NEW: newPath}})
}

func (ns *Namespace) send(n noticeJSON) {
	ns.lmu.Lock()
	hubs := slices.Clone(ns.hubs)
	ns.lmu.Unlock()
	if len(hubs) == 0 {
		return
	}
	b, err := json.Marshal(n)
	if err != nil {
		return
	}
	for _, h := range hubs {
		h.mu.Lock()
		for c := range h.conns {
			c.notice(b)
		}
		h.mu.Unlock()
	}
}

// listen adds c to the listeners of the node at path; it reports false
// when there is no such node.
func (ns *Namespace) listen(c *wsConn, path string) bool {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	e := ns.lookup(path)
	if e == nil {
		return false
	}
	if _, ok := c.listens[e]; ok {
		return true
	}
	ns.lmu.Lock()
	var ls []*wsConn
	if p := e.listeners.Load(); p != nil {
		ls = slices.Clone(*p)
	}
	ls = append(ls, c)
	e.listeners.Store(&ls)
	ns.lmu.Unlock()
	if c.listens == nil {
		c.listens = make(map[*entry]struct{})
	}
	c.listens[e] = struct{}{}
	c.hub.st.listens.Add(1)
	return true
}

// ignore ends c's LISTEN of the node now at path.
func (ns *Namespace) ignore(c *wsConn, path string) {
	ns.mu.RLock()
	var found *entry
	for e := range c.listens {
		if e.attrs.FullPath == path {
			found = e
			break
		}
	}
	ns.mu.RUnlock()
	if found != nil {
		ns.unlisten(c, found)
		delete(c.listens, found)
	}
}

// pruneRemoved forgets c's LISTENs of nodes no longer in the namespace.
func (c *wsConn) pruneRemoved() {
	for e := range c.listens {
		if e.removed.Load() {
			delete(c.listens, e)
		}
	}
}

// dropListeners ends the LISTENs of the nodes of a subtree leaving the
// namespace; the clients forget them when they next count their LISTENs
// (see wsConn.command). The caller holds ns.mu for writing.
func (ns *Namespace) dropListeners(e *entry) {
	e.removed.Store(true)
	ns.lmu.Lock()
	if p := e.listeners.Swap(nil); p != nil {
		for _, c := range *p {
			c.hub.st.listens.Add(-1)
		}
	}
	ns.lmu.Unlock()
	for _, c := range e.children {
		ns.dropListeners(c)
	}
}

// unlistenAll ends every LISTEN of c.
func (ns *Namespace) unlistenAll(c *wsConn) {
	for e := range c.listens {
		ns.unlisten(c, e)
	}
	clear(c.listens)
}

// unlisten removes c from the listeners of e, and from the count of
// LISTENs if it was there (dropListeners may have counted it out).
func (ns *Namespace) unlisten(c *wsConn, e *entry) {
	ns.lmu.Lock()
	defer ns.lmu.Unlock()
	p := e.listeners.Load()
	if p == nil {
		return
	}
	i := slices.Index(*p, c)
	if i < 0 {
		return
	}
	c.hub.st.listens.Add(-1)
	if len(*p) == 1 {
		e.listeners.Store(nil)
		return
	}
	ls := slices.Delete(slices.Clone(*p), i, i+1)
	e.listeners.Store(&ls)
}
