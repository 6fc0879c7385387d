package sched

import (
	"testing"
	"time"

	"github.com/osckit/osc/wire"
)

// FuzzSubmit feeds arbitrary packets to a Scheduler: it must never panic,
// must dispatch only valid packets, must keep its queue bounded in groups
// and bytes and must return every pooled buffer on Close.
func FuzzSubmit(f *testing.F) {
	now := wire.TimetagOf(time.Now())
	f.Add(msg("/a", 1))
	f.Add(bundle(wire.Immediately, msg("/a", 1), bundle(0, msg("/b"))))
	f.Add(bundle(now.Add(time.Second), msg("/a"), bundle(now.Add(2*time.Second), msg("/b"))))
	f.Add(bundle(now.Add(-time.Second), msg("/late")))
	f.Add([]byte("#bundle\x00\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfc"))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		var n int
		s := New(Config{MaxQueue: 4, MaxBytes: 4096, Late: DropBeyondTolerance, Tolerance: time.Millisecond}, func(d *Delivery[int]) {
			r := d.Messages()
			for r.Next() {
				n++
			}
		})
		err := s.Submit(pkt, 0)
		if verr := new(wire.Options).Validate(pkt); verr != nil && err == nil {
			t.Fatalf("invalid packet accepted (%v)", verr)
		}
		if s.Len() > 4 {
			t.Fatalf("queue holds %d > MaxQueue", s.Len())
		}
		if b := s.Stats().QueuedBytes; b > 4096 {
			t.Fatalf("queue holds %d bytes > MaxBytes", b)
		}
		if cerr := s.Close(t.Context()); cerr != nil {
			t.Fatal(cerr)
		}
		if s.held.Load() != 0 || s.heldBytes.Load() != 0 {
			t.Fatalf("%d buffers (%d bytes) held after Close", s.held.Load(), s.heldBytes.Load())
		}
	})
}
