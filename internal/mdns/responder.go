package mdns

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// TTLs of the records announced (RFC 6762 section 10): host-related
// records 120 s, the others 75 minutes.
const (
	hostTTL  = 120
	otherTTL = 4500
	// legacyTTL caps the TTL of answers to legacy unicast queries.
	legacyTTL = 10
)

const servicesName = "_services._dns-sd._udp.local"

// Service is one DNS-SD service of an instance.
type Service struct {
	Type string // "_oscjson._tcp"; the domain is always local
	Port uint16
	Text []string // TXT strings, "key=value"
}

// Responder answers mDNS queries for the services registered with it,
// after probing their names (renaming "Name (2)" and so on on conflict)
// and announcing them; Close sends goodbyes.
type Responder struct {
	c     *conn
	host  string       // "host.local"
	addrs []netip.Addr // fixed addresses, or nil for each interface's own
	v6    bool
	// ProbeInterval and AnnounceInterval are the RFC's 250 ms and 1 s.
	probeInterval time.Duration
	Stats         Stats

	mu      sync.Mutex
	groups  []*group
	probing map[string]*group // lower-cased instance names being probed
	lastTx  map[rrKey]int64   // nanotime of a record's last multicast
	queued  map[rrKey]bool    // records in a multicast answer not sent yet
	pending int               // delayed answers scheduled
	closed  bool
	timers  sync.WaitGroup
	done    chan struct{}
}

// group is the services of one instance, probed and announced together.
type group struct {
	instance  string
	svcs      []Service
	conflict  bool
	live      bool
	defending bool // a re-announcement is on its way
}

type rrKey struct {
	name    string
	typ     uint16
	ifIndex int
	v6      bool
}

// ResponderConfig adds what a responder says about its host to Config.
type ResponderConfig struct {
	Config
	// Host is the host label announced ("name" for name.local); empty
	// means the machine's host name.
	Host string
	// Addrs are the addresses announced for the host; nil means those of
	// the interface each answer leaves from.
	Addrs []netip.Addr
}

// NewResponder opens the mDNS sockets and starts answering.
func NewResponder(cfg ResponderConfig) (*Responder, error) {
	r := &Responder{
		addrs:         cfg.Addrs,
		v6:            !cfg.NoIPv6,
		probeInterval: 250 * time.Millisecond,
		probing:       make(map[string]*group),
		lastTx:        make(map[rrKey]int64),
		queued:        make(map[rrKey]bool),
		done:          make(chan struct{}),
	}
	host := cfg.Host
	if host == "" {
		host, _ = os.Hostname()
		host, _, _ = strings.Cut(host, ".")
	}
	host = sanitizeLabel(host)
	if host == "" {
		host = "osckit"
	}
	r.host = EscapeLabel(host) + ".local"
	c, err := listen(cfg.Config, &r.Stats)
	if err != nil {
		return nil, err
	}
	r.c = c
	c.serve(r.handle)
	return r, nil
}

func sanitizeLabel(s string) string {
	var sb strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			sb.WriteRune(c)
		default:
			sb.WriteByte('-')
		}
	}
	out := sb.String()
	if len(out) > maxLabel {
		out = out[:maxLabel]
	}
	return out
}

// Host returns the host name announced, "name.local".
func (r *Responder) Host() string { return r.host }

// Register probes the instance name for each of the services, renames
// the instance ("Name (2)", "Name (3)"...) while another host holds one
// of the names, then announces the services (three times, 1 s then 2 s
// apart) and answers for them until Close. It returns the name
// registered, after about 750 ms of probing.
func (r *Responder) Register(instance string, svcs ...Service) (string, error) {
	if len(svcs) == 0 {
		return "", errors.New("mdns: no service to register")
	}
	for attempt := 1; attempt <= 16; attempt++ {
		name := truncate(instance, maxLabel)
		if attempt > 1 {
			name = fmt.Sprintf("%s (%d)", truncate(instance, maxLabel-5), attempt)
		}
		for _, s := range svcs {
			if _, err := (&Message{Questions: []Question{{Name: instanceName(name, s.Type)}}}).Append(nil); err != nil {
				return "", err
			}
		}
		g := &group{instance: name, svcs: svcs}
		ok, err := r.probe(g)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return "", errors.New("mdns: responder closed")
		}
		g.live = true
		r.groups = append(r.groups, g)
		r.mu.Unlock()
		r.announce(g)
		return name, nil
	}
	return "", fmt.Errorf("mdns: %q: no free name after 16 tries", instance)
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func instanceName(instance, typ string) string {
	return EscapeLabel(instance) + "." + typ + ".local"
}

