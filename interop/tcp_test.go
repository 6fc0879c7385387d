package interop

import (
	"encoding/binary"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
	"github.com/osckit/osc/wire"
)

// TestDialTCPToOscdump: osc.Dial("osc.tcp://...") sends to liblo's oscdump
// TCP server, which prints every message; and the bytes on the wire are
// OSC 1.0 size-prefixed frames, as liblo sends them and as size-prefix-only
// servers (scsynth) read them, for osc.Dial and for oscli send alike.
func TestDialTCPToOscdump(t *testing.T) {
	oscdump, err := exec.LookPath("oscdump")
	if err != nil {
		missing(t, "oscdump (Debian package liblo-tools)")
	}
	port := freePort(t)
	d := startLive(t, oscdump, "-L", "osc.tcp://:"+port)
	waitListening(t, "127.0.0.1:"+port)

	c, err := osc.Dial("osc.tcp://127.0.0.1:" + port)
	require.NoError(t, err)
	defer c.Close()
	for i := range int32(3) {
		require.NoError(t, c.Send("/dial/tcp", wire.Int32(i), wire.String("hello")))
		got := line(t, d.out, "oscdump's line")
		require.Regexp(t, `^[0-9a-f]{8}\.[0-9a-f]{8} /dial/tcp is `+string('0'+rune(i))+` "hello"$`, strings.TrimRight(got, " "))
	}

	// What goes on the wire: a plain TCP listener reads the raw stream.
	want, err := wire.AppendMessage(nil, "/dial/tcp", wire.Int32(7), wire.String("hello"))
	require.NoError(t, err)
	frame := func(send func(url string)) []byte {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		send("osc.tcp://" + l.Addr().String())
		require.NoError(t, l.(*net.TCPListener).SetDeadline(time.Now().Add(5*time.Second)))
		conn, err := l.Accept()
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		buf := make([]byte, 4+len(want))
		_, err = io.ReadFull(conn, buf)
		require.NoError(t, err)
		return buf
	}
	for name, send := range map[string]func(url string){
		"osc.Dial": func(url string) {
			c, err := osc.Dial(url)
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			require.NoError(t, c.Send("/dial/tcp", wire.Int32(7), wire.String("hello")))
		},
		"oscli send": func(url string) {
			oscli(t, nil, "send", url, "/dial/tcp", "is", "7", "hello")
		},
	} {
		buf := frame(send)
		require.Equal(t, uint32(len(want)), binary.BigEndian.Uint32(buf), "%s: size prefix", name)
		require.Equal(t, want, buf[4:], name)
	}
}
