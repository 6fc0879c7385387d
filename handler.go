package osc

import "github.com/osckit/osc/router"

// The handler contract, under the names a program that only serves and
// sends uses. They are the router package's types, not copies: a
// router.Router is an osc.Handler, and a function written against
// router.Request serves here unchanged. See the package documentation,
// "Where the handler contract lives".
type (
	// Handler responds to one OSC message: router.Handler.
	Handler = router.Handler
	// HandlerFunc lets a function be a Handler: router.HandlerFunc.
	HandlerFunc = router.HandlerFunc
	// Request describes one dispatched message: router.Request.
	Request = router.Request
	// ResponseWriter answers the sender of a request: router.ResponseWriter.
	ResponseWriter = router.ResponseWriter
)
