package main

import (
	"fmt"
	"runtime"

	"github.com/osckit/osc"
)

const versionUsage = `

Prints the version of osckit that oscli was built from (as the Go build
information records it: a release tag, a pseudo-version, or "(devel)" for
a build inside osckit's checkout) and the Go version, like oscpy's
/_oscpy/version. A program reads the same with osc.Version; the addresses
it binds are router.Router.Bindings and its sockets osc.Server.Endpoints.`

func runVersion(e *env, args []string) error {
	fs := newFlagSet(e, "version", versionUsage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("no arguments expected")
	}
	v := osc.Version()
	if v == "" {
		v = "unknown"
	}
	_, err := fmt.Fprintf(e.stdout, "oscli %s %s\n", v, runtime.Version())
	return err
}
