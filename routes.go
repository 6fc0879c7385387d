package osc

import (
	"fmt"

	"github.com/osckit/osc/router"
)

// Handle binds h to a method address or an address pattern on the
// server's own router, which serves every endpoint opened without a
// handler while Handler is nil: oscpy's bind. It is router.Router's
// Handle: an address with * ? [ ] { } or "//" is a pattern, and a bad
// address, a nil handler or a bad Types option is an error. Bindings may
// be added and removed while the server serves.
//
// While Handler is set the server's own router serves nothing, so Handle
// binds nothing and returns an error matching ErrConfig: bind on the
// Handler's router instead.
func (s *Server) Handle(address string, h router.Handler, opts ...router.Option) (*router.Binding, error) {
	if err := s.ownRoutes(address); err != nil {
		return nil, err
	}
	return s.routes().Handle(address, h, opts...)
}

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(address string, f func(router.ResponseWriter, *router.Request), opts ...router.Option) (*router.Binding, error) {
	if err := s.ownRoutes(address); err != nil {
		return nil, err
	}
	return s.routes().HandleFunc(address, f, opts...)
}

// ownRoutes refuses a binding that the server's own router would hold
// without ever serving it.
func (s *Server) ownRoutes(address string) error {
	if s.Handler != nil {
		return fmt.Errorf("%w: Handle(%q): Server.Handler is set, so the server's own router serves nothing; bind on the Handler's router", ErrConfig, address)
	}
	return nil
}

// routes returns the server's own router, made on first use.
func (s *Server) routes() *router.Router {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mux == nil {
		s.mux = router.New()
	}
	return s.mux
}
