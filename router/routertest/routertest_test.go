package routertest_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/osckit/osc/router/routertest"
	"github.com/osckit/osc/wire"
)

func TestRecorder(t *testing.T) {
	rec := routertest.NewRecorder()
	pkt, _ := wire.AppendMessage(nil, "/a", wire.Int32(1))
	if n, err := rec.Write(pkt); n != len(pkt) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	pkt[0] = 'X' // the recorder copied
	to := netip.MustParseAddrPort("127.0.0.1:9")
	if _, err := rec.WriteTo(pkt[:8], to); err != nil {
		t.Fatal(err)
	}
	rec.Encoder().Message("/b").String("x").End()
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(rec.Packets) != 3 || rec.Packets[0].Data[0] != '/' || rec.Packets[1].To != to || rec.Packets[2].To.IsValid() {
		t.Fatalf("packets %+v", rec.Packets)
	}
	if m, err := wire.ParseMessage(rec.Packets[2].Data); err != nil || m.AddressString() != "/b" {
		t.Fatalf("flushed %v %v", m.AddressString(), err)
	}
	rec.Encoder().Message("/unfinished")
	if err := rec.Flush(); err == nil {
		t.Error("Flush of an unfinished message: no error")
	}
	rec.Packets = nil
	rec.Err = errors.New("down")
	if _, err := rec.Write(pkt); err == nil || len(rec.Packets) != 0 {
		t.Error("Err not returned")
	}
	if rec.RemoteAddr().String() != "127.0.0.1:57120" {
		t.Errorf("RemoteAddr %v", rec.RemoteAddr())
	}
}

func TestNewRequest(t *testing.T) {
	r := routertest.NewRequest("/x/y", wire.Float32(1))
	if r.Message.AddressString() != "/x/y" || r.Timetag != wire.Immediately || r.Remote.String() != "127.0.0.1:57120" || r.Local.String() != "127.0.0.1:57110" {
		t.Fatalf("request %+v", r)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewRequest of an invalid address did not panic")
		}
	}()
	routertest.NewRequest("no slash")
}

func TestRecorderSend(t *testing.T) {
	rec := routertest.NewRecorder()
	if err := rec.Send("/t", wire.Int32(1)); err != nil {
		t.Fatal(err)
	}
	if err := rec.SendAny("/p", 2, "x"); err != nil {
		t.Fatal(err)
	}
	var te *wire.TypeError
	if err := rec.SendAny("/bad", struct{}{}); !errors.As(err, &te) || te.Arg != 0 {
		t.Fatalf("SendAny(struct{}{}) = %v", err)
	}
	ms := rec.Messages()
	if len(ms) != 2 || ms[0].String() != "/t i 1" || ms[1].String() != "/p is 2 \"x\"" {
		t.Fatalf("recorded %v", ms)
	}
}
