package netio

import (
	"testing"

	"github.com/osckit/osc/internal/leakcheck"
)

// TestMain fails the tests if they leave goroutines running.
func TestMain(m *testing.M) { leakcheck.Main(m) }
