// Package limits holds the nesting limits that the decoder applies by
// default and that the packages encoding or describing OSC values beside it
// (oscquery, the JSON form, oscli) must agree with.
package limits

const (
	// BundleDepth is how many bundles may nest inside the outermost one
	// (wire.Options.MaxBundleDepth when zero).
	BundleDepth = 8
	// ArrayDepth is how many arrays may nest inside a message
	// (wire.Options.MaxArrayDepth when zero).
	ArrayDepth = 32
)
