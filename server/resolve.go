package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// servedFormat returns the format of a bundle file name the server serves.
// The HAProxy errorfile (bundle.HTTP) is a file for HAProxy's
// configuration, not a response body, so it is never served.
func servedFormat(name string) (bundle.Format, bool) {
	f, ok := bundle.ParseFormat(name)
	return f, ok && f != bundle.FormatHTTP
}

// formatSet is a set of formats.
type formatSet uint8

// setOf returns the set holding f alone.
func setOf(f bundle.Format) formatSet { return 1 << f }

func (s formatSet) has(f bundle.Format) bool { return s&setOf(f) != 0 }

// first returns the set's first format in preference order (HTML first).
func (s formatSet) first() bundle.Format {
	for f := range bundle.NumFormats {
		if s.has(f) {
			return f
		}
	}
	return bundle.FormatHTML
}

// Statuses the server answers with: error statuses only. A request naming any
// other number is malformed and gets the default page.
const (
	minStatus = 400
	maxStatus = 599
)

// answer is what a request resolved to: the page that answers, the status of
// the response, and whether the page's status slot must show that status
// (a fallback or default page answering a status that is not its own).
type answer struct {
	page       int
	status     int
	fillStatus bool
}

// statusValue is the status slot's value: the status when the page must
// show it, else 0 (the slot's default).
func (a answer) statusValue() int {
	if a.fillStatus {
		return a.status
	}
	return 0
}

// keys resolves router keys (page ids, variants, aliases, statuses) to pages.
// It is built once per bundle and read concurrently.
type keys struct {
	// byKey maps lowercased ids, variants and aliases to page indices.
	byKey map[string]int
	// byStatus maps status-minStatus to the page whose id is that status, or -1.
	byStatus [maxStatus - minStatus + 1]int
	// fallback holds the 4xx and 5xx pages, or -1.
	fallback [2]int
	// status and isFallback describe each page.
	status     []int
	isFallback []bool
	// def answers malformed requests, with status defStatus.
	def answer
}

// newKeys indexes pages. defaultStatus is the status (400-599) answered when
// a request names no page; its page is found like any other status's.
func newKeys(pages []bundle.Page, defaultStatus int) (*keys, error) {
	if defaultStatus < minStatus || defaultStatus > maxStatus {
		return nil, fmt.Errorf("default status %d: want %d-%d", defaultStatus, minStatus, maxStatus)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("no pages")
	}
	k := &keys{
		byKey:      make(map[string]int, 3*len(pages)),
		fallback:   [2]int{-1, -1},
		status:     make([]int, len(pages)),
		isFallback: make([]bool, len(pages)),
	}
	for i := range k.byStatus {
		k.byStatus[i] = -1
	}
	for i, p := range pages {
		k.status[i] = p.Status
		k.isFallback[i] = p.Fallback
		k.byKey[strings.ToLower(p.ID)] = i
		if p.Variant != "" {
			k.byKey[strings.ToLower(p.Variant)] = i
		}
		for _, a := range p.Aliases {
			k.byKey[strings.ToLower(a)] = i
		}
		switch {
		case p.ID == "4xx":
			k.fallback[0] = i
		case p.ID == "5xx":
			k.fallback[1] = i
		case p.Variant == "" && p.Status >= minStatus && p.Status <= maxStatus && p.ID == fmt.Sprint(p.Status):
			k.byStatus[p.Status-minStatus] = i
		}
	}
	// The default page: the default status's page or fallback, else a
	// fallback of either class, else the first page.
	k.def = answer{page: -1, status: defaultStatus}
	if i := k.byStatus[defaultStatus-minStatus]; i >= 0 {
		k.def.page = i
	} else if i := k.fallback[defaultStatus/100-4]; i >= 0 {
		k.def.page = i
	} else if i := max(k.fallback[0], k.fallback[1]); i >= 0 {
		k.def.page = i
	} else {
		k.def.page = 0
	}
	k.def.fillStatus = k.isFallback[k.def.page] || k.status[k.def.page] != defaultStatus
	return k, nil
}

// forStatus resolves an error status: its own page, else its class's
// fallback, else the default page; the response keeps the status.
func (k *keys) forStatus(status int) answer {
	i := k.byStatus[status-minStatus]
	if i < 0 {
		i = k.fallback[status/100-4]
	}
	if i < 0 {
		i = k.def.page
	}
	return answer{page: i, status: status, fillStatus: k.isFallback[i] || k.status[i] != status}
}

// withPage answers a's status with page i instead (the crashlog page in
// place of a status's own), showing that status where it differs.
func (k *keys) withPage(a answer, i int) answer {
	return answer{page: i, status: a.status, fillStatus: k.isFallback[i] || k.status[i] != a.status}
}

// page returns the page a key names directly, with the page's own status.
func (k *keys) page(i int) answer {
	return answer{page: i, status: k.status[i], fillStatus: false}
}

