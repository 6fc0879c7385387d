package osc

import "github.com/osckit/osc/router"

// Handle binds h to a method address or an address pattern on the
// server's own router, which serves every endpoint opened without a
// handler while Handler is nil: oscpy's bind. It is router.Router's
// Handle: an address with * ? [ ] { } or "//" is a pattern, and a bad
// address, a nil handler or a bad Types option is an error. Bindings may
// be added and removed while the server serves.
func (s *Server) Handle(address string, h router.Handler, opts ...router.Option) (*router.Binding, error) {
	return s.routes().Handle(address, h, opts...)
}

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(address string, f func(router.ResponseWriter, *router.Request), opts ...router.Option) (*router.Binding, error) {
	return s.routes().HandleFunc(address, f, opts...)
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
