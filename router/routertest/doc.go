// Package routertest provides utilities for testing OSC handlers, in the
// manner of net/http/httptest: a Recorder that stands in for the server's
// ResponseWriter and records what a handler sends, and constructors for
// Requests.
//
// The handler contract it serves (Handler, Request, ResponseWriter) is
// package router's, where the Router that dispatches it is defined; package
// osc names the same types as aliases. A handler written against either
// name is tested here unchanged, without sockets: NewRequest builds the
// Request the server would pass, and a Recorder is a ResponseWriter.
//
// The packets a Recorder records are copies, so they stay valid after the
// handler returns; the Requests NewRequest builds alias the packet given.
package routertest
