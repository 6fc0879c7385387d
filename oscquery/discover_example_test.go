package oscquery_test

import (
	"fmt"
	"net/netip"

	"github.com/osckit/osc/oscquery"
)

// A Service is what Browse resolves from the two services of an
// application: where its OSCQuery HTTP server is, where to send OSC, and
// whether it is a VRChat client.
func ExampleService() {
	s := oscquery.Service{
		Name:         "VRChat-Client-1A2B3C",
		Host:         "desktop.local",
		Addrs:        []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		HTTPPort:     49152,
		OSCPort:      9000,
		OSCTransport: oscquery.TransportUDP,
	}
	fmt.Println(s.URL())
	fmt.Println(s.OSCAddr(), s.OSCTransport)
	fmt.Println(s.IsVRChat())
	// Output:
	// http://127.0.0.1:49152/
	// 127.0.0.1:9000 UDP
	// true
}

// AddVRChatNodes gives a namespace the /avatar nodes VRChat looks for
// before it sends avatar parameters to an application.
func ExampleAddVRChatNodes() {
	ns := oscquery.NewNamespace()
	if err := oscquery.AddVRChatNodes(ns); err != nil {
		panic(err)
	}
	n, _ := ns.Node("/avatar")
	fmt.Println(len(n.Contents["change"].Type), n.Contents["parameters"].FullPath)
	// Output:
	// 1 /avatar/parameters
}
