// Package pool holds the byte buffers that osckit's encoders and queues
// draw from. It wraps github.com/valyala/bytebufferpool so that the pooling
// policy lives in one place and the implementation can be swapped.
//
// Buffers larger than MaxPooled are dropped rather than returned, so one
// large packet does not pin memory. A buffer must not be used after Put.
package pool
