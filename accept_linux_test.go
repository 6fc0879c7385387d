package osc_test

import (
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/osckit/osc"
)

// TestAcceptOutOfFiles: when accept fails for want of file descriptors
// (EMFILE), the server logs it with backoff, without spinning, and serves
// the waiting connection once descriptors are free again.
func TestAcceptOutOfFiles(t *testing.T) {
	var h countingHandler
	ch := make(chan got, 4)
	s := &osc.Server{Handler: recorder(t, ch), Logger: slog.New(&h)}
	t.Cleanup(func() { s.Close() })
	ep, err := s.Listen("osc.tcp+size://127.0.0.1:0", nil)
	require.NoError(t, err)

	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old))
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	// Room for the client's socket (and the directory read above), none
	// for the server's accept.
	lim := old
	lim.Cur = uint64(len(fds))
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	restored := false
	restore := func() {
		if !restored {
			restored = true
			require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old))
		}
	}
	defer restore()

	conn, err := net.Dial("tcp", ep.Addr().String())
	if err != nil {
		restore()
		t.Fatalf("dial with %d descriptors: %v", lim.Cur, err)
	}
	defer conn.Close()
	time.Sleep(1500 * time.Millisecond) // the server retries with backoff meanwhile
	restore()

	_, err = conn.Write(sizeFrame(t, "/after"))
	require.NoError(t, err)
	require.Equal(t, "/after", recv(t, ch).addr)

	var accept []slog.Record
	for _, r := range h.records() {
		if strings.Contains(r.Message, "accept failed") {
			accept = append(accept, r)
		}
	}
	require.NotEmpty(t, accept, "the accept failure was not logged")
	require.LessOrEqual(t, len(accept), 3, "accept failures are logged at most once a second")
	found := false
	accept[0].Attrs(func(a slog.Attr) bool {
		found = found || strings.Contains(a.Value.String(), "too many open files")
		return true
	})
	require.True(t, found, "the log names the error")
}
