package netio

import (
	"errors"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	cases := []struct {
		in        string
		want      Endpoint
		host      string
		port      int
		multicast bool
		str       string
	}{
		{"osc.udp://localhost:9000", Endpoint{Network: NetworkUDP, Address: "localhost:9000", Framing: FrameAuto}, "localhost", 9000, false, ""},
		{"osc.udp://[::1]:9000", Endpoint{Network: NetworkUDP, Address: "[::1]:9000", Framing: FrameAuto}, "::1", 9000, false, ""},
		{"osc.udp://239.1.2.3:9000", Endpoint{Network: NetworkUDP, Address: "239.1.2.3:9000", Framing: FrameAuto}, "239.1.2.3", 9000, true, ""},
		{"osc.udp://[ff02::1]:9000", Endpoint{Network: NetworkUDP, Address: "[ff02::1]:9000", Framing: FrameAuto}, "ff02::1", 9000, true, ""},
		{"OSC.UDP://host:1/", Endpoint{Network: NetworkUDP, Address: "host:1", Framing: FrameAuto}, "host", 1, false, "osc.udp://host:1"},
		{"osc.udp://:9000", Endpoint{Network: NetworkUDP, Address: ":9000", Framing: FrameAuto}, "", 9000, false, ""},
		{"osc.tcp://127.0.0.1:7770", Endpoint{Network: NetworkTCP, Address: "127.0.0.1:7770", Framing: FrameAuto}, "127.0.0.1", 7770, false, ""},
		{"osc.tcp+slip://h:1", Endpoint{Network: NetworkTCP, Address: "h:1", Framing: FrameSLIP}, "h", 1, false, ""},
		{"osc.tcp+size://h:1", Endpoint{Network: NetworkTCP, Address: "h:1", Framing: FrameSizePrefix}, "h", 1, false, ""},
		{"osc.unix:///tmp/osc.sock", Endpoint{Network: NetworkUnixgram, Address: "/tmp/osc.sock", Framing: FrameAuto}, "", 0, false, ""},
		{"osc.unix://rel/osc.sock", Endpoint{Network: NetworkUnixgram, Address: "rel/osc.sock", Framing: FrameAuto}, "", 0, false, ""},
		{"osc.unix://@abstract", Endpoint{Network: NetworkUnixgram, Address: "@abstract", Framing: FrameAuto}, "", 0, false, ""},
		{"127.0.0.1:57120", Endpoint{Network: NetworkUDP, Address: "127.0.0.1:57120", Framing: FrameAuto}, "127.0.0.1", 57120, false, "osc.udp://127.0.0.1:57120"},
		{"[::1]:5", Endpoint{Network: NetworkUDP, Address: "[::1]:5", Framing: FrameAuto}, "::1", 5, false, "osc.udp://[::1]:5"},
		{"9000", Endpoint{Network: NetworkUDP, Address: ":9000", Framing: FrameAuto}, "", 9000, false, "osc.udp://:9000"},
		{"osc.ws://127.0.0.1:8080/osc", Endpoint{Network: NetworkWS, Address: "127.0.0.1:8080", Path: "/osc"}, "127.0.0.1", 8080, false, ""},
		{"osc.ws://:8080", Endpoint{Network: NetworkWS, Address: ":8080", Path: "/"}, "", 8080, false, "osc.ws://:8080/"},
		{"OSC.WSS://host:443/a/b", Endpoint{Network: NetworkWS, Address: "host:443", Path: "/a/b", TLS: true}, "host", 443, false, "osc.wss://host:443/a/b"},
		{":0", Endpoint{Network: NetworkUDP, Address: ":0", Framing: FrameAuto}, "", 0, false, "osc.udp://:0"},
	}
	for _, c := range cases {
		e, err := ParseEndpoint(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if e != c.want || e.Host() != c.host || e.Port() != c.port || e.IsMulticast() != c.multicast {
			t.Fatalf("%q: got %+v host %q port %d mc %v", c.in, e, e.Host(), e.Port(), e.IsMulticast())
		}
		str := c.str
		if str == "" {
			str = c.in
		}
		if e.String() != str {
			t.Fatalf("%q: String %q want %q", c.in, e.String(), str)
		}
		e2, err := ParseEndpoint(e.String())
		if err != nil || e2 != e {
			t.Fatalf("%q: round trip %+v %v", c.in, e2, err)
		}
	}
}

func TestParseEndpointErrors(t *testing.T) {
	cases := map[string]error{
		"http://h:1":            ErrEndpointScheme,
		"osc.udp://h":           ErrEndpointPort,
		"osc.udp://h:65536":     ErrEndpointPort,
		"osc.udp://h:-1":        ErrEndpointPort,
		"osc.udp://h:http":      ErrEndpointPort,
		"osc.udp://::1:9000":    ErrEndpointHost,
		"osc.udp://[1.2.3.4]:1": ErrEndpointHost,
		"osc.udp://ho st:1":     ErrEndpointHost,
		"osc.udp://[]:1":        ErrEndpointHost,
		"osc.unix://":           ErrEndpointPath,
		"abc":                   ErrEndpointPort,
		"":                      ErrEndpointPort,
		"osc.tcp://a..b:1":      ErrEndpointHost,
	}
	for in, want := range cases {
		_, err := ParseEndpoint(in)
		var ee *EndpointError
		if !errors.Is(err, want) || !errors.As(err, &ee) || ee.Input != in {
			t.Fatalf("%q: got %v, want %v", in, err, want)
		}
	}
}
