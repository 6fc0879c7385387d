package osc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc/router"
)

// TestRegressReceiveStaleCancel: a Receive whose context ends just as a
// reply arrives must not poison the next Receive's deadline.
func TestRegressReceiveStaleCancel(t *testing.T) {
	ch := make(chan got, 1)
	r := recorder(t, ch)
	s := newServer(t, r)
	ep, err := s.Listen("osc.udp://127.0.0.1:0", nil)
	require.NoError(t, err)
	c := dial(t, ep.URL())
	deadline := time.Now().Add(20 * time.Second)
	bad := 0
	i := 0
	for ; i < 20000 && time.Now().Before(deadline); i++ {
		require.NoError(t, c.Send("/ping"))
		ctx, cancel := context.WithCancel(context.Background())
		go cancel()
		_, err := c.Receive(ctx)
		cancel()
		got := err == nil
		if !got {
			require.ErrorIs(t, err, context.Canceled)
		}
		// Drain with a generous, live context.
		ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
		if !got {
			_, err = c.Receive(ctx2)
		} else {
			require.NoError(t, c.Send("/ping"))
			_, err = c.Receive(ctx2)
		}
		cancel2()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			bad++
			t.Logf("iteration %d: Receive with a live 2 s context failed at once: %v", i, err)
			if bad > 3 {
				break
			}
		}
	}
	t.Logf("%d iterations", i)
	require.Zero(t, bad)
	_ = router.New
}
