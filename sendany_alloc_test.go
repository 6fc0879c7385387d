//go:build !race

package osc_test

import (
	"testing"
	"time"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
)

// TestSendAnyURLAllocs holds osc.SendAny, once its client is kept, to the
// allocations of Client.SendAny with the same values: the kept client and
// a pooled buffer cost nothing more.
func TestSendAnyURLAllocs(t *testing.T) {
	s := newServer(t, router.HandlerFunc(func(router.ResponseWriter, *router.Request) {}))
	url := listen(t, s, "osc.udp://127.0.0.1:0").URL()
	sendAnyLimits(t, 64, time.Minute)
	c := dial(t, url)
	client := testing.AllocsPerRun(200, func() {
		if err := c.SendAny("/ping", 1, "x"); err != nil {
			panic(err)
		}
	})
	pkg := testing.AllocsPerRun(200, func() {
		if err := osc.SendAny(url, "/ping", 1, "x"); err != nil {
			panic(err)
		}
	})
	t.Logf("allocations a send: osc.SendAny %v, Client.SendAny %v", pkg, client)
	if pkg > client {
		t.Errorf("osc.SendAny allocates %v times a send, Client.SendAny %v", pkg, client)
	}
}