// maxKey bounds the keys looked up; longer ones name no page.
const maxKey = 64

// lookup resolves one key: a status ("418"), a page id, variant or alias
// (case-insensitive). ok is false when the key names nothing.
func (k *keys) lookup(key string) (answer, bool) {
	if s, ok := parseStatus(key); ok {
		if s < minStatus || s > maxStatus {
			return answer{}, false
		}
		return k.forStatus(s), true
	}
	return k.named(key, "")
}

// named looks up the page named key, or key+"-"+variant when variant is not
// empty, case-insensitively and without allocating.
func (k *keys) named(key, variant string) (answer, bool) {
	n := len(key)
	if variant != "" {
		n += 1 + len(variant)
	}
	if key == "" || n > maxKey {
		return answer{}, false
	}
	var buf [maxKey]byte
	lowerInto(buf[:], key)
	if variant != "" {
		buf[len(key)] = '-'
		lowerInto(buf[len(key)+1:], variant)
	}
	if i, ok := k.byKey[string(buf[:n])]; ok {
		return k.page(i), true
	}
	return answer{}, false
}

// lowerInto copies s into dst, ASCII letters lowercased.
func lowerInto(dst []byte, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
}

// parseStatus parses exactly three ASCII digits.
func parseStatus(s string) (int, bool) {
	if len(s) != 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < 3; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// fromPath resolves a request path: /{key}, /{key}.{ext}, /{status}/{variant}
// and /{status}/{variant}.{ext}, one trailing slash allowed. ext holds the
// extension's format, or is empty when there is none.
func (k *keys) fromPath(p string) (t answer, ext formatSet, ok bool) {
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" || len(p) > 2*maxKey {
		return answer{}, ext, false
	}
	if dot := strings.LastIndexByte(p, '.'); dot >= 0 && strings.IndexByte(p[dot:], '/') < 0 {
		if f, ok := extFormat(p[dot+1:]); ok {
			ext = setOf(f)
			p = p[:dot]
		}
	}
	first, rest, two := strings.Cut(p, "/")
	if !two {
		t, ok = k.lookup(first)
		return t, ext, ok
	}
	if rest == "" || strings.IndexByte(rest, '/') >= 0 {
		return answer{}, ext, false
	}
	s, isStatus := parseStatus(first)
	if !isStatus || s < minStatus || s > maxStatus {
		return answer{}, ext, false
	}
	// /{status}/{variant}: the variant's page when it has that status,
	// else the status's own page.
	if t, ok := k.named(first, rest); ok && k.status[t.page] == s && !k.isFallback[t.page] {
		return t, ext, true
	}
	return k.forStatus(s), ext, true
}

// extFormat maps a path extension (case-insensitive) to a format.
func extFormat(ext string) (bundle.Format, bool) {
	switch strings.ToLower(ext) {
	case "html", "htm":
		return bundle.FormatHTML, true
	case "json":
		return bundle.FormatJSON, true
	case "txt", "text":
		return bundle.FormatText, true
	case "xml":
		return bundle.FormatXML, true
	}
	return 0, false
}

// resolve picks the page for a request: the path when it names one, else
// the X-Code header, else the ?code= query parameter, else the default page.
// It never fails: anything unknown or malformed gets the default. ext
// holds the format the path's extension names, if any.
func (k *keys) resolve(path, xcode, rawQuery string) (answer, formatSet) {
	t, ext, ok := k.fromPath(path)
	if ok {
		return t, ext
	}
	if xcode != "" {
		if t, ok := k.lookup(strings.TrimSpace(xcode)); ok {
			return t, ext
		}
	}
	if code, found := queryParam(rawQuery, "code"); found {
		if t, ok := k.lookup(code); ok {
			return t, ext
		}
	}
	return k.def, ext
}

// pickFormat chooses the format: the path's extension, then X-Format (an
// Accept list, as ingress-nginx forwards it, or a bare name), then Accept,
// then HTML, always among the formats the page has.
func pickFormat(have, ext formatSet, h http.Header) bundle.Format {
	if have&ext != 0 {
		return ext.first()
	}
	if xf := first(h, headerFormat); xf != "" {
		if f, ok := negotiate(xf, have); ok {
			return f
		}
	}
	if f, ok := negotiate(first(h, "Accept"), have); ok {
		return f
	}
	return have.first()
}

// queryParam returns the first parameter called name of a raw query,
// unescaped.
func queryParam(q, name string) (string, bool) {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		key, val, _ := strings.Cut(kv, "=")
		if key != name {
			continue
		}
		if strings.ContainsAny(val, "%+") {
			u, err := url.QueryUnescape(val)
			if err != nil {
				return "", false
			}
			val = u
		}
		return val, true
	}
	return "", false
}

