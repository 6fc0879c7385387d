package oscquery

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/osckit/osc/router"
)

// The values of HOST_INFO's OSC_TRANSPORT.
const (
	TransportUDP = "UDP"
	TransportTCP = "TCP"
)

// HostInfo is the HOST_INFO object: how to reach the OSC server that a
// namespace describes. Empty fields are left out of the JSON; the
// proposal says that a client then assumes the address of the HTTP
// server, UDP, and a WebSocket server on the HTTP server's port.
type HostInfo struct {
	Name         string          `json:"NAME,omitempty"`          // human-readable name of the host
	Extensions   map[string]bool `json:"EXTENSIONS,omitempty"`    // optional attributes and features supported
	OSCIP        string          `json:"OSC_IP,omitempty"`        // address of the OSC server
	OSCPort      int             `json:"OSC_PORT,omitempty"`      // port of the OSC server
	OSCTransport string          `json:"OSC_TRANSPORT,omitempty"` // TransportUDP or TransportTCP
	WSIP         string          `json:"WS_IP,omitempty"`         // address of the WebSocket server, if any
	WSPort       int             `json:"WS_PORT,omitempty"`       // port of the WebSocket server, if any
}

// attrNames maps the attribute names a client may query to their bits.
var attrNames = map[string]attr{
	"FULL_PATH":     attrFullPath,
	"CONTENTS":      attrContents,
	"TYPE":          attrType,
	"ACCESS":        attrAccess,
	"VALUE":         attrValue,
	"RANGE":         attrRange,
	"DESCRIPTION":   attrDescription,
	"TAGS":          attrTags,
	"EXTENDED_TYPE": attrExtendedType,
	"UNIT":          attrUnit,
	"CLIPMODE":      attrClipMode,
	"CRITICAL":      attrCritical,
	"OVERLOADS":     attrOverloads,
}

// DefaultMaxResponseBytes bounds a Handler's JSON responses when its
// MaxResponseBytes is 0.
const DefaultMaxResponseBytes = 16 << 20

// Handler serves a Namespace over HTTP as the OSCQuery proposal says. The
// URL path is the OSC address of a node:
//
//	GET /a/b            the node /a/b with its whole subtree
//	GET /a/b?VALUE      {"VALUE": [...]}: only that attribute ({} when the node has none)
//	GET /a/b?HOST_INFO  the HOST_INFO object, whatever the path
//	GET /HOST_INFO      the same, for clients that ask for it as a path
//
// The status is 404 for a path with no node, 400 for an unknown or
// unsupported attribute (HTML among them) or a malformed request, 204 for
// VALUE of a node whose ACCESS is not readable, and 405 for a method other
// than GET or HEAD. A readable node without a value yet answers {} to
// ?VALUE. A trailing '/' is ignored, and so is a fragment. JSON responses
// are "application/json" and never larger than MaxResponseBytes (a larger
// one is refused with 500: ask for a subtree).
//
// Mount it at the root of a server, or below a prefix with
// http.StripPrefix. A request that asks for a WebSocket upgrade is served
// as the package documentation says (LISTEN, PATH_* notices, binary OSC).
// The fields must not change once the Handler serves, nor the Handler be
// copied.
type Handler struct {
	Namespace *Namespace
	// HostInfo is served as HOST_INFO. When its Extensions is nil, those
	// of Extensions() are served; when its OSCTransport is empty, UDP.
	HostInfo HostInfo
	// MaxResponseBytes bounds a response; 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int

	// OSC serves the OSC packets that WebSocket clients send in binary
	// messages, as a server's handler serves those from UDP: wrap the
	// server's handler with Namespace.Handler so that values follow them
	// and stream to the clients that LISTEN. Nil means
	// Namespace.Handler(nil): values follow and stream, nothing else runs.
	OSC router.Handler
	// MaxConns caps the WebSocket clients at once (0: DefaultMaxConns);
	// an upgrade over the cap is answered 503 and counted.
	MaxConns int
	// MaxListens caps the paths one client LISTENs to (0:
	// DefaultMaxListens); a LISTEN over it is ignored and counted.
	MaxListens int
	// MaxFrame caps a message from a client (0: DefaultMaxFrame): a
	// larger one closes the connection with status 1009.
	MaxFrame int
	// SendQueue caps the bytes waiting to be sent to one client (0:
	// DefaultSendQueue). A streamed value that does not fit is dropped
	// and counted (Stats.Dropped); when a PATH_* notice does not fit,
	// the notices waiting and it become one PATH_CHANGED of "/" (the
	// client fetches the whole namespace again), for which the oldest
	// values make room (Stats.NoticesMerged). Repeats of the last notice
	// waiting are not queued.
	SendQueue int
	// WriteTimeout bounds the writing of a client's queued messages (0:
	// DefaultWriteTimeout); a client that does not read within it is
	// disconnected and counted (Stats.SlowClients).
	WriteTimeout time.Duration
	// PingInterval is how often a client is pinged (0: 30 s; negative:
	// never). A client that does not answer a ping within PingInterval
	// (a dead host, a peer that never reads) is disconnected and counted
	// (Stats.DeadClients), so that it does not hold one of MaxConns. A
	// client that only listens, and never sends, answers pings and stays.
	PingInterval time.Duration
	// OriginPatterns lists the hosts (path.Match patterns) whose web
	// pages may open a WebSocket besides the server's own origin.
	// Clients that send no Origin header (tools) are always accepted.
	OriginPatterns []string

	hub      wsHub
	rootSize atomic.Int64 // bytes of the last answer for the whole namespace
}

