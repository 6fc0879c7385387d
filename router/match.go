package router

import "math/bits"

// MaxLen is the longest address or pattern, in bytes, that Match accepts
// and that a Router registers. Longer ones match nothing.
const MaxLen = 1024

// text is the set of byte strings the matcher works on, so that strings and
// byte slices share one implementation without conversions.
type text interface{ ~string | ~[]byte }

// Match reports whether the OSC address pattern matches the address. The
// pattern may use ?, *, [set], [!set], {alt,...} and the OSC 1.1 '//'; the
// address is taken byte for byte. No operator matches '/'. A malformed
// pattern, an empty or relative pattern or address, and one longer than
// MaxLen match nothing. Matching takes time proportional to the product of
// the lengths at worst, never exponential time, and does not allocate.
// Either argument may be a string or a byte slice, such as a message's
// address (wire.Message.Address), without a conversion.
func Match[P, A interface{ ~string | ~[]byte }](pattern P, address A) bool {
	return match(pattern, address)
}

func match[P, A text](p P, a A) bool {
	if len(a) == 0 || a[0] != '/' || len(a) > MaxLen {
		return false
	}
	if _, err := checkPattern(p); err != nil {
		return false
	}
	return matchValid(p, a)
}

// matchValid matches a pattern that checkPattern accepted against an
// address that begins with '/'.
func matchValid[P, A text](p P, a A) bool {
	if !hasDesc(p) {
		pi, ai := 1, 1
		for {
			pe, ae := indexSlash(p, pi), indexSlash(a, ai)
			if !matchPart(p[pi:pe], a[ai:ae]) {
				return false
			}
			if pe == len(p) || ae == len(a) {
				return pe == len(p) && ae == len(a)
			}
			pi, ai = pe+1, ae+1
		}
	}
	// With '//', glob over whole parts: '//' is a star over levels and every
	// other part matches exactly one level, so remembering the last '//' is
	// enough (the classic wildcard argument, one level up).
	pi, ai := 1, 1
	starP, starA := -1, -1
	for ai <= len(a) {
		if pi <= len(p) {
			if pi < len(p) && p[pi] == '/' {
				starP, starA = pi+1, ai
				pi++
				continue
			}
			pe, ae := indexSlash(p, pi), indexSlash(a, ai)
			if matchPart(p[pi:pe], a[ai:ae]) {
				pi, ai = pe+1, ae+1
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starA = indexSlash(a, starA) + 1
		pi, ai = starP, starA
	}
	return pi == len(p)+1
}

// hasDesc reports whether p contains "//".
func hasDesc[P text](p P) bool {
	for i := 1; i < len(p); i++ {
		if p[i] == '/' && p[i-1] == '/' {
			return true
		}
	}
	return false
}

// indexSlash returns the index of the first '/' at or after i, or len(s).
func indexSlash[T text](s T, i int) int {
	for ; i < len(s); i++ {
		if s[i] == '/' {
			break
		}
	}
	return i
}

// matchPart matches one valid part of a pattern against one address part.
func matchPart[P, A text](p P, s A) bool {
	switch {
	case len(p) == 1 && p[0] == '*':
		return true
	case hasBrace(p):
		return matchBraces(p, s)
	}
	return glob(p, s)
}

func hasBrace[P text](p P) bool {
	for i := 0; i < len(p); i++ {
		if p[i] == '{' {
			return true
		}
	}
	return false
}

// glob matches a part without braces. Every token but '*' matches exactly
// one byte, so on a mismatch it is enough to let the last star absorb one
// more byte and retry from there.
func glob[P, A text](p P, s A) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				starP, starS = pi+1, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if ok, next := matchSet(p, pi, s[si]); ok {
					pi = next
					si++
					continue
				}
			default:
				if c == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchSet matches c against the valid set that opens at p[i] and returns
// the index just past its ']'. The set ends at the first ']' after the '['
// and an optional '!'; '-' between two members makes a range, elsewhere it
// is literal; a reversed range is empty.
func matchSet[P text](p P, i int, c byte) (ok bool, next int) {
	i++
	neg := p[i] == '!'
	if neg {
		i++
	}
	in := false
	for p[i] != ']' {
		lo := p[i]
		if p[i+1] == '-' && p[i+2] != ']' {
			if lo <= c && c <= p[i+2] {
				in = true
			}
			i += 3
			continue
		}
		if lo == c {
			in = true
		}
		i++
	}
	return in != neg, i + 1
}

// bitset holds one bit per position of a part, plus one for its end.
type bitset [(MaxLen + 1 + 63) / 64]uint64

func (s *bitset) has(i int) bool { return s[i>>6]&(1<<(i&63)) != 0 }
func (s *bitset) set(i int)      { s[i>>6] |= 1 << (i & 63) }

// matchBraces matches a valid part that has braces by running it as a
// nondeterministic automaton whose states are positions in the part: one
// pass over s, with a set of live positions, so alternatives of different
// lengths never cause backtracking.
func matchBraces[P, A text](p P, s A) bool {
	// grp[i] is 1 + the index of the closing '}' for every position inside
	// braces (the '}' included), 0 elsewhere.
	var grp [MaxLen + 1]uint16
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[':
			i++
			if p[i] == '!' {
				i++
			}
			for p[i] != ']' {
				i++
			}
		case '{':
			c := i + 1
			for p[c] != '}' {
				c++
			}
			for j := i + 1; j <= c; j++ {
				grp[j] = uint16(c + 1)
			}
			i = c
		}
	}
	var cur, next bitset
	words := len(p)>>6 + 1
	addState(&cur, p, &grp, 0)
	for si := 0; si < len(s); si++ {
		c := s[si]
		next = bitset{}
		live := false
		for w := range words {
			for x := cur[w]; x != 0; x &= x - 1 {
				q := w<<6 | bits.TrailingZeros64(x)
				if q == len(p) {
					continue
				}
				pc := p[q]
				if grp[q] != 0 {
					if pc != ',' && pc != '}' && pc == c {
						addState(&next, p, &grp, q+1)
						live = true
					}
					continue
				}
				switch pc {
				case '{':
				case '*':
					addState(&next, p, &grp, q)
					live = true
				case '?':
					addState(&next, p, &grp, q+1)
					live = true
				case '[':
					if ok, e := matchSet(p, q, c); ok {
						addState(&next, p, &grp, e)
						live = true
					}
				default:
					if pc == c {
						addState(&next, p, &grp, q+1)
						live = true
					}
				}
			}
		}
		if !live {
			return false
		}
		cur = next
	}
	return cur.has(len(p))
}

// addState adds pos and every position reachable from it without consuming
// a byte. Positions already present were expanded when they were added, so
// each position is expanded at most once per step.
func addState[P text](set *bitset, p P, grp *[MaxLen + 1]uint16, pos int) {
	for !set.has(pos) {
		set.set(pos)
		if pos == len(p) {
			return
		}
		c := p[pos]
		if g := grp[pos]; g != 0 {
			if c != ',' && c != '}' {
				return // a literal byte of an alternative
			}
			pos = int(g) // end of an alternative: past the '}'
			continue
		}
		switch c {
		case '*':
			pos++
		case '{':
			end := int(grp[pos+1]) - 1
			for j := pos + 1; j < end; j++ {
				if p[j] == ',' {
					addState(set, p, grp, j+1)
				}
			}
			pos++
		default:
			return
		}
	}
}