// Media-range specificity, for breaking ties between equal q-values.
const (
	specAny  = iota // */*
	specType        // text/*
	specFull        // text/html
)

// negotiate picks a format from an Accept-style list (q-values honoured,
// the most specific range winning ties, then the earliest) among the formats
// in have. Bare format names ("json", "html") are accepted, as X-Format
// sends them. ok is false when no entry matched an available format.
func negotiate(list string, have formatSet) (format bundle.Format, ok bool) {
	bestQ, bestSpec := -1, -1
	for list != "" {
		var entry string
		entry, list, _ = strings.Cut(list, ",")
		media, params, _ := strings.Cut(entry, ";")
		media = strings.TrimSpace(media)
		f, spec, found := mediaFormat(media, have)
		if !found {
			continue
		}
		q, valid := qValue(params)
		if !valid || q == 0 {
			continue
		}
		if q > bestQ || (q == bestQ && spec > bestSpec) {
			format, bestQ, bestSpec, ok = f, q, spec, true
		}
	}
	return format, ok
}

// mediaTypes maps lowercased media ranges and bare format names to formats.
var mediaTypes = map[string]struct {
	format bundle.Format
	spec   int
}{
	"text/html":             {bundle.FormatHTML, specFull},
	"application/xhtml+xml": {bundle.FormatHTML, specFull},
	"html":                  {bundle.FormatHTML, specFull},
	"application/json":      {bundle.FormatJSON, specFull},
	"json":                  {bundle.FormatJSON, specFull},
	"text/plain":            {bundle.FormatText, specFull},
	"txt":                   {bundle.FormatText, specFull},
	"text":                  {bundle.FormatText, specFull},
	"plain":                 {bundle.FormatText, specFull},
	"application/xml":       {bundle.FormatXML, specFull},
	"text/xml":              {bundle.FormatXML, specFull},
	"xml":                   {bundle.FormatXML, specFull},
	"text/*":                {bundle.FormatHTML, specType},
	"application/*":         {bundle.FormatJSON, specType},
	"*/*":                   {bundle.FormatHTML, specAny},
	"*":                     {bundle.FormatHTML, specAny},
}

// maxMedia bounds the media ranges looked up.
const maxMedia = 64

// mediaFormat maps a media range (or a bare format name) to an available
// format and its specificity; ok is false when it maps to none of have.
// Wildcards take the best format the page has within their range.
func mediaFormat(media string, have formatSet) (f bundle.Format, spec int, ok bool) {
	if media == "" || len(media) > maxMedia {
		return 0, 0, false
	}
	var buf [maxMedia]byte
	lowerInto(buf[:], media)
	m, ok := mediaTypes[string(buf[:len(media)])]
	if !ok {
		// Structured syntax suffixes: application/problem+json, application/atom+xml.
		switch {
		case strings.IndexByte(media, '/') <= 0:
			return 0, 0, false
		case hasSuffixFold(media, "+json"):
			m.format, m.spec = bundle.FormatJSON, specFull
		case hasSuffixFold(media, "+xml"):
			m.format, m.spec = bundle.FormatXML, specFull
		default:
			return 0, 0, false
		}
	}
	switch {
	case m.spec == specAny:
		return have.first(), specAny, true
	case m.spec == specType && !have.has(m.format) && m.format == bundle.FormatHTML:
		m.format = bundle.FormatText
	case m.spec == specType && !have.has(m.format) && m.format == bundle.FormatJSON:
		m.format = bundle.FormatXML
	}
	if !have.has(m.format) {
		return 0, 0, false
	}
	return m.format, m.spec, true
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// qValue reads the q parameter of a media range's parameters, in
// thousandths (1000 when absent). valid is false for a malformed q.
func qValue(params string) (q int, valid bool) {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, val, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		return parseQ(strings.TrimSpace(val))
	}
	return 1000, true
}

// parseQ parses an RFC 9110 qvalue ("0", "0.5", "1.000") into thousandths.
func parseQ(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}

// acceptEncoding reads an Accept-Encoding header: the q-values (in
// thousandths; 0 when refused or not mentioned) of brotli and gzip, "*"
// standing for whichever is not named. The caller prefers brotli on a tie.
func acceptEncoding(ae string) (br, gz int) {
	br, gz, star := -1, -1, 0
	for ae != "" {
		var entry string
		entry, ae, _ = strings.Cut(ae, ",")
		coding, params, _ := strings.Cut(entry, ";")
		q, valid := qValue(params)
		if !valid {
			continue
		}
		switch coding = strings.TrimSpace(coding); {
		case strings.EqualFold(coding, "br"):
			br = q
		case strings.EqualFold(coding, "gzip"), strings.EqualFold(coding, "x-gzip"):
			gz = q
		case coding == "*":
			star = q
		}
	}
	if br < 0 {
		br = star
	}
	if gz < 0 {
		gz = star
	}
	return br, gz
}
