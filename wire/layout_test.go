package wire

import "testing"

// The argument count is packed into 10 bits of Message; past that it is
// counted again from the type tags.
func TestMessageManyArgs(t *testing.T) {
	for _, n := range []int{1022, 1023, 1024, 1500} {
		for _, array := range []bool{false, true} {
			var e Encoder
			e.Message("/many")
			want := n
			if array {
				e.BeginArray().Int32(1).Int32(2).EndArray()
				want++
			}
			for i := range n {
				e.Int32(int32(i))
			}
			pkt, err := e.End().Bytes()
			if err != nil {
				t.Fatal(err)
			}
			for _, parse := range []func([]byte) (Message, error){ParseMessage, (&Options{Lenient: true}).ParseMessage} {
				m, err := parse(pkt)
				if err != nil {
					t.Fatalf("n=%d array=%v: %v", n, array, err)
				}
				if m.NumArgs() != want {
					t.Errorf("n=%d array=%v: NumArgs %d, want %d", n, array, m.NumArgs(), want)
				}
				if got := len(m.AppendArgs(nil)); got != want {
					t.Errorf("n=%d array=%v: AppendArgs gave %d", n, array, got)
				}
				var last Arg
				for r := m.Args(); r.Next(); {
					last = r.Arg()
				}
				if v, ok := last.Int32(); !ok || v != int32(n-1) {
					t.Errorf("n=%d array=%v: last argument %v %v", n, array, v, ok)
				}
				if string(m.Address()) != "/many" {
					t.Errorf("address %q", m.Address())
				}
			}
			_, args, err := ParseArgs(pkt, nil)
			if err != nil || len(args) != want {
				t.Errorf("n=%d array=%v: ParseArgs gave %d arguments, %v", n, array, len(args), err)
			}
		}
	}
}

// The zero Message is an empty view.
func TestZeroMessage(t *testing.T) {
	var m Message
	if len(m.Address()) != 0 || len(m.TypeTags()) != 0 || m.HasTypeTags() || m.NumArgs() != 0 ||
		len(m.AppendArgs(nil)) != 0 {
		t.Fatal("the zero Message is not empty")
	}
	if r := m.Args(); r.Next() {
		t.Fatal("the zero Message has an argument")
	}
	if len(m.AnyArgs()) != 0 {
		t.Fatal("the zero Message has plain arguments")
	}
}
