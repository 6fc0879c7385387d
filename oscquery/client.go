package oscquery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/osckit/osc/wire"
)

// StatusError reports an HTTP answer other than 200 OK: 404 for a path
// with no node, 400 for an attribute the server does not support, 204 for
// the VALUE of a node that is not readable.
type StatusError struct {
	URL  string // the URL requested
	Code int    // the HTTP status
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("oscquery: GET %s: %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// Client reads the namespace of an OSCQuery server over HTTP. The zero
// Client uses http.DefaultClient and reads at most
// DefaultMaxResponseBytes per answer. A URL names a server and a node:
// "http://host:port" is the root, "http://host:port/a/b" the node /a/b;
// its query and fragment are replaced.
type Client struct {
	HTTP     *http.Client // nil: http.DefaultClient
	MaxBytes int64        // largest answer read; 0: DefaultMaxResponseBytes
}

var defaultClient Client

// Fetch returns the node at the URL with its whole subtree, with the zero
// Client.
func Fetch(ctx context.Context, nodeURL string) (*Node, error) {
	return defaultClient.Fetch(ctx, nodeURL)
}

// FetchHostInfo returns the server's HOST_INFO, with the zero Client.
func FetchHostInfo(ctx context.Context, serverURL string) (*HostInfo, error) {
	return defaultClient.HostInfo(ctx, serverURL)
}

// FetchAttribute returns one attribute of the node at the URL, with the
// zero Client.
func FetchAttribute(ctx context.Context, nodeURL, name string) (json.RawMessage, error) {
	return defaultClient.Attribute(ctx, nodeURL, name)
}

// Fetch returns the node at the URL with its whole subtree.
func (c *Client) Fetch(ctx context.Context, nodeURL string) (*Node, error) {
	b, err := c.get(ctx, nodeURL, "")
	if err != nil {
		return nil, err
	}
	var n Node
	if err := n.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return &n, nil
}

// HostInfo returns the server's HOST_INFO (the URL's path does not
// matter).
func (c *Client) HostInfo(ctx context.Context, serverURL string) (*HostInfo, error) {
	b, err := c.get(ctx, serverURL, "HOST_INFO")
	if err != nil {
		return nil, err
	}
	var hi HostInfo
	if err := json.Unmarshal(b, &hi); err != nil {
		return nil, fmt.Errorf("oscquery: HOST_INFO: %w", err)
	}
	return &hi, nil
}

// Attribute returns the JSON of one attribute (for example "DESCRIPTION"
// or "RANGE") of the node at the URL, or nil when the node does not have
// it. A server that does not support the attribute answers 400, reported
// as a *StatusError.
func (c *Client) Attribute(ctx context.Context, nodeURL, name string) (json.RawMessage, error) {
	b, err := c.get(ctx, nodeURL, name)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("oscquery: %s: %w", name, err)
	}
	return obj[name], nil
}

// Value returns the current value of the node at the URL, read with the
// node's TYPE (two requests: ?TYPE and ?VALUE), or nil when the node has
// no value yet. A node that is not readable is a *StatusError with Code
// 204.
func (c *Client) Value(ctx context.Context, nodeURL string) ([]wire.Value, error) {
	typ, err := c.Attribute(ctx, nodeURL, "TYPE")
	if err != nil {
		return nil, err
	}
	raw, err := c.Attribute(ctx, nodeURL, "VALUE")
	if err != nil || raw == nil {
		return nil, err
	}
	var items []typeItem
	var s string
	if typ != nil && json.Unmarshal(typ, &s) == nil {
		items, _ = parseType(s)
	}
	return decodeValues(raw, items), nil
}

// get fetches the URL with the given query and returns the body of a 200
// answer.
func (c *Client) get(ctx context.Context, rawURL, query string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("oscquery: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("oscquery: %q: not an http URL", rawURL)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery, u.Fragment, u.RawFragment = query, "", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("oscquery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("oscquery: %w", err)
	}
	defer resp.Body.Close()
	limit := c.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, &StatusError{URL: u.String(), Code: resp.StatusCode}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("oscquery: GET %s: %w", u, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("oscquery: GET %s: %w (over %d bytes)", u, ErrTooLarge, limit)
	}
	return bytes.TrimSpace(b), nil
}
