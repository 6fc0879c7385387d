package mdns

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Cache bounds of a Browser.
const (
	// MaxCache is the most records a Browser keeps; more are dropped and
	// counted in Stats.CacheFull.
	MaxCache = 4096
	// maxTTL clamps the TTL of the records cached.
	maxTTL = 3 * 3600
)

// Instance is a service instance resolved by a Browser.
type Instance struct {
	Name  string // the instance label, unescaped: "VRChat-Client-1A2B3C"
	Type  string // "_oscjson._tcp"
	Host  string // the SRV target, "host.local"
	Port  uint16
	Text  []string
	Addrs []netip.Addr // the host's A then AAAA records
}

// Browser looks for the instances of service types: it asks (at once,
// then 1, 2, 4... up to 60 s apart, with the answers it knows), caches the
// records of every response it hears, from its answer or additional
// section, and forgets those whose TTL runs out or that a goodbye (TTL 0)
// withdraws.
type Browser struct {
	c     *conn
	types []string // "_oscjson._tcp.local"
	Stats Stats

	mu      sync.Mutex
	cache   map[cacheKey]*cached
	changed chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
}

type cacheKey struct {
	name string // lower case
	typ  uint16
	data string
}

type cached struct {
	rec     Record
	expires int64 // nanotime
	seen    int64 // when last received
	asked   int64 // when last asked for again
}

