package sanitize

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// leakRule is a rule of gitleaks' default configuration (gitleaks_rules.go):
// a pattern, the group of it that is the secret (0: the first non-empty
// group, or the whole match), the Shannon entropy the secret must exceed,
// and keywords, one of which must appear (ignoring case) for the rule to
// be tried.
type leakRule struct {
	id          string
	regex       string
	secretGroup int
	entropy     float64
	keywords    []string
	allow       []leakAllow
}

// leakAllow is an allowlist: a finding it matches is not a secret. With
// all, both its pattern and its stop words must match, else either. Its
// pattern is tried on the secret, or on the whole match (target "match")
// or its line ("line"); its stop words on the secret, ignoring case.
type leakAllow struct {
	all       bool
	target    string
	regex     string
	stopwords []string
}

// ownRules are the gitleaks rules left to ouchie's own, which know logs
// better.
var ownRules = map[string]string{
	"generic-api-key": "assignments: names are judged, never the value's entropy (and the rule costs ten times all the others)",
	"private-key":     "PEM private keys: the markers stay, and a block cut by the window is still found",
}

// Where a rule looks: the line of each of its keywords and the next (a
// value may follow its key's line), at most maxBehind bytes before the
// keyword and maxAhead after it.
const (
	maxBehind = 512
	maxAhead  = 4 << 10
)

// leakMatcher is the compiled rule set.
type leakMatcher struct {
	rules    []compiledRule
	global   []compiledAllow
	keywords []string // every rule's keywords, each once
	// byPair[pair(a, b)] is 1 + the index in pairs of the keywords that
	// start with a and b, or 0.
	byPair []uint16
	pairs  [][]int
}

type compiledRule struct {
	leakRule
	re       *regexp.Regexp
	allow    []compiledAllow
	keywords []int // in leakMatcher.keywords
}

type compiledAllow struct {
	leakAllow
	re *regexp.Regexp
}

// leaks compiles the rules the first time they are needed: most commands
// never sanitize a log.
var leaks = sync.OnceValue(func() *leakMatcher {
	m := &leakMatcher{global: compileAllow(gitleaksAllow), byPair: make([]uint16, 1<<16)}
	index := map[string]int{}
	for _, r := range gitleaksRules {
		if _, ok := ownRules[r.id]; ok {
			continue
		}
		c := compiledRule{leakRule: r, re: regexp.MustCompile(forLogs(r.regex)), allow: compileAllow(r.allow)}
		for _, k := range r.keywords {
			i, ok := index[k]
			if !ok {
				i = len(m.keywords)
				index[k] = i
				m.keywords = append(m.keywords, k)
				p := pair(k[0], k[1])
				if m.byPair[p] == 0 {
					m.pairs = append(m.pairs, nil)
					m.byPair[p] = uint16(len(m.pairs))
				}
				m.pairs[m.byPair[p]-1] = append(m.pairs[m.byPair[p]-1], i)
			}
			c.keywords = append(c.keywords, i)
		}
		m.rules = append(m.rules, c)
	}
	return m
})

// namePrefix is how gitleaks' rules for "name = value" begin: up to 50
// characters of the name before the word they look for. It widens what a
// rule reports, never the secret, and makes the rule several times slower.
const namePrefix = `[\w.-]{0,50}?`

// leakEnd is how most gitleaks rules say a token ends: at a blank, a
// quote, a semicolon, an escaped newline or the end of the text. In a log
// a token is as often followed by punctuation: logEnd adds , : . ) ] } > &
// and |, none of which can continue a token.
const (
	leakEnd = `(?:[\x60'"\s;]|\\[nr]|$)`
	logEnd  = `(?:[\x60'"\s;,:.)\]}>&|]|\\[nr]|$)`
)

// forLogs adapts a gitleaks pattern to logs: it drops namePrefix from its
// start (alone or in the case-insensitive group it begins) and lets tokens
// end at punctuation.
func forLogs(re string) string {
	if rest, ok := strings.CutPrefix(re, "(?i)"+namePrefix); ok {
		re = "(?i)" + rest
	} else if rest, ok := strings.CutPrefix(re, namePrefix+"(?i:"+namePrefix); ok {
		re = "(?i:" + rest
	}
	return strings.ReplaceAll(re, leakEnd, logEnd)
}

func compileAllow(list []leakAllow) []compiledAllow {
	out := make([]compiledAllow, len(list))
	for i, a := range list {
		out[i] = compiledAllow{leakAllow: a}
		if a.regex != "" {
			out[i].re = regexp.MustCompile(a.regex)
		}
	}
	return out
}

func pair(a, b byte) uint16 { return uint16(lower(a))<<8 | uint16(lower(b)) }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// found returns where each keyword occurs in text, ignoring case.
func (m *leakMatcher) found(text []byte) [][]int {
	at := make([][]int, len(m.keywords))
	for i := 0; i+1 < len(text); i++ {
		b := m.byPair[pair(text[i], text[i+1])]
		if b == 0 {
			continue
		}
		for _, k := range m.pairs[b-1] {
			if hasPrefixFold(text[i:], m.keywords[k]) {
				at[k] = append(at[k], i)
			}
		}
	}
	return at
}

