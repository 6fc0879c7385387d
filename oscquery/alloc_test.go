//go:build !race

package oscquery

import (
	"testing"

	"github.com/osckit/osc/wire"
)

// TestStreamAllocs: the VALUE of a node follows a message without
// allocating (once the node's buffer has grown), and the message is
// queued to each client that LISTENs to it without allocating either.
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
	if n := testing.AllocsPerRun(200, func() { ns.Observe(qm) }); n != 0 {
		t.Errorf("a message for a readable node: %v allocations, want 0", n)
	}
	n := testing.AllocsPerRun(200, func() {
		ns.observe(m, conns[0])
		for _, c := range conns {
			c.q = c.q[:0]
		}
	})
	if n != 0 {
		t.Errorf("streaming to 49 clients: %v allocations, want 0", n)
	}
	ns.observe(m, conns[0])
	if len(conns[0].q) != 0 || len(conns[1].q) != 5+len(pkt) {
		t.Fatalf("queues %d and %d bytes: the sender must get nothing, the others the packet", len(conns[0].q), len(conns[1].q))
	}
}