// NewBrowser opens the mDNS sockets and starts browsing for the service
// types ("_oscjson._tcp").
func NewBrowser(cfg Config, types ...string) (*Browser, error) {
	b := &Browser{
		cache:   make(map[cacheKey]*cached),
		changed: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	for _, t := range types {
		b.types = append(b.types, t+".local")
	}
	c, err := listen(cfg, &b.Stats)
	if err != nil {
		return nil, err
	}
	b.c = c
	c.serve(b.handle)
	b.wg.Add(1)
	go b.run()
	return b, nil
}

// Changed is signalled (without blocking: one pending signal at most)
// whenever the instances may have changed.
func (b *Browser) Changed() <-chan struct{} { return b.changed }

func (b *Browser) signal() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

func (b *Browser) run() {
	defer b.wg.Done()
	wait := time.Duration(0)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	next := time.Now()
	for {
		if !time.Now().Before(next) {
			b.query()
			wait = min(max(2*wait, time.Second), 60*time.Second)
			next = time.Now().Add(wait)
		}
		select {
		case <-b.done:
			return
		case <-tick.C:
			b.expire()
		}
	}
}

// query asks for the PTR records of the types, with the known answers
// whose TTL is more than half left, and for the SRV, TXT and addresses of
// instances that lack them.
func (b *Browser) query() {
	now := nanotime()
	m := &Message{}
	b.mu.Lock()
	for _, t := range b.types {
		m.Questions = append(m.Questions, Question{Name: t, Type: TypePTR})
	}
	for _, c := range b.cache {
		if c.rec.Type == TypePTR && slices.ContainsFunc(b.types, func(t string) bool { return EqualNames(t, c.rec.Name) }) &&
			c.expires-now > int64(c.rec.TTL)*int64(time.Second)/2 {
			m.Answers = append(m.Answers, c.rec)
		}
	}
	for _, in := range b.instancesLocked() {
		if in.Port == 0 && len(m.Questions) < 32 {
			m.Questions = append(m.Questions, Question{Name: instanceName(in.Name, strings.TrimSuffix(in.Type, ".local")), Type: TypeANY})
		}
	}
	b.mu.Unlock()
	if len(m.Answers) > 40 {
		m.Answers = m.Answers[:40]
	}
	b.send(m)
}

// send multicasts a query on every interface.
func (b *Browser) send(m *Message) {
	pkt, err := m.Append(nil)
	if err != nil {
		return
	}
	for i := range b.c.ifaces {
		b.c.multicast(pkt, b.c.ifaces[i].Index, false)
		if b.c.p6 != nil {
			b.c.multicast(pkt, b.c.ifaces[i].Index, true)
		}
	}
}

// expire drops the records whose TTL has run out, and asks again for
// those of the instances browsed that are 80% through their TTL (then
// every 5% of it, RFC 6762 section 5.2), so that a service whose SRV or
// A records live 120 s does not vanish between two PTR queries.
func (b *Browser) expire() {
	now := nanotime()
	m := &Message{}
	b.mu.Lock()
	n := 0
	for k, c := range b.cache {
		if c.expires <= now {
			delete(b.cache, k)
			n++
		}
	}
	wanted := b.wantedLocked()
	for k, c := range b.cache {
		span := c.expires - c.seen
		if !wanted[k.name] || now-c.seen < span*8/10 || now-c.asked < span/20 || len(m.Questions) >= 32 {
			continue
		}
		c.asked = now
		q := Question{Name: c.rec.Name, Type: c.rec.Type}
		if !slices.Contains(m.Questions, q) {
			m.Questions = append(m.Questions, q)
		}
	}
	b.mu.Unlock()
	if n > 0 {
		b.signal()
	}
	if len(m.Questions) > 0 {
		b.send(m)
	}
}

// wantedLocked returns the lower-cased names whose records make up the
// instances browsed: the types, their instances, and the instances'
// hosts.
func (b *Browser) wantedLocked() map[string]bool {
	w := make(map[string]bool)
	for _, t := range b.types {
		w[strings.ToLower(t)] = true
	}
	for k, c := range b.cache {
		if k.typ == TypePTR && w[k.name] {
			w[strings.ToLower(c.rec.Target)] = true
		}
	}
	for k, c := range b.cache {
		if k.typ == TypeSRV && w[k.name] {
			w[strings.ToLower(c.rec.Target)] = true
		}
	}
	return w
}

func (b *Browser) handle(m *Message, src netip.AddrPort, ifIndex int) {
	// Responses from another port than 5353 are not mDNS (RFC 6762
	// section 6): ignored.
	if !m.IsResponse() || src.Port() != Port || m.Flags&opcodeMask != 0 || m.Flags&rcodeMask != 0 {
		return
	}
	now := nanotime()
	changed := false
	b.mu.Lock()
	for _, sec := range [][]Record{m.Answers, m.Additionals} {
		for _, r := range sec {
			switch r.Type {
			case TypePTR, TypeSRV, TypeTXT, TypeA, TypeAAAA:
			default:
				continue
			}
			if b.store(r, now) {
				changed = true
			}
		}
	}
	b.mu.Unlock()
	if changed {
		b.signal()
	}
}

// store caches one record, or removes it for a goodbye; it reports
// whether the cache changed in a way that matters.
func (b *Browser) store(r Record, now int64) bool {
	k := cacheKey{strings.ToLower(r.Name), r.Type, dataKey(r)}
	if r.TTL == 0 {
		if _, ok := b.cache[k]; ok {
			delete(b.cache, k)
			return true
		}
		return false
	}
	if r.CacheFlush {
		// Records of the same name and type received more than a second
		// ago are replaced (RFC 6762 section 10.2).
		for k2, c := range b.cache {
			if k2.typ == k.typ && k2.name == k.name && k2.data != k.data && now-c.seen > int64(time.Second) {
				delete(b.cache, k2)
			}
		}
	}
	exp := now + int64(min(r.TTL, maxTTL))*int64(time.Second)
	if c, ok := b.cache[k]; ok {
		c.expires, c.seen = exp, now
		return false
	}
	if len(b.cache) >= MaxCache {
		b.Stats.CacheFull.Add(1)
		return false
	}
	r.CacheFlush = false
	b.cache[k] = &cached{rec: r, expires: exp, seen: now}
	return true
}

func dataKey(r Record) string {
	switch r.Type {
	case TypePTR:
		return strings.ToLower(r.Target)
	case TypeSRV:
		return strings.ToLower(r.Target) + ":" + strconv.Itoa(int(r.Port))
	case TypeTXT:
		return strings.Join(r.Text, "\x00")
	case TypeA, TypeAAAA:
		return r.Addr.String()
	}
	return string(r.Data)
}

// Instances returns the instances known now, of every type browsed,
// sorted by type and name. An instance whose SRV record has not arrived
// yet has Port 0.
func (b *Browser) Instances() []Instance {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.instancesLocked()
}

func (b *Browser) instancesLocked() []Instance {
	var out []Instance
	byName := make(map[string][]*cached)
	for k, c := range b.cache {
		byName[k.name] = append(byName[k.name], c)
	}
	for _, c := range b.cache {
		if c.rec.Type != TypePTR {
			continue
		}
		var typ string
		for _, t := range b.types {
			if EqualNames(t, c.rec.Name) {
				typ = strings.TrimSuffix(t, ".local")
			}
		}
		if typ == "" {
			continue
		}
		labels := Labels(c.rec.Target)
		if len(labels) < 1 || !EqualNames(strings.Join(labels[1:], "."), typ+".local") {
			continue // an instance of another type
		}
		in := Instance{Name: labels[0], Type: typ}
		iname := strings.ToLower(c.rec.Target)
		for _, r := range byName[iname] {
			switch r.rec.Type {
			case TypeSRV:
				in.Host, in.Port = r.rec.Target, r.rec.Port
			case TypeTXT:
				in.Text = r.rec.Text
			}
		}
		if in.Host != "" {
			host := strings.ToLower(in.Host)
			for _, r := range byName[host] {
				if r.rec.Type == TypeA || r.rec.Type == TypeAAAA {
					in.Addrs = append(in.Addrs, r.rec.Addr)
				}
			}
			slices.SortFunc(in.Addrs, func(a, b netip.Addr) int {
				if a.Is4() != b.Is4() {
					if a.Is4() {
						return -1
					}
					return 1
				}
				return a.Compare(b)
			})
		}
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Instance) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Close stops browsing and closes the sockets.
func (b *Browser) Close() error {
	select {
	case <-b.done:
		return nil
	default:
	}
	close(b.done)
	err := b.c.close()
	b.wg.Wait()
	return err
}
