package osc

import (
	"testing"

	"github.com/osckit/osc/internal/leakcheck"
)

// TestMain fails the tests of the package (osc and osc_test) when they
// leave goroutines running.
func TestMain(m *testing.M) { leakcheck.Main(m) }
