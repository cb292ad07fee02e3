package server

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// Formats the server negotiates, by index. The HAProxy errorfile format
// (bundle.HTTP) is a file for HAProxy's configuration, not a response body,
// so it is never served.
const (
	fmtHTML = iota
	fmtJSON
	fmtText
	fmtXML
	numFormats
)

// formatNames maps a format index to its bundle name.
var formatNames = [numFormats]string{bundle.HTML, bundle.JSON, bundle.Text, bundle.XML}

// formatIndex returns the index of a bundle format name, or -1.
func formatIndex(name string) int {
	for i, n := range formatNames {
		if n == name {
			return i
		}
	}
	return -1
}

// formatSet is a set of format indices.
type formatSet uint8

func (s formatSet) has(f int) bool { return f >= 0 && f < numFormats && s&(1<<f) != 0 }

// first returns the set's first format in preference order (HTML first).
func (s formatSet) first() int {
	for f := range numFormats {
		if s.has(f) {
			return f
		}
	}
	return fmtHTML
}

// Statuses the server answers with: error statuses only. A request naming any
// other number is malformed and gets the default page.
const (
	minStatus = 400
	maxStatus = 599
)

// target is what a request resolved to: the page that answers, the status of
// the response, and whether the page's status slot must show that status
// (a fallback or default page answering a status that is not its own).
type target struct {
	page       int
	status     int
	fillStatus bool
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
	def target
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
	k.def = target{page: -1, status: defaultStatus}
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
func (k *keys) forStatus(status int) target {
	i := k.byStatus[status-minStatus]
	if i < 0 {
		i = k.fallback[status/100-4]
	}
	if i < 0 {
		i = k.def.page
	}
	return target{page: i, status: status, fillStatus: k.isFallback[i] || k.status[i] != status}
}

// page returns the page a key names directly, with the page's own status.
func (k *keys) page(i int) target {
	return target{page: i, status: k.status[i], fillStatus: false}
}

// maxKey bounds the keys looked up; longer ones name no page.
const maxKey = 64

// lookup resolves one key: a status ("418"), a page id, variant or alias
// (case-insensitive). ok is false when the key names nothing.
func (k *keys) lookup(key string) (target, bool) {
	if s, ok := parseStatus(key); ok {
		if s < minStatus || s > maxStatus {
			return target{}, false
		}
		return k.forStatus(s), true
	}
	return k.named(key, "")
}

// named looks up the page named key, or key+"-"+variant when variant is not
// empty, case-insensitively and without allocating.
func (k *keys) named(key, variant string) (target, bool) {
	n := len(key)
	if variant != "" {
		n += 1 + len(variant)
	}
	if key == "" || n > maxKey {
		return target{}, false
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
	return target{}, false
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
// and /{status}/{variant}.{ext}, one trailing slash allowed. format is the
// extension's format index, or -1 when there is none.
func (k *keys) fromPath(p string) (t target, format int, ok bool) {
	format = -1
	p = strings.TrimPrefix(p, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" || len(p) > 2*maxKey {
		return target{}, format, false
	}
	if dot := strings.LastIndexByte(p, '.'); dot >= 0 && strings.IndexByte(p[dot:], '/') < 0 {
		if f := extFormat(p[dot+1:]); f >= 0 {
			format = f
			p = p[:dot]
		}
	}
	first, rest, two := strings.Cut(p, "/")
	if !two {
		t, ok = k.lookup(first)
		return t, format, ok
	}
	if rest == "" || strings.IndexByte(rest, '/') >= 0 {
		return target{}, format, false
	}
	s, isStatus := parseStatus(first)
	if !isStatus || s < minStatus || s > maxStatus {
		return target{}, format, false
	}
	// /{status}/{variant}: the variant's page when it has that status,
	// else the status's own page.
	if t, ok := k.named(first, rest); ok && k.status[t.page] == s && !k.isFallback[t.page] {
		return t, format, true
	}
	return k.forStatus(s), format, true
}

// extFormat maps a path extension (case-insensitive) to a format index.
func extFormat(ext string) int {
	switch strings.ToLower(ext) {
	case "html", "htm":
		return fmtHTML
	case "json":
		return fmtJSON
	case "txt", "text":
		return fmtText
	case "xml":
		return fmtXML
	}
	return -1
}

// resolve picks the page for a request: the path when it names one, else
// the X-Code header, else the ?code= query parameter, else the default page.
// It never fails: anything unknown or malformed gets the default.
func (k *keys) resolve(path, xcode, rawQuery string) (target, int) {
	t, format, ok := k.fromPath(path)
	if ok {
		return t, format
	}
	if xcode != "" {
		if t, ok := k.lookup(strings.TrimSpace(xcode)); ok {
			return t, format
		}
	}
	if code, found := queryCode(rawQuery); found {
		if t, ok := k.lookup(code); ok {
			return t, format
		}
	}
	return k.def, format
}

// queryCode returns the first "code" parameter of a raw query, unescaped.
func queryCode(q string) (string, bool) {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		name, val, _ := strings.Cut(kv, "=")
		if name != "code" {
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
func negotiate(list string, have formatSet) (format int, ok bool) {
	bestQ, bestSpec := -1, -1
	for list != "" {
		var entry string
		entry, list, _ = strings.Cut(list, ",")
		media, params, _ := strings.Cut(entry, ";")
		media = strings.TrimSpace(media)
		f, spec := mediaFormat(media, have)
		if f < 0 {
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
var mediaTypes = map[string]struct{ format, spec int }{
	"text/html":             {fmtHTML, specFull},
	"application/xhtml+xml": {fmtHTML, specFull},
	"html":                  {fmtHTML, specFull},
	"application/json":      {fmtJSON, specFull},
	"json":                  {fmtJSON, specFull},
	"text/plain":            {fmtText, specFull},
	"txt":                   {fmtText, specFull},
	"text":                  {fmtText, specFull},
	"plain":                 {fmtText, specFull},
	"application/xml":       {fmtXML, specFull},
	"text/xml":              {fmtXML, specFull},
	"xml":                   {fmtXML, specFull},
	"text/*":                {fmtHTML, specType},
	"application/*":         {fmtJSON, specType},
	"*/*":                   {fmtHTML, specAny},
	"*":                     {fmtHTML, specAny},
}

// maxMedia bounds the media ranges looked up.
const maxMedia = 64

// mediaFormat maps a media range (or a bare format name) to an available
// format and its specificity; -1 when it maps to none of have. Wildcards
// take the best format the page has within their range.
func mediaFormat(media string, have formatSet) (int, int) {
	if media == "" || len(media) > maxMedia {
		return -1, 0
	}
	var buf [maxMedia]byte
	lowerInto(buf[:], media)
	m, ok := mediaTypes[string(buf[:len(media)])]
	if !ok {
		// Structured syntax suffixes: application/problem+json, application/atom+xml.
		switch {
		case strings.IndexByte(media, '/') <= 0:
			return -1, 0
		case hasSuffixFold(media, "+json"):
			m.format, m.spec = fmtJSON, specFull
		case hasSuffixFold(media, "+xml"):
			m.format, m.spec = fmtXML, specFull
		default:
			return -1, 0
		}
	}
	switch {
	case m.spec == specAny:
		return have.first(), specAny
	case m.spec == specType && !have.has(m.format) && m.format == fmtHTML:
		m.format = fmtText
	case m.spec == specType && !have.has(m.format) && m.format == fmtJSON:
		m.format = fmtXML
	}
	if !have.has(m.format) {
		return -1, 0
	}
	return m.format, m.spec
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
