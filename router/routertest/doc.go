// Package routertest provides utilities for testing OSC handlers, in the
// manner of net/http/httptest: a Recorder that stands in for the server's
// ResponseWriter and records what a handler sends, and constructors for
// Requests.
//
// The packets a Recorder records are copies, so they stay valid after the
// handler returns; the Requests NewRequest builds alias the packet given.
package routertest
