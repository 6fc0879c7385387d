package osc

import "runtime/debug"

// modulePath is osckit's module path, looked up in the build information.
const modulePath = "github.com/osckit/osc"

// Version returns the version of osckit built into the running program,
// as the Go build information records it: a release tag such as "v1.2.0",
// a pseudo-version, or "(devel)" when built inside osckit's own checkout.
// It returns "" when the program carries no build information.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	if bi.Main.Path == modulePath {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			if d.Replace != nil {
				if d.Replace.Version == "" { // replaced by a directory
					return "(devel)"
				}
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}