// hasPrefixFold reports whether b starts with the lower-case prefix,
// ignoring the case of ASCII letters.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		if lower(b[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// leakSpans adds the secrets gitleaks' rules find in text.
func leakSpans(text []byte, spans []span) []span {
	m := leaks()
	at := m.found(text)
	var regions []span
	for i := range m.rules {
		r := &m.rules[i]
		regions = r.regions(text, at, regions[:0])
		for _, reg := range regions {
			for _, loc := range r.re.FindAllSubmatchIndex(text[reg.lo:reg.hi], -1) {
				for k := range loc {
					if loc[k] >= 0 {
						loc[k] += reg.lo
					}
				}
				spans = r.secret(m, text, loc, spans)
			}
		}
	}
	return spans
}

// regions returns where r looks in text, given where the keywords are: the
// stretches around its keywords' occurrences, merged, in order.
func (r *compiledRule) regions(text []byte, at [][]int, out []span) []span {
	start := len(out)
	for _, k := range r.keywords {
		for _, p := range at[k] {
			if n := len(out); n > start && out[n-1].hi > p && out[n-1].lo <= p {
				continue // inside the last stretch
			}
			lo := max(p-maxBehind, 0)
			if j := bytes.LastIndexByte(text[lo:p], '\n'); j >= 0 {
				lo += j + 1
			}
			hi := min(p+maxAhead, len(text))
			if j := bytes.IndexByte(text[p:hi], '\n'); j >= 0 {
				if e := bytes.IndexByte(text[p+j+1:hi], '\n'); e >= 0 {
					hi = p + j + 1 + e + 1
				}
			}
			out = append(out, span{lo, hi})
		}
	}
	return mergeSpans(out[start:])
}

// mergeSpans sorts spans and merges the ones that overlap or touch.
func mergeSpans(s []span) []span {
	if len(s) < 2 {
		return s
	}
	slices.SortFunc(s, func(a, b span) int { return a.lo - b.lo })
	out := s[:1]
	for _, x := range s[1:] {
		last := &out[len(out)-1]
		if x.lo <= last.hi {
			last.hi = max(last.hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

// secret adds the secret of the match at loc, unless it is not one.
func (r *compiledRule) secret(m *leakMatcher, text []byte, loc []int, spans []span) []span {
	lo, hi := secretGroup(loc, r.secretGroup)
	for lo < hi && text[lo] == '\n' {
		lo++
	}
	for hi > lo && text[hi-1] == '\n' {
		hi--
	}
	secret := text[lo:hi]
	if r.entropy != 0 && entropy(secret) <= r.entropy {
		return spans
	}
	if allowed(m.global, text, loc, secret) || allowed(r.allow, text, loc, secret) {
		return spans
	}
	return add(spans, text, lo, hi)
}

// secretGroup returns the bounds of a match's secret: group g, or the first
// group that matched something, or the whole match.
func secretGroup(loc []int, g int) (lo, hi int) {
	if g > 0 && 2*g+1 < len(loc) {
		return max(loc[2*g], 0), max(loc[2*g+1], 0)
	}
	for k := 2; k+1 < len(loc); k += 2 {
		if loc[k] >= 0 && loc[k+1] > loc[k] {
			return loc[k], loc[k+1]
		}
	}
	return loc[0], loc[1]
}

// allowed reports whether one of the allowlists says the match at loc,
// whose secret is secret, is not one.
func allowed(list []compiledAllow, text []byte, loc []int, secret []byte) bool {
	for _, a := range list {
		target := secret
		switch a.target {
		case "match":
			target = text[loc[0]:loc[1]]
		case "line":
			lo := bytes.LastIndexByte(text[:loc[0]], '\n') + 1
			hi := len(text)
			if e := bytes.IndexByte(text[loc[1]:], '\n'); e >= 0 {
				hi = loc[1] + e
			}
			target = text[lo:hi]
		}
		byRegex := a.re != nil && len(target) > 0 && a.re.Match(target)
		byWord := stopword(a.stopwords, secret)
		if a.all && (a.re == nil || byRegex) && (len(a.stopwords) == 0 || byWord) || !a.all && (byRegex || byWord) {
			return true
		}
	}
	return false
}

// stopword reports whether secret holds one of words, ignoring case.
func stopword(words []string, secret []byte) bool {
	if len(words) == 0 || len(secret) == 0 {
		return false
	}
	lower := bytes.ToLower(secret)
	for _, w := range words {
		if bytes.Contains(lower, []byte(w)) {
			return true
		}
	}
	return false
}

// entropy is the Shannon entropy of s's characters, in bits.
func entropy(s []byte) float64 {
	counts := map[rune]int{}
	n := 0
	for _, r := range string(s) {
		counts[r]++
		n++
	}
	var e float64
	for _, c := range counts {
		f := float64(c) / float64(n)
		e -= f * math.Log2(f)
	}
	return e
}