// probe sends three probes 250 ms apart and reports whether no other
// host claimed the names meanwhile.
func (r *Responder) probe(g *group) (bool, error) {
	r.mu.Lock()
	for _, s := range g.svcs {
		r.probing[strings.ToLower(instanceName(g.instance, s.Type))] = g
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		for _, s := range g.svcs {
			delete(r.probing, strings.ToLower(instanceName(g.instance, s.Type)))
		}
		r.mu.Unlock()
	}()
	// A random delay of 0-250 ms first (RFC 6762 section 8.1).
	if !r.sleep(time.Duration(rand.Int64N(int64(r.probeInterval)))) {
		return false, errors.New("mdns: responder closed")
	}
	for range 3 {
		for i := range r.c.ifaces {
			for _, v6 := range r.families() {
				m := &Message{}
				for _, s := range g.svcs {
					n := instanceName(g.instance, s.Type)
					m.Questions = append(m.Questions, Question{Name: n, Type: TypeANY, Unicast: true})
					m.Authorities = append(m.Authorities, r.srv(g, s, 0))
				}
				b, err := m.Append(nil)
				if err != nil {
					return false, err
				}
				r.c.multicast(b, r.c.ifaces[i].Index, v6)
			}
		}
		if !r.sleep(r.probeInterval) {
			return false, errors.New("mdns: responder closed")
		}
		r.mu.Lock()
		conflict := g.conflict
		r.mu.Unlock()
		if conflict {
			return false, nil
		}
	}
	return true, nil
}

func (r *Responder) families() []bool {
	if r.c.p6 != nil && r.v6 {
		return []bool{false, true}
	}
	return []bool{false}
}

func (r *Responder) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.done:
		return false
	}
}

// announce sends the group's records unsolicited three times, 1 s and
// then 2 s apart.
func (r *Responder) announce(g *group) {
	r.timers.Add(1)
	go func() {
		defer r.timers.Done()
		for i, wait := range []time.Duration{0, time.Second, 2 * time.Second} {
			if i > 0 && !r.sleep(wait) {
				return
			}
			r.mu.Lock()
			live := g.live && !r.closed
			r.mu.Unlock()
			if !live {
				return
			}
			r.sendAll(g, false)
		}
	}()
}

// sendAll multicasts all the group's records on every interface, with
// TTL 0 when goodbye.
func (r *Responder) sendAll(g *group, goodbye bool) {
	now := nanotime()
	for i := range r.c.ifaces {
		ifIndex := r.c.ifaces[i].Index
		for _, v6 := range r.families() {
			m := &Message{Flags: flagResponse | flagAuthoritative}
			for _, s := range g.svcs {
				m.Answers = append(m.Answers, r.ptr(g, s), r.srv(g, s, ifIndex), r.txt(g, s))
			}
			m.Answers = append(m.Answers, r.addrRecords(ifIndex)...)
			if goodbye {
				for j := range m.Answers {
					m.Answers[j].TTL = 0
				}
			}
			b, err := m.Append(nil)
			if err != nil {
				r.c.logf("mdns: %v", err)
				continue
			}
			r.c.multicast(b, ifIndex, v6)
			r.mu.Lock()
			for _, a := range m.Answers {
				r.lastTx[rrKey{strings.ToLower(a.Name), a.Type, ifIndex, v6}] = now
			}
			r.mu.Unlock()
		}
	}
}

func (r *Responder) ptr(g *group, s Service) Record {
	return Record{Name: s.Type + ".local", Type: TypePTR, TTL: otherTTL, Target: instanceName(g.instance, s.Type)}
}

