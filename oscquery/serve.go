package oscquery

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Serve serves h on l, HTTP and WebSocket, until ctx ends, with an
// http.Server set up for a public port: a request's header must arrive
// within 10 s and hold at most 16 KiB, and keep-alive connections idle
// for a minute are closed. When ctx ends, Serve stops accepting, gives
// the requests in progress up to 2 s, closes the WebSocket clients (see
// Close) and returns nil; otherwise it returns the error that stopped the
// HTTP server. l is closed on return. A Handler is served once: Serve
// cannot be called again after it returns.
func (h *Handler) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(l) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if herr := hs.Shutdown(sctx); errors.Is(herr, context.DeadlineExceeded) {
		_ = hs.Close()
	}
	_ = h.Close()
	if err == nil {
		<-served
	}
	return err
}
