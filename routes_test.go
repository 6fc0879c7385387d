package osc_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/router"
)

// TestServerHandleErrors: a setup error of Server.Handle names the line of
// the program that made it, as router.Router's does, not the line of the
// wrapper; and while Handler is set, Handle refuses a binding that the
// server's own router would hold without ever serving it.
func TestServerHandleErrors(t *testing.T) {
	var s osc.Server
	_, err := s.HandleFunc("/x", nil)
	require.ErrorContains(t, err, "routes_test.go:")
	require.NotContains(t, err.Error(), "/routes.go:")
	_, err = s.Handle("bad", router.HandlerFunc(func(osc.ResponseWriter, *osc.Request) {}))
	require.ErrorContains(t, err, "routes_test.go:")

	r := router.New()
	withHandler := &osc.Server{Handler: r}
	_, err = withHandler.HandleFunc("/x", func(osc.ResponseWriter, *osc.Request) {})
	require.ErrorIs(t, err, osc.ErrConfig)
	_, err = withHandler.Handle("/x", r)
	require.ErrorIs(t, err, osc.ErrConfig)
	require.Empty(t, r.Bindings())
}