// ns returns the namespace served: Namespace, or an empty one that stays.
func (h *Handler) ns() *Namespace {
	if h.Namespace != nil {
		return h.Namespace
	}
	h.hub.mu.Lock()
	defer h.hub.mu.Unlock()
	if h.hub.empty == nil {
		h.hub.empty = NewNamespace()
	}
	return h.hub.empty
}

// NewHandler returns a Handler serving ns with the given HOST_INFO.
func NewHandler(ns *Namespace, info HostInfo) *Handler {
	return &Handler{Namespace: ns, HostInfo: info}
}

// hostInfoJSON returns the HOST_INFO object as served. WS_IP and WS_PORT
// default to the address the request reached.
func (h *Handler) hostInfoJSON(r *http.Request) ([]byte, error) {
	hi := h.HostInfo
	if hi.Extensions == nil {
		hi.Extensions = Extensions()
	}
	if hi.WSIP == "" && hi.WSPort == 0 {
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if ap, err := netip.ParseAddrPort(a.String()); err == nil {
				hi.WSIP, hi.WSPort = ap.Addr().Unmap().WithZone("").String(), int(ap.Port())
			}
		}
	}
	if hi.OSCTransport == "" {
		hi.OSCTransport = TransportUDP
	}
	return json.Marshal(&hi)
}

// ServeHTTP answers one OSCQuery request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isUpgrade(r) {
		h.serveWS(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path, query, status := parseTarget(r.URL)
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if query == "HOST_INFO" || query == "" && path == "/HOST_INFO" {
		b, err := h.hostInfoJSON(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, b)
		return
	}
	mask := attr(attrAll)
	if query != "" {
		m, ok := attrNames[query]
		if !ok {
			http.Error(w, "unknown or unsupported attribute", http.StatusBadRequest)
			return
		}
		mask = m
	}
	ns := h.ns()
	limit := h.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	ns.mu.RLock()
	e := ns.rootForRead()
	if path != "/" {
		e = ns.lookup(path)
	}
	if e == nil {
		ns.mu.RUnlock()
		http.Error(w, "no such node", http.StatusNotFound)
		return
	}
	if mask == attrValue && !e.attrs.Access.Readable() {
		ns.mu.RUnlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	enc := encoder{max: limit}
	if mask == attrAll && path == "/" {
		// The whole namespace, as often asked: the buffer starts at the
		// size it had last time rather than growing to it.
		enc.b = make([]byte, 0, min(int(h.rootSize.Load())+512, limit+1))
	}
	enc.object(entryView{e}, mask, true)
	ns.mu.RUnlock()
	if mask == attrAll && path == "/" {
		h.rootSize.Store(int64(len(enc.b)))
	}
	if enc.full() {
		http.Error(w, "response larger than the server's limit: ask for a subtree", http.StatusInternalServerError)
		return
	}
	writeJSON(w, enc.b)
}

func writeJSON(w http.ResponseWriter, b []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// parseTarget returns the node path and the attribute asked for by a
// request URL, or a 4xx status.
func parseTarget(u *url.URL) (path, query string, status int) {
	path = u.Path
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	switch {
	case path == "":
		path = "/"
	case path[0] != '/':
		return "", "", http.StatusBadRequest
	}
	if len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	if len(path) > router.MaxLen {
		return "", "", http.StatusNotFound
	}
	q := u.RawQuery
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 64 {
		return "", "", http.StatusBadRequest
	}
	q, err := url.QueryUnescape(q)
	if err != nil {
		return "", "", http.StatusBadRequest
	}
	// "?VALUE=" is taken for "?VALUE".
	q = strings.TrimSuffix(q, "=")
	return path, q, 0
}
