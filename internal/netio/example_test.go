package netio_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/osckit/osc/internal/netio"
)

func ExampleParseEndpoint() {
	for _, s := range []string{"osc.udp://[::1]:9000", "osc.tcp+slip://localhost:7770", "osc.unix:///tmp/osc.sock", "9000", "osc.udp://239.1.2.3:9000"} {
		e, err := netio.ParseEndpoint(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-8s %-16q host=%q port=%d multicast=%v framing=%v %s\n", e.Network, e.Address, e.Host(), e.Port(), e.IsMulticast(), e.Framing, e)
	}
	// Output:
	// udp      "[::1]:9000"     host="::1" port=9000 multicast=false framing=auto osc.udp://[::1]:9000
	// tcp      "localhost:7770" host="localhost" port=7770 multicast=false framing=slip osc.tcp+slip://localhost:7770
	// unixgram "/tmp/osc.sock"  host="" port=0 multicast=false framing=auto osc.unix:///tmp/osc.sock
	// udp      ":9000"          host="" port=9000 multicast=false framing=auto osc.udp://:9000
	// udp      "239.1.2.3:9000" host="239.1.2.3" port=9000 multicast=true framing=auto osc.udp://239.1.2.3:9000
}

func ExampleAppendFrame() {
	pkt := []byte{'/', 'a', 0, 0, ',', 'b', 0, 0, 0xC0, 0xDB, 0, 0}
	fmt.Printf("% x\n", netio.AppendFrame(nil, pkt, netio.FrameSizePrefix))
	fmt.Printf("% x\n", netio.AppendFrame(nil, pkt, netio.FrameSLIP))
	// Output:
	// 00 00 00 0c 2f 61 00 00 2c 62 00 00 c0 db 00 00
	// c0 2f 61 00 00 2c 62 00 00 db dc db dd 00 00 c0
}

func ExampleStreamReader() {
	var stream []byte
	stream = netio.AppendFrame(stream, []byte("/one\x00\x00\x00\x00,\x00\x00\x00"), netio.FrameSLIP)
	stream = append(stream, 0xC0, 'x', 0xDB, 'y', 0xC0) // a bad escape: only this frame is dropped
	stream = netio.AppendFrame(stream, []byte("/two\x00\x00\x00\x00,\x00\x00\x00"), netio.FrameSLIP)

	sr := netio.NewStreamReader(bytes.NewReader(stream), netio.FrameAuto, 0)
	for {
		frame, err := sr.ReadFrame()
		var fe *netio.FrameError
		switch {
		case err == io.EOF:
			fmt.Println("end, framing", sr.Framing())
			return
		case errors.As(err, &fe) && fe.Recoverable:
			fmt.Println("dropped:", err)
			continue
		case err != nil:
			fmt.Println("fatal:", err)
			return
		}
		fmt.Printf("%q\n", bytes.TrimRight(frame[:8], "\x00"))
	}
	// Output:
	// "/one"
	// dropped: netio: invalid SLIP escape at offset 16
	// "/two"
	// end, framing slip
}
