package oscquery

import (
	"slices"

	"github.com/osckit/osc/router"
)

// described is a router.Handler that carries the attributes of the node
// its binding stands for.
type described struct {
	n Node
	h router.Handler
}

func (d *described) ServeOSC(w router.ResponseWriter, r *router.Request) {
	if d.h != nil {
		d.h.ServeOSC(w, r)
	}
}

// Describe returns h with the attributes of the node that it serves: bind
// it to an address on a router, and AddBindings makes that node with
// these attributes. n.FullPath and n.Contents are ignored; an empty
// n.Type is taken from the binding's router.Types filter.
//
//	rt.Handle("/synth/freq", oscquery.Describe(oscquery.Node{
//		Access:      oscquery.AccessReadWrite,
//		Range:       []oscquery.Range{{Min: wire.Float32(20), Max: wire.Float32(20000)}},
//		Description: "oscillator frequency",
//	}, h), router.Types("f"))
func Describe(n Node, h router.Handler) router.Handler {
	n.FullPath, n.Contents = "", nil
	return &described{n: *n.clone(), h: h}
}

// AddBindings adds a node for each address a router has a handler bound
// to (patterns are not nodes) that the namespace does not have yet: with
// the attributes given to Describe, or else with the binding's type
// filter as TYPE (none without one) and ACCESS read-write, since the
// VALUE of a node is the last message the router was given for it. A
// second binding of the same address with another type adds an entry to
// OVERLOADS. Nodes already in the namespace are left as they are; call it
// again after registering more handlers, and the WebSocket clients are
// told (PATH_ADDED). Wrap the router with Handler so that values follow
// the messages it serves:
//
//	ns.AddBindings(rt)
//	srv.Handler = ns.Handler(rt)
func (ns *Namespace) AddBindings(rt *router.Router) error {
	nodes := map[string]*Node{}
	var order []string
	for _, b := range rt.Bindings() {
		if b.IsPattern() {
			continue
		}
		var n Node
		if d, ok := b.Handler().(*described); ok {
			n = *d.n.clone()
		} else {
			n.Access = AccessReadWrite
		}
		if t, typed := b.Types(); typed && n.Type == "" {
			n.Type = t
		}
		path := b.Method()
		first := nodes[path]
		if first == nil {
			nodes[path] = &n
			order = append(order, path)
			continue
		}
		if n.Type != first.Type && !slices.ContainsFunc(first.Overloads, func(o Node) bool { return o.Type == n.Type }) {
			first.Overloads = append(first.Overloads, Node{Type: n.Type, Range: n.Range, Unit: n.Unit,
				ExtendedType: n.ExtendedType, ClipMode: n.ClipMode, Description: n.Description})
		}
	}
	for _, path := range order {
		if err := ns.validate(path, nodes[path]); err != nil {
			return err
		}
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.init()
	for _, path := range order {
		added := ns.firstMissing(path)
		if added == "" {
			continue
		}
		ns.add(path, nodes[path])
		ns.notify(cmdPathAdded, added)
	}
	return nil
}
