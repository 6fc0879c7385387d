package router

import (
	"math/bits"
	"slices"
	"strings"
)

// nShards splits the exact-address index so that a registration copies
// only one shard: registering n addresses costs O(n²/nShards), not O(n²).
const nShards = 64

// table is one immutable snapshot of the routing table. Writers copy what
// they change (copy on write) and publish a new table; readers never lock.
type table struct {
	seed     uint64
	exact    [nShards]exactTable // method address -> its bindings
	root     *node               // trie over address parts
	patterns []*Binding          // pattern bindings, registration order
	notFound Handler
}

// leaf holds the bindings of one method address, in registration order.
type leaf struct {
	bindings []*Binding
}

// node is one address part in the trie. kids are sorted by name, byte-wise.
type node struct {
	name string
	word uint64 // pack(name): compared before the name
	leaf *leaf
	kids []*node
}

// pack returns the first 8 bytes of s (fewer: zero-padded) as a word, so
// that most names differ in one comparison.
func pack[T text](s T) uint64 {
	var w uint64
	for i := min(len(s), 8) - 1; i >= 0; i-- {
		w = w<<8 | uint64(s[i])
	}
	return w
}

func (t *table) lookup(address string) *leaf {
	h, x, y := hashWords(t.seed, address)
	if e := get(&t.exact[h%nShards], h, x, y, address); e != nil {
		return e.leaf
	}
	return nil
}

