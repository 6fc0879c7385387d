package router

import (
	"regexp"
	"strconv"
	"strings"
)

// slowMatch is the reference matcher for the differential tests: the
// pattern becomes one regular expression, built part by part, run over the
// address with each byte read as one rune (so that '?' is one byte).
func slowMatch(pattern, address string) bool {
	if len(pattern) > MaxLen || len(address) > MaxLen ||
		!strings.HasPrefix(pattern, "/") || !strings.HasPrefix(address, "/") {
		return false
	}
	re, ok := slowRegexp(pattern)
	if !ok {
		return false
	}
	return re.MatchString(bytesAsRunes(address))
}

func bytesAsRunes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

func slowRegexp(pattern string) (*regexp.Regexp, bool) {
	parts := strings.Split(pattern[1:], "/")
	var b strings.Builder
	b.WriteString("^")
	for i, part := range parts {
		if part == "" && i < len(parts)-1 {
			// "//": any number of whole levels.
			b.WriteString(`(?:/[^/]*)*`)
			continue
		}
		b.WriteString("/")
		re, ok := slowPart(part)
		if !ok {
			return nil, false
		}
		b.WriteString(re)
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()), true
}

func quoteByte(c byte) string { return `\x{` + strconv.FormatInt(int64(c), 16) + `}` }

// slowPart translates one part; ok is false when it is malformed.
func slowPart(part string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(part); i++ {
		switch c := part[i]; c {
		case '?':
			b.WriteString(`[^/]`)
		case '*':
			b.WriteString(`[^/]*`)
		case ']', '}':
			return "", false
		case '[':
			body := part[i+1:]
			neg := strings.HasPrefix(body, "!")
			if neg {
				body = body[1:]
			}
			end := strings.IndexByte(body, ']')
			if end <= 0 {
				return "", false // unterminated or empty
			}
			members := body[:end]
			i += len(part[i+1:]) - len(body) + end + 1
			var in [256]bool
			for j := 0; j < len(members); j++ {
				if j+2 < len(members) && members[j+1] == '-' {
					for x := int(members[j]); x <= int(members[j+2]); x++ {
						in[x] = true
					}
					j += 2
					continue
				}
				in[members[j]] = true
			}
			var cls strings.Builder
			for x := range 256 {
				if in[x] != neg && x != '/' {
					cls.WriteString(quoteByte(byte(x)))
				}
			}
			if cls.Len() == 0 {
				b.WriteString(`[^\x00-\x{10FFFF}]`) // matches nothing
			} else {
				b.WriteString("[" + cls.String() + "]")
			}
		case '{':
			end := strings.IndexByte(part[i:], '}')
			if end < 0 {
				return "", false
			}
			body := part[i+1 : i+end]
			if strings.IndexByte(body, '{') >= 0 {
				return "", false
			}
			var alts []string
			for _, alt := range strings.Split(body, ",") {
				var q strings.Builder
				for k := 0; k < len(alt); k++ {
					q.WriteString(quoteByte(alt[k]))
				}
				alts = append(alts, q.String())
			}
			b.WriteString("(?:" + strings.Join(alts, "|") + ")")
			i += end
		default:
			b.WriteString(quoteByte(c))
		}
	}
	return b.String(), true
}
