package oscquery

import (
	"testing"

	"github.com/osckit/osc/internal/leakcheck"
)

// TestMain fails the package's tests when they leave goroutines running:
// a WebSocket client's reading and writing goroutines, above all.
func TestMain(m *testing.M) { leakcheck.Main(m) }
