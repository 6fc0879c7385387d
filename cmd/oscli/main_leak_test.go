package main

import (
	"testing"

	"github.com/osckit/osc/internal/leakcheck"
)

// TestMain fails oscli's tests when they leave goroutines running.
func TestMain(m *testing.M) { leakcheck.Main(m) }
