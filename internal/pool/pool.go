package pool

import "github.com/valyala/bytebufferpool"

// MaxPooled is the largest buffer capacity returned to the pool; larger
// buffers are dropped so that one huge packet does not pin memory.
const MaxPooled = 64 << 10

// Buffer is a pooled byte buffer. B may be appended to freely; it must not
// be used after Put.
type Buffer = bytebufferpool.ByteBuffer

var p bytebufferpool.Pool

// Get returns an empty buffer from the pool.
func Get() *Buffer { return p.Get() }

// Put returns b to the pool, unless it has grown past MaxPooled.
func Put(b *Buffer) {
	if b == nil || cap(b.B) > MaxPooled {
		return
	}
	p.Put(b)
}

// Copy returns a pooled buffer holding a copy of data.
func Copy(data []byte) *Buffer {
	b := p.Get()
	b.B = append(b.B[:0], data...)
	return b
}
