package router_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/osckit/osc/router"
	"github.com/osckit/osc/router/routertest"
)

// TestConcurrentUpdate registers and removes routes while four goroutines
// dispatch. Run it with -race. The stable route must run exactly once per
// message whatever the writers do.
func TestConcurrentUpdate(t *testing.T) {
	var rt router.Router
	var stable atomic.Int64
	rt.HandleFunc("/stable/x", func(router.ResponseWriter, *router.Request) { stable.Add(1) })
	noop := router.HandlerFunc(func(router.ResponseWriter, *router.Request) {})

	const readers, perReader, writes = 4, 2000, 300
	var wg sync.WaitGroup
	for g := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := routertest.NewRecorder()
			lit := routertest.NewRequest("/stable/x")
			pat := routertest.NewRequest("/*/x")
			desc := routertest.NewRequest("//x")
			churn := routertest.NewRequest("/churn/" + strconv.Itoa(g) + "/v")
			for i := range perReader {
				switch i % 4 {
				case 0:
					rt.ServeOSC(rec, lit)
				case 1:
					rt.ServeOSC(rec, pat)
				case 2:
					rt.ServeOSC(rec, desc)
				default:
					rt.ServeOSC(rec, churn)
				}
			}
		}()
	}
	for i := range writes {
		a := "/churn/" + strconv.Itoa(i%8) + "/v"
		b, _ := rt.Handle(a, noop)
		p, _ := rt.Handle("/churn/*/"+strconv.Itoa(i%3), noop)
		rt.Handle("/x", noop)
		if i%2 == 0 {
			rt.Remove(b)
		} else {
			rt.RemoveAll(a)
		}
		rt.Remove(p)
		rt.RemoveAll("/x")
	}
	wg.Wait()
	if got, want := stable.Load(), int64(readers*perReader*3/4); got != want {
		t.Errorf("stable route ran %d times, want %d", got, want)
	}
	if n := len(rt.Bindings()); n != 1 {
		t.Errorf("%d bindings left, want 1", n)
	}
}
