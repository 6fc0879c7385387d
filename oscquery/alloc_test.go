//go:build !race

package oscquery

import (
	"testing"

	"github.com/osckit/osc/wire"
)

// TestStreamAllocs: a message observed for a node that clients LISTEN to
// is queued to each of them without allocating (once their queues have
// grown): it costs what one for a node nobody listens to costs.
func TestStreamAllocs(t *testing.T) {
	ns := NewNamespace()
	if err := ns.Add("/a/b", Node{Type: "f", Access: AccessRead}); err != nil {
		t.Fatal(err)
	}
	if err := ns.Add("/quiet", Node{Type: "f", Access: AccessRead}); err != nil {
		t.Fatal(err)
	}
	hub := &wsHub{}
	conns := make([]*wsConn, 50)
	for i := range conns {
		conns[i] = &wsConn{hub: hub, ns: ns, max: 1 << 20, wake: make(chan struct{}, 1)}
		if !ns.listen(conns[i], "/a/b") {
			t.Fatal("LISTEN refused")
		}
	}
	pkt, _ := wire.AppendMessage(nil, "/a/b", wire.Float32(0.5))
	m, _ := wire.ParseMessage(pkt)
	quiet, _ := wire.AppendMessage(nil, "/quiet", wire.Float32(0.5))
	qm, _ := wire.ParseMessage(quiet)
	base := testing.AllocsPerRun(200, func() { ns.Observe(qm) })
	n := testing.AllocsPerRun(200, func() {
		ns.observe(m, conns[0])
		for _, c := range conns {
			c.q = c.q[:0]
		}
	})
	// Observe keeps a copy of the values (out of the receive buffer): the
	// allocations of a node nobody listens to. Streaming adds none.
	if n > base {
		t.Errorf("streaming to 49 clients: %v allocations, %v without listeners", n, base)
	}
	ns.observe(m, conns[0])
	if len(conns[0].q) != 0 || len(conns[1].q) != 5+len(pkt) {
		t.Fatalf("queues %d and %d bytes: the sender must get nothing, the others the packet", len(conns[0].q), len(conns[1].q))
	}
}
