package oscquery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/coder/websocket"
)

// Conn is a WebSocket connection to an OSCQuery server: it LISTENs to
// nodes, receives their values as OSC messages and the server's notices
// of namespace changes, and sends OSC packets. Its methods may be called
// from several goroutines, except Next, which one goroutine calls.
type Conn struct {
	ws  *websocket.Conn
	raw net.Conn
	buf []byte
}

// Event is what a Conn receives: an OSC packet (Packet not nil) or a
// notice of a namespace change (Command set).
type Event struct {
	// Packet is an OSC packet from the server: a value of a node the
	// client LISTENs to, or an answer to a packet it sent. It is valid
	// until the next call of Next.
	Packet []byte
	// Command is the notice: "PATH_CHANGED", "PATH_ADDED", "PATH_REMOVED"
	// or "PATH_RENAMED" (or another the server sent).
	Command string
	// Path is the notice's path: the node changed, added or removed, or
	// the new path of a renamed node.
	Path string
	// OldPath is the path a renamed node had.
	OldPath string
}

// Dial opens the WebSocket of the OSCQuery server at serverURL, with the
// zero Client.
func Dial(ctx context.Context, serverURL string) (*Conn, error) {
	return defaultClient.Dial(ctx, serverURL)
}

// Dial opens the WebSocket of the OSCQuery server at serverURL
// ("http://host:port"): it reads HOST_INFO, refuses a server that does
// not list LISTEN in its EXTENSIONS, and connects to WS_IP:WS_PORT, or to
// the HTTP server's host and port where they are absent. When Dial
// returns, every later change of the namespace is notified.
func (c *Client) Dial(ctx context.Context, serverURL string) (*Conn, error) {
	hi, err := c.HostInfo(ctx, serverURL)
	if err != nil {
		return nil, err
	}
	if !hi.Extensions["LISTEN"] {
		return nil, errors.New("oscquery: the server does not stream values (no LISTEN in HOST_INFO's EXTENSIONS)")
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("oscquery: %w", err)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	if hi.WSIP != "" {
		host = hi.WSIP
	}
	if hi.WSPort != 0 {
		port = strconv.Itoa(hi.WSPort)
	}
	// A transport of its own, to keep the connection under the WebSocket
	// (see closeWithin).
	var raw net.Conn
	var mu sync.Mutex
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			raw = conn
			mu.Unlock()
		}
		return conn, err
	}}
	opts := &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled, HTTPClient: &http.Client{Transport: tr}}
	ws, _, err := websocket.Dial(ctx, "ws://"+net.JoinHostPort(host, port)+"/", opts)
	tr.CloseIdleConnections()
	if err != nil {
		return nil, fmt.Errorf("oscquery: WebSocket: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	limit := c.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	ws.SetReadLimit(limit)
	return &Conn{ws: ws, raw: raw}, nil
}

func (c *Conn) command(ctx context.Context, cmd, path string) error {
	b, err := json.Marshal(noticeJSON{COMMAND: cmd, DATA: path})
	if err != nil {
		return err
	}
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// Listen asks the server to send the messages of the node at path (that
// node only, not its children).
func (c *Conn) Listen(ctx context.Context, path string) error {
	return c.command(ctx, cmdListen, path)
}

// Ignore ends a Listen.
func (c *Conn) Ignore(ctx context.Context, path string) error {
	return c.command(ctx, cmdIgnore, path)
}

// Send sends an OSC packet in a binary message: the server dispatches it
// as one from its OSC port, and sends it to the other clients that LISTEN
// to its address.
func (c *Conn) Send(ctx context.Context, pkt []byte) error {
	return c.ws.Write(ctx, websocket.MessageBinary, pkt)
}

// Next waits for the next packet or notice. A text message that is not
// JSON is an error, after which Next may be called again. When ctx ends
// before a message arrives, the connection is closed (a WebSocket read
// cannot be resumed): use a context that lasts as long as the connection.
// The server's pings are answered while Next waits: a client that stops
// calling it is disconnected after the server's ping interval (see
// Handler.PingInterval), so keep one goroutine in Next.
func (c *Conn) Next(ctx context.Context) (Event, error) {
	typ, r, err := c.ws.Reader(ctx)
	if err != nil {
		return Event{}, err
	}
	b, err := readMessage(c.buf[:0], r)
	if err != nil {
		return Event{}, err
	}
	c.buf = b
	if typ == websocket.MessageBinary {
		return Event{Packet: b}, nil
	}
	var n struct {
		COMMAND string
		DATA    json.RawMessage
	}
	if err := json.Unmarshal(b, &n); err != nil {
		return Event{}, fmt.Errorf("oscquery: notice %.80q: %w", b, err)
	}
	ev := Event{Command: n.COMMAND}
	var ren renameJSON
	if json.Unmarshal(n.DATA, &ev.Path) != nil && json.Unmarshal(n.DATA, &ren) == nil {
		ev.Path, ev.OldPath = ren.NEW, ren.OLD
	}
	return ev, nil
}

// Close closes the connection (status 1000); the server ends its LISTENs.
func (c *Conn) Close() error {
	closeWithin(c.ws, c.raw, websocket.StatusNormalClosure, "")
	return nil
}

// OSCURL returns the URL of the OSC server HOST_INFO describes, for
// osc.Dial: osc.udp://OSC_IP:OSC_PORT, or osc.tcp:// for OSC_TRANSPORT
// TCP. Where OSC_IP is absent, the host of serverURL (the HTTP server's)
// stands for it.
func (hi *HostInfo) OSCURL(serverURL string) (string, error) {
	if hi.OSCPort <= 0 || hi.OSCPort > 65535 {
		return "", fmt.Errorf("oscquery: HOST_INFO has no valid OSC_PORT (%d)", hi.OSCPort)
	}
	host := hi.OSCIP
	if host == "" {
		u, err := url.Parse(serverURL)
		if err != nil {
			return "", fmt.Errorf("oscquery: %w", err)
		}
		host = u.Hostname()
	}
	scheme := "osc.udp"
	switch hi.OSCTransport {
	case "", TransportUDP:
	case TransportTCP:
		scheme = "osc.tcp"
	default:
		return "", fmt.Errorf("oscquery: unknown OSC_TRANSPORT %.20q", hi.OSCTransport)
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(hi.OSCPort)), nil
}
