package oscjson_test

import (
	"fmt"

	"github.com/osckit/osc/internal/oscjson"
	"github.com/osckit/osc/wire"
)

func Example() {
	pkt, _ := wire.AppendMessage(nil, "/synth/1", wire.Int32(440), wire.Float32(0.1), wire.String("sine"))
	js, _ := oscjson.AppendPacket(nil, pkt, nil)
	fmt.Println(string(js))

	back, _ := oscjson.Encode(nil, js, nil)
	fmt.Println(string(back) == string(pkt))
	// Output:
	// {"address":"/synth/1","args":[{"type":"i","value":440},{"type":"f","value":0.1},{"type":"s","value":"sine"}]}
	// true
}

func ExampleEncode() {
	pkt, err := oscjson.Encode(nil, []byte(`{"timetag":"immediate","elements":[{"address":"/a","args":[1,2.5,"x",true]}]}`), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = wire.Walk(pkt, func(m wire.Message, tt wire.Timetag) error {
		fmt.Println(m.String())
		return nil
	})

	_, err = oscjson.Encode(nil, []byte(`{"address":"/a","args":[{"type":"i","value":1.5}]}`), nil)
	fmt.Println(err)
	// Output:
	// /a ifsT 1 2.5 "x" #T
	// oscjson: args[0].value: want an integer that fits in 32 bits, not 1.5
}