// hashWords is a seeded multiply-mix hash over 16-byte blocks, cheaper
// than a call into the runtime's hash for short addresses: up to 16 bytes
// cost one multiplication, up to 32 two. Only registered addresses are
// stored, so colliding lookups cannot lengthen the probes. It returns too
// the two words of b's last block that it mixes in last. Together with its length they are the whole of a b of at
// most 16 bytes: bytes 0-7 and n-8..n-1 (n >= 8), 0-3 and n-4..n-1
// (n >= 4), or 0, n/2 and n-1 (n <= 3).
func hashWords[T text](seed uint64, b T) (h, x, y uint64) {
	const (
		k1 = 0xa0761d6478bd642f
		k2 = 0xe7037ed1a0b428db
	)
	n := len(b)
	h = seed ^ uint64(n)*k1
	switch {
	case n > 16:
		for i := 0; n-i > 16; i += 16 {
			h = mix(h^load64(b, i), load64(b, i+8)^k2)
		}
		x, y = load64(b, n-16), load64(b, n-8) // may overlap the last block
	case n >= 8:
		x, y = load64(b, 0), load64(b, n-8)
	case n >= 4:
		x, y = load32(b, 0), load32(b, n-4)
	case n > 0:
		x = uint64(b[0])<<16 | uint64(b[n>>1])<<8 | uint64(b[n-1])
	}
	return mix(h^x, y^k2), x, y
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func load32[T text](b T, i int) uint64 {
	b = b[i : i+4]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
}

func load64[T text](b T, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// exactTable is an immutable open-addressing hash table from method
// address to leaf, held by value in its table. The dispatcher hashes an
// incoming address once, picks the shard with the low bits and probes with
// the others.
type exactTable struct {
	mask    uint64
	n       int
	entries []exactEntry // nil: empty
}

// exactEntry is one method address. A dispatch finds a hit without
// loading anything but the entry for an address of at most 16 bytes with
// one binding, the common case: the key's words (hashWords) stand for its
// bytes, and one for the leaf's bindings. Each load saved is one the
// dispatch would wait for with the caches cold after a system call.
type exactEntry struct {
	hash uint64
	x, y uint64 // hashWords' words of key
	key  string
	leaf *leaf    // nil: an empty slot
	one  *Binding // the leaf's binding if it has exactly one
	_    uint64   // to 64 bytes: an entry never straddles two cache lines
}

func get[T text](t *exactTable, h, x, y uint64, key T) *exactEntry {
	if t.entries == nil {
		return nil
	}
	for i := (h / nShards) & t.mask; ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		if e.leaf == nil {
			return nil
		}
		if e.hash == h && len(e.key) == len(key) && e.x == x && e.y == y && (len(key) <= 16 || e.key == string(key)) {
			return e
		}
	}
}

// with returns a copy of t in which key maps to l (nil: no entry). The
// table is at most half full, so probes stay short and always end at an
// empty slot.
func (t *exactTable) with(h, x, y uint64, key string, l *leaf) exactTable {
	all := make([]exactEntry, 0, t.n+1)
	for _, e := range t.entries {
		if e.leaf != nil && e.key != key {
			all = append(all, e)
		}
	}
	if l != nil {
		e := exactEntry{hash: h, x: x, y: y, key: key, leaf: l}
		if len(l.bindings) == 1 {
			e.one = l.bindings[0]
		}
		all = append(all, e)
	}
	if len(all) == 0 {
		return exactTable{}
	}
	size := uint64(4)
	for size < 2*uint64(len(all)) {
		size *= 2
	}
	n := exactTable{mask: size - 1, n: len(all), entries: make([]exactEntry, size)}
	for _, e := range all {
		i := (e.hash / nShards) & n.mask
		for n.entries[i].leaf != nil {
			i = (i + 1) & n.mask
		}
		n.entries[i] = e
	}
	return n
}

// find returns the child named name, whose pack is w: among a few
// children by comparing words first, else by binary search.
func (n *node) find(name []byte, w uint64) *node {
	if len(n.kids) <= 4 {
		for _, k := range n.kids {
			if k.word == w && len(k.name) == len(name) && (len(name) <= 8 || k.name[8:] == string(name[8:])) {
				return k
			}
		}
		return nil
	}
	lo, hi := 0, len(n.kids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.kids[m].name < string(name) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(n.kids) && n.kids[lo].name == string(name) {
		return n.kids[lo]
	}
	return nil
}

func (n *node) index(name string) (int, bool) {
	return slices.BinarySearchFunc(n.kids, name, func(k *node, s string) int { return strings.Compare(k.name, s) })
}

// setLeaf returns a copy of the trie rooted at n in which the node for the
// parts of rest carries l (nil removes it), pruning nodes left empty. n may
// be nil.
func setLeaf(n *node, rest string, l *leaf) *node {
	var c node
	if n != nil {
		c = *n
	}
	if rest == "" {
		c.leaf = l
	} else {
		part, tail, _ := strings.Cut(rest, "/")
		i, ok := c.index(part)
		var kid *node
		if ok {
			kid = c.kids[i]
		}
		kid = setLeaf(kid, tail, l)
		if kid != nil {
			kid.name, kid.word = part, pack(part)
		}
		switch {
		case ok && kid != nil:
			c.kids = slices.Clone(c.kids)
			c.kids[i] = kid
		case ok:
			c.kids = slices.Delete(slices.Clone(c.kids), i, i+1)
		case kid != nil:
			c.kids = slices.Insert(slices.Clip(c.kids), i, kid)
		}
	}
	if c.leaf == nil && len(c.kids) == 0 {
		return nil
	}
	return &c
}

// put publishes l (nil: none) as the bindings of address.
func (t *table) put(address string, l *leaf) {
	t.root = setLeaf(t.root, address[1:], l)
	h, x, y := hashWords(t.seed, address)
	t.exact[h%nShards] = t.exact[h%nShards].with(h, x, y, address, l)
}

// add appends a literal binding.
func (t *table) add(b *Binding) {
	var bs []*Binding
	if old := t.lookup(b.method); old != nil {
		bs = old.bindings
	}
	t.put(b.method, &leaf{bindings: append(slices.Clip(bs), b)})
}

// remove removes binding b of address, or all of them if b is nil, and
// reports whether anything was removed.
func (t *table) remove(address string, b *Binding) bool {
	old := t.lookup(address)
	if old == nil {
		return false
	}
	if b == nil {
		t.put(address, nil)
		return true
	}
	i := slices.Index(old.bindings, b)
	if i < 0 {
		return false
	}
	if len(old.bindings) == 1 {
		t.put(address, nil)
		return true
	}
	t.put(address, &leaf{bindings: slices.Delete(slices.Clone(old.bindings), i, i+1)})
	return true
}

// dispatch is the state of one message's dispatch. It lives on the stack
// of ServeOSC.
type dispatch struct {
	w    ResponseWriter
	req  *Request
	addr []byte // the message's address (pattern)
	n    int    // handlers run so far
}

// call runs b's handler unless its type filter rejects the message.
func (d *dispatch) call(b *Binding) {
	if b.typed && string(d.req.Message.TypeTags()) != b.types {
		return
	}
	d.n++
	d.req.Method = b.method
	if b.fn != nil {
		b.fn(d.w, d.req)
	} else {
		b.h.ServeOSC(d.w, d.req)
	}
}

func (d *dispatch) fire(l *leaf) {
	for _, b := range l.bindings {
		d.call(b)
	}
}

// byteClass: 1 for pattern operators, 2 for '/'.
var byteClass = func() (t [256]uint8) {
	for _, c := range "*?[]{}" {
		t[c] = 1
	}
	t['/'] = 2
	return t
}()

// isLiteral reports whether an incoming address has no pattern operator
// and no "//", so that it can only match one method address.
func isLiteral(a []byte) bool {
	prev := byte(0)
	for _, c := range a {
		if k := byteClass[c]; k != 0 && (k == 1 || prev == '/') {
			return false
		}
		prev = c
	}
	return true
}

func (t *table) dispatch(d *dispatch) {
	a := d.addr
	if len(a) == 0 || a[0] != '/' { // only a lenient decoder lets these in
		if t.notFound != nil {
			d.notFound(t.notFound)
		}
		return
	}
	// Look the address up first: a method address has no pattern
	// characters, so a hit is literal without checking.
	h, x, y := hashWords(t.seed, a)
	if e := get(&t.exact[h%nShards], h, x, y, a); e != nil {
		if e.one != nil {
			d.call(e.one)
		} else {
			d.fire(e.leaf)
		}
		if len(t.patterns) > 0 {
			d.firePatterns(t.patterns)
		}
	} else if isLiteral(a) {
		d.firePatterns(t.patterns)
	} else if _, err := checkPattern(a); err == nil {
		switch {
		case t.root == nil:
		case hasDesc(a):
			var states posSet
			d.addPos(&states, 1)
			d.walkDesc(t.root, &states)
		default:
			l := d.level(1)
			d.walk(t.root, &l)
		}
		// A pattern binding reads a well-formed incoming pattern as literal
		// bytes (oscpy's advanced matching): /prefix* takes /prefix?? as it
		// takes /prefixab.
		if len(t.patterns) > 0 {
			d.firePatterns(t.patterns)
		}
	}
	if d.n == 0 && t.notFound != nil {
		d.notFound(t.notFound)
	}
}

// firePatterns runs the pattern bindings that match a literal address.
func (d *dispatch) firePatterns(patterns []*Binding) {
	a := d.addr
	for _, b := range patterns {
		if len(a) <= MaxLen && matchValid(b.method, a) {
			d.call(b)
		}
	}
}

func (d *dispatch) notFound(h Handler) {
	d.n++
	d.req.Method = ""
	h.ServeOSC(d.w, d.req)
}

// level is one part of an incoming pattern: p[start:end].
type level struct {
	start, end int
	word       uint64 // pack(p[start:end])
	op         bool   // has a pattern operator
	star       bool   // is exactly "*"
}

func (d *dispatch) level(start int) level {
	p := d.addr
	end := indexSlash(p, start)
	part := p[start:end]
	return level{start: start, end: end, word: pack(part), op: hasOperator(part), star: len(part) == 1 && part[0] == '*'}
}

// walk visits the nodes under n that the parts of a pattern without "//",
// from l on, match. A literal part goes straight to its one child. The
// next part is parsed once per level, not once per child.
func (d *dispatch) walk(n *node, l *level) {
	p := d.addr
	last := l.end == len(p)
	var next level
	if !last {
		next = d.level(l.end + 1)
	}
	if !l.op {
		if k := n.find(p[l.start:l.end], l.word); k != nil {
			d.visit(k, last, &next)
		}
		return
	}
	part := p[l.start:l.end]
	for _, k := range n.kids {
		if l.star || matchPart(part, k.name) {
			d.visit(k, last, &next)
		}
	}
}

func (d *dispatch) visit(k *node, last bool, next *level) {
	switch {
	case last:
		if k.leaf != nil {
			d.fire(k.leaf)
		}
	case len(k.kids) == 0:
	case !next.op && next.end == len(d.addr):
		// A literal last part names at most one child: find it here
		// rather than in a walk of its own.
		if k := k.find(d.addr[next.start:next.end], next.word); k != nil && k.leaf != nil {
			d.fire(k.leaf)
		}
	default:
		d.walk(k, next)
	}
}

func hasOperator(part []byte) bool {
	for _, c := range part {
		if byteClass[c] == 1 {
			return true
		}
	}
	return false
}

// posSet is a set of positions in a pattern: the starts of the parts still
// to match, len+1 meaning the whole pattern matched.
type posSet [(MaxLen + 2 + 63) / 64]uint64

func (s *posSet) has(i int) bool { return s[i>>6]&(1<<(i&63)) != 0 }

// addPos adds the part start i and, while it is a "//", the part after it
// (zero levels skipped).
func (d *dispatch) addPos(s *posSet, i int) {
	for {
		s[i>>6] |= 1 << (i & 63)
		if i >= len(d.addr) || d.addr[i] != '/' {
			return
		}
		i++
	}
}

// walkDesc walks the trie for a pattern with "//". It runs the pattern as
// an automaton over parts: states holds every part start reachable at n,
// so each node is visited once, whatever the number of ways to reach it,
// and no handler runs twice for one message.
func (d *dispatch) walkDesc(n *node, states *posSet) {
	p := d.addr
	if states.has(len(p)+1) && n.leaf != nil {
		d.fire(n.leaf)
	}
	var next posSet
	for _, k := range n.kids {
		if d.step(states, k.name, &next) {
			d.walkDesc(k, &next)
		}
	}
}

// step sets next to the states reached from states by matching one level
// named name, and reports whether there is any.
func (d *dispatch) step(states *posSet, name string, next *posSet) bool {
	p := d.addr
	*next = posSet{}
	live := false
	words := (len(p)+1)>>6 + 1
	for w := range words {
		for x := states[w]; x != 0; x &= x - 1 {
			s := w<<6 | bits.TrailingZeros64(x)
			if s > len(p) {
				continue
			}
			if s < len(p) && p[s] == '/' { // "//" absorbs this level
				d.addPos(next, s)
				live = true
				continue
			}
			pe := indexSlash(p, s)
			if matchPart(p[s:pe], name) {
				d.addPos(next, pe+1)
				live = true
			}
		}
	}
	return live
}
