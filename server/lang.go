package server

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// Where a request's language comes from, in order: the ?lang= query
// parameter, the router's language header (Config.LangHeader), then
// Accept-Language. The first that names one of the bundle's languages
// wins; with none, the default language.
const (
	headerAcceptLanguage = "Accept-Language"
	// maxLangValue bounds the values matched: longer ones are ignored.
	maxLangValue = 512
	// maxLangCache bounds the cache of matched values; when full it is
	// emptied, so hostile values cost a match each, never memory.
	maxLangCache = 4096
)

// languages are a bundle's languages, the default first, and what a
// request's language values have matched to.
type languages struct {
	tags    []string // as the manifest spells them
	matcher language.Matcher
	// hContent is each language's Content-Language header value.
	hContent [][]string

	mu    sync.RWMutex
	cache map[string]int // value → index into tags, or -1 for no match
}

// newLanguages returns the matcher for tags (default first), or nil when
// there is only one language: nothing to choose.
func newLanguages(tags []string) *languages {
	if len(tags) < 2 {
		return nil
	}
	l := &languages{tags: tags, cache: map[string]int{}}
	parsed := make([]language.Tag, len(tags))
	for i, t := range tags {
		parsed[i] = language.Make(t)
		l.hContent = append(l.hContent, []string{t})
	}
	l.matcher = language.NewMatcher(parsed)
	return l
}

// pick returns the index of the request's language: ?lang= (from the raw
// query), then the router's header, then Accept-Language; 0 (the default)
// when none matches.
func (l *languages) pick(rawQuery, routerValue, acceptLanguage string) int {
	if v, ok := queryParam(rawQuery, "lang"); ok && v != "" {
		if i := l.match(v); i >= 0 {
			return i
		}
	}
	if routerValue != "" {
		if i := l.match(routerValue); i >= 0 {
			return i
		}
	}
	if acceptLanguage != "" {
		if i := l.match(acceptLanguage); i >= 0 {
			return i
		}
	}
	return 0
}

// match returns the language an Accept-Language style value (one tag, or a
// list with q-values) matches, or -1. Results are cached by value, so a
// browser's header costs a map lookup after its first request.
func (l *languages) match(v string) int {
	if len(v) > maxLangValue {
		return -1
	}
	l.mu.RLock()
	i, ok := l.cache[v]
	l.mu.RUnlock()
	if ok {
		return i
	}
	i = l.matchNew(v)
	l.mu.Lock()
	if len(l.cache) >= maxLangCache {
		clear(l.cache)
	}
	l.cache[strings.Clone(v)] = i
	l.mu.Unlock()
	return i
}

// matchNew matches v with the bundle's languages: exactly (ignoring case)
// first, then by golang.org/x/text/language's matcher, which knows regional
// and script fallbacks (pt-PT → pt-BR, zh-TW → zh-Hant).
func (l *languages) matchNew(v string) int {
	for i, t := range l.tags {
		if strings.EqualFold(strings.TrimSpace(v), t) {
			return i
		}
	}
	want, _, err := language.ParseAcceptLanguage(v)
	if err != nil || len(want) == 0 {
		return -1
	}
	_, i, conf := l.matcher.Match(want...)
	if conf == language.No {
		return -1
	}
	return i
}
