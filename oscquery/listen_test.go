package oscquery

import (
	"net/http"
	"testing"
)

// ServeHTTP is the internal tests' listen for the external ones (package
// oscquery_test): it serves h on a loopback port and returns its base URL.
func ServeHTTP(t testing.TB, h http.Handler) string { return listen(t, h) }