func (r *Responder) srv(g *group, s Service, _ int) Record {
	return Record{Name: instanceName(g.instance, s.Type), Type: TypeSRV, CacheFlush: true, TTL: hostTTL, Port: s.Port, Target: r.host}
}

func (r *Responder) txt(g *group, s Service) Record {
	return Record{Name: instanceName(g.instance, s.Type), Type: TypeTXT, CacheFlush: true, TTL: otherTTL, Text: s.Text}
}

func (r *Responder) addrRecords(ifIndex int) []Record {
	addrs := r.addrs
	if addrs == nil {
		addrs = r.c.interfaceAddrs(ifIndex, r.v6)
	}
	var out []Record
	for _, a := range addrs {
		typ := TypeA
		if !a.Is4() {
			if !r.v6 {
				continue
			}
			typ = TypeAAAA
		}
		out = append(out, Record{Name: r.host, Type: typ, CacheFlush: true, TTL: hostTTL, Addr: a})
	}
	return out
}

// handle looks at one packet: conflicts with names being probed or
// announced, and queries to answer.
func (r *Responder) handle(m *Message, src netip.AddrPort, ifIndex int) {
	if m.Flags&opcodeMask != 0 || m.Flags&rcodeMask != 0 {
		return // RFC 6762 section 18.3, 18.11: ignore
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if m.IsResponse() {
		r.checkConflicts(m)
		r.defendGoodbyes(m)
		return
	}
	// A probe from another host for a name we probe: the one whose SRV
	// data is lexicographically later wins (RFC 6762 section 8.2, with
	// the SRV record only); our own probes, looped back, tie.
	for _, a := range m.Authorities {
		if g := r.probing[strings.ToLower(a.Name)]; g != nil && a.Type == TypeSRV {
			if ours, ok := r.ownSRV(g, a.Name); ok && srvLess(ours, a) {
				g.conflict = true
			}
		}
	}
	r.answer(m, src, ifIndex)
}

// ownSRV returns the SRV record the group announces under name.
func (r *Responder) ownSRV(g *group, name string) (Record, bool) {
	for _, s := range g.svcs {
		if EqualNames(instanceName(g.instance, s.Type), name) {
			return r.srv(g, s, 0), true
		}
	}
	return Record{}, false
}

// srvLess orders SRV data as the probe tie-break does: target, then port.
func srvLess(ours, theirs Record) bool {
	a, b := strings.ToLower(ours.Target), strings.ToLower(theirs.Target)
	if a != b {
		return a < b
	}
	return ours.Port < theirs.Port
}

// checkConflicts marks a group as conflicting when another host answers
// with one of its unique names (SRV or TXT) and other data.
func (r *Responder) checkConflicts(m *Message) {
	for _, sec := range [][]Record{m.Answers, m.Additionals} {
		for _, a := range sec {
			if a.Type != TypeSRV || a.TTL == 0 {
				continue
			}
			if g := r.probing[strings.ToLower(a.Name)]; g != nil {
				if ours, ok := r.ownSRV(g, a.Name); ok && !sameData(ours, a) {
					g.conflict = true
				}
			}
		}
	}
}

// defendGoodbyes re-announces a group when another host sends goodbyes
// (TTL 0) for its records: an earlier instance of the same application
// that exits after this one started, say. Browsers would drop a service
// that is still there; the records are sent again 20 ms later, once
// however many goodbyes arrive meanwhile, and no more than once a second.
func (r *Responder) defendGoodbyes(m *Message) {
	for _, a := range m.Answers {
		if a.TTL != 0 {
			continue
		}
		for _, g := range r.groups {
			if !g.live || g.defending || !r.owns(g, a) {
				continue
			}
			g.defending = true
			r.timers.Add(1)
			time.AfterFunc(20*time.Millisecond, func() {
				defer r.timers.Done()
				r.mu.Lock()
				live := g.live && !r.closed
				r.mu.Unlock()
				if live {
					r.sendAll(g, false)
				}
				if r.sleep(time.Second) {
					r.mu.Lock()
					g.defending = false
					r.mu.Unlock()
				}
			})
		}
	}
}

// owns reports whether rec is one of the group's PTR, SRV or TXT records.
func (r *Responder) owns(g *group, rec Record) bool {
	for _, s := range g.svcs {
		for _, x := range []Record{r.ptr(g, s), r.srv(g, s, 0), r.txt(g, s)} {
			if sameRecord(x, rec) {
				return true
			}
		}
	}
	return false
}

// answer builds the answers to the questions of a query and sends them:
// unicast to the querier for a legacy query (source port not 5353) or a
// QU question, multicast otherwise, at most once a second per record and
// interface, leaving out what the querier already knows.
func (r *Responder) answer(q *Message, src netip.AddrPort, ifIndex int) {
	legacy := src.Port() != Port
	var unicast, multicast Message
	known := func(rec Record) bool {
		for _, k := range q.Answers {
			if k.Type == rec.Type && EqualNames(k.Name, rec.Name) && sameData(k, rec) && k.TTL >= rec.TTL/2 {
				return true
			}
		}
		return false
	}
	now := nanotime()
	v6 := src.Addr().Is6()
	// A probe (a query with records in its authority section) is
	// answered by multicast at once, and so is a QU question from this
	// host: a unicast answer to port 5353 would reach only one of the
	// sockets that share the port here, maybe not the querier's.
	probe := len(q.Authorities) > 0
	local := r.c.isLocal(src.Addr())
	shared := false
	wait := int64(0)
	for _, qu := range q.Questions {
		ans, add := r.lookup(qu, ifIndex)
		for _, a := range ans {
			if known(a) {
				continue
			}
			if legacy || qu.Unicast && !probe && !local {
				unicast.Answers = appendNew(unicast.Answers, a)
				unicast.Additionals = appendNew(unicast.Additionals, add...)
				continue
			}
			k := rrKey{strings.ToLower(a.Name), a.Type, ifIndex, v6}
			// Some responders (npm bonjour-service among them) probe
			// with a plain ANY question for the instance name and no
			// authority section, listening 750 ms for an answer: an ANY
			// question answered by a unique record of ours is defended
			// at once too, or the one-second rule below could hold the
			// answer past their window and they would take our name.
			// The per-source rate limit bounds what this can amplify.
			if probe || qu.Type == TypeANY && a.CacheFlush {
				multicast.Answers = appendNew(multicast.Answers, a)
				continue // defended at once
			}
			if r.queued[k] {
				continue // already on its way
			}
			// A record is multicast at most once a second per interface
			// (RFC 6762 section 6): one sent less than a second ago is
			// sent again when the second is over, not dropped, since a
			// querier that has just started did not hear it.
			if t, ok := r.lastTx[k]; ok {
				wait = max(wait, t+int64(time.Second)-now)
			}
			if a.Type == TypePTR {
				shared = true
			}
			multicast.Answers = appendNew(multicast.Answers, a)
			multicast.Additionals = appendNew(multicast.Additionals, add...)
		}
	}
	if len(unicast.Answers) > 0 {
		unicast.Flags = flagResponse | flagAuthoritative
		if legacy {
			unicast.ID = q.ID
			unicast.Questions = q.Questions
			for _, sec := range [][]Record{unicast.Answers, unicast.Additionals} {
				for i := range sec {
					sec[i].CacheFlush = false
					sec[i].TTL = min(sec[i].TTL, legacyTTL)
				}
			}
			for i := range unicast.Questions {
				unicast.Questions[i].Unicast = false
			}
		}
		if b, err := unicast.Append(nil); err == nil {
			r.c.unicast(b, src, ifIndex)
		}
	}
	if len(multicast.Answers) == 0 {
		return
	}
	multicast.Flags = flagResponse | flagAuthoritative
	multicast.Additionals = removeKnown(multicast.Additionals, multicast.Answers)
	b, err := multicast.Append(nil)
	if err != nil {
		return
	}
	keys := make([]rrKey, len(multicast.Answers))
	for i, a := range multicast.Answers {
		keys[i] = rrKey{strings.ToLower(a.Name), a.Type, ifIndex, v6}
	}
	send := func() {
		r.c.multicast(b, ifIndex, v6)
		t := nanotime()
		for _, k := range keys {
			r.lastTx[k] = t
			delete(r.queued, k)
		}
	}
	// Shared records wait 20-120 ms more (RFC 6762 section 6) so that
	// several responders' answers spread.
	if shared {
		wait += int64(20+rand.IntN(100)) * int64(time.Millisecond)
	}
	if wait <= 0 {
		send()
		return
	}
	if r.pending >= 64 {
		return // bounded: a querier asks again
	}
	r.pending++
	for _, k := range keys {
		r.queued[k] = true
	}
	r.timers.Add(1)
	time.AfterFunc(time.Duration(wait), func() {
		defer r.timers.Done()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.pending--
		if !r.closed {
			send()
		}
	})
}

// lookup returns the records that answer a question, and the additional
// records that go with them.
func (r *Responder) lookup(q Question, ifIndex int) (ans, add []Record) {
	match := func(t uint16) bool { return q.Type == t || q.Type == TypeANY }
	if EqualNames(q.Name, servicesName) && match(TypePTR) {
		seen := map[string]bool{}
		for _, g := range r.groups {
			for _, s := range g.svcs {
				if !seen[s.Type] {
					seen[s.Type] = true
					ans = append(ans, Record{Name: servicesName, Type: TypePTR, TTL: otherTTL, Target: s.Type + ".local"})
				}
			}
		}
		return ans, nil
	}
	if EqualNames(q.Name, r.host) {
		for _, a := range r.addrRecords(ifIndex) {
			if match(a.Type) {
				ans = append(ans, a)
			}
		}
		return ans, nil
	}
	for _, g := range r.groups {
		for _, s := range g.svcs {
			switch {
			case EqualNames(q.Name, s.Type+".local") && match(TypePTR):
				ans = append(ans, r.ptr(g, s))
				add = append(add, r.srv(g, s, ifIndex), r.txt(g, s))
				add = append(add, r.addrRecords(ifIndex)...)
			case EqualNames(q.Name, instanceName(g.instance, s.Type)):
				if match(TypeSRV) {
					ans = append(ans, r.srv(g, s, ifIndex))
					add = append(add, r.addrRecords(ifIndex)...)
				}
				if match(TypeTXT) {
					ans = append(ans, r.txt(g, s))
				}
			}
		}
	}
	return ans, add
}

func sameData(a, b Record) bool {
	switch a.Type {
	case TypePTR:
		return EqualNames(a.Target, b.Target)
	case TypeSRV:
		return a.Port == b.Port && a.Priority == b.Priority && a.Weight == b.Weight && EqualNames(a.Target, b.Target)
	case TypeTXT:
		if len(a.Text) != len(b.Text) {
			return false
		}
		for i := range a.Text {
			if a.Text[i] != b.Text[i] {
				return false
			}
		}
		return true
	case TypeA, TypeAAAA:
		return a.Addr == b.Addr
	}
	return string(a.Data) == string(b.Data)
}

func sameRecord(a, b Record) bool {
	return a.Type == b.Type && EqualNames(a.Name, b.Name) && sameData(a, b)
}

// hasRecord reports whether rs holds a record like r.
func hasRecord(rs []Record, r Record) bool {
	for _, x := range rs {
		if sameRecord(r, x) {
			return true
		}
	}
	return false
}

func appendNew(rs []Record, add ...Record) []Record {
	for _, a := range add {
		if !hasRecord(rs, a) {
			rs = append(rs, a)
		}
	}
	return rs
}

func removeKnown(add, ans []Record) []Record {
	out := add[:0]
	for _, a := range add {
		if !hasRecord(ans, a) {
			out = append(out, a)
		}
	}
	return out
}

// Close sends goodbyes (every record with TTL 0) for the services
// registered, stops answering and closes the sockets.
func (r *Responder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	groups := r.groups
	for _, g := range groups {
		g.live = false // our own goodbyes are not defended
	}
	r.mu.Unlock()
	for _, g := range groups {
		r.sendAll(g, true)
	}
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	close(r.done)
	r.timers.Wait()
	return r.c.close()
}
