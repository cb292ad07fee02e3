package server

import (
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// Brand is one brand for Config.Brands: its match rules (from brands.json)
// and the folder of its bundle, read lazily.
type Brand struct {
	bundle.Brand
	// Bundle is the brand's bundle folder, holding manifest.json.
	Bundle fs.FS
}

// Request headers that choose a brand, after Host (see brandSet.pick),
// with headerService and headerNamespace.
const (
	headerForwardedHost = "X-Forwarded-Host"
	headerIngress       = "X-Ingress-Name"
)

// maxHost bounds the host names looked up (a DNS name is at most 253
// bytes); longer ones match no brand.
const maxHost = 253

// brandSet is the brands served beside the default bundle and the index
// that matches a request to one. It is built with each load and read
// concurrently; the brands' pages are loaded on their first request.
type brandSet struct {
	brands []*brand
	// Match rules: lowercase value → index into brands. wild holds the
	// names under "*.".
	hosts, wild                           map[string]int
	ingresses, services, namespaces, apps map[string]int
}

// brand is one brand as served: its bundle, loaded on first request.
type brand struct {
	id   string
	fsys fs.FS
	// opts are the options its outputs are prepared with.
	opts *prepareOptions
	// pages is the brand's manifest as served, nil until loaded.
	pages atomic.Pointer[brandPages]
	// mu lets one request load the manifest while the others wait.
	mu sync.Mutex
	// failed is when loading the manifest last failed (unix ns), or 0:
	// until retryAfterFailure has passed, requests get the default's pages
	// without trying again.
	failed atomic.Int64
	counts *brandCounts
}

// retryAfterFailure is how long a brand's manifest or file that failed to
// load is not tried again; requests meanwhile get the default's page.
const retryAfterFailure = 10 * time.Second

// newBrandSet indexes brands. Each bundle folder must hold a manifest (only
// its presence is checked: the manifest is read on the brand's first
// request).
func newBrandSet(list []Brand, opts *prepareOptions, m *metrics) (*brandSet, error) {
	bs := &brandSet{hosts: map[string]int{}, wild: map[string]int{}, ingresses: map[string]int{},
		services: map[string]int{}, namespaces: map[string]int{}, apps: map[string]int{}}
	claim := func(index map[string]int, kind, v string, i int) error {
		v = strings.ToLower(v)
		if j, dup := index[v]; dup {
			return fmt.Errorf("brands %s and %s both match %s %q", bs.brands[j].id, list[i].ID, kind, v)
		}
		index[v] = i
		return nil
	}
	seen := map[string]bool{}
	for i, b := range list {
		if err := bundle.CheckBrandID(b.ID); err != nil {
			return nil, err
		}
		if seen[b.ID] {
			return nil, fmt.Errorf("brand %s listed twice", b.ID)
		}
		seen[b.ID] = true
		if b.Bundle == nil {
			return nil, fmt.Errorf("brand %s: no bundle", b.ID)
		}
		if _, err := fs.Stat(b.Bundle, bundle.ManifestName); err != nil {
			return nil, fmt.Errorf("brand %s: no %s in its bundle folder: %w", b.ID, bundle.ManifestName, err)
		}
		bs.brands = append(bs.brands, &brand{id: b.ID, fsys: b.Bundle, opts: opts, counts: m.brand(b.ID)})
		for _, h := range b.Match.Hosts {
			index, name := bs.hosts, h
			if rest, ok := strings.CutPrefix(h, "*."); ok {
				index, name = bs.wild, rest
			}
			if err := claim(index, "host", name, i); err != nil {
				return nil, err
			}
		}
		for _, rule := range []struct {
			index  map[string]int
			kind   string
			values []string
		}{
			{bs.ingresses, "ingress", b.Match.Ingresses}, {bs.services, "service", b.Match.Services},
			{bs.namespaces, "namespace", b.Match.Namespaces}, {bs.apps, "app", b.Match.Apps},
		} {
			for _, v := range rule.values {
				if err := claim(rule.index, rule.kind, v, i); err != nil {
					return nil, err
				}
			}
		}
	}
	return bs, nil
}

// brandCount returns how many brands are served beside the bundle.
func (st *prepared) brandCount() int {
	if st.brands == nil {
		return 0
	}
	return len(st.brands.brands)
}

// brandVary lists the headers that choose a brand, for Vary: Host,
// X-Forwarded-Host when proxies are trusted, the ingress headers and the
// app header.
func brandVary(appHeader string, trustProxies bool) string {
	vary := []string{"Host"}
	if trustProxies {
		vary = append(vary, headerForwardedHost)
	}
	return strings.Join(append(vary, headerIngress, headerService, headerNamespace, appHeader), ", ")
}

// joinVary adds to a Vary value the headers of more it does not name yet.
func joinVary(vary, more string) string {
	for h := range strings.SplitSeq(more, ", ") {
		if !slices.Contains(strings.Split(vary, ", "), h) {
			vary += ", " + h
		}
	}
	return vary
}

// pick returns the request's brand, or nil for the default: the first match
// of the Host (X-Forwarded-Host from a trusted proxy has replaced it; see
// forwarded), exactly then by the most specific wildcard; X-Ingress-Name;
// X-Service-Name; X-Namespace; the app header. Values are compared without
// case; nothing allocates.
func (bs *brandSet) pick(r *http.Request, appHeader string) *brand {
	if i, ok := bs.byHost(r.Host); ok {
		return bs.brands[i]
	}
	for _, rule := range [...]struct {
		index  map[string]int
		header string
	}{
		{bs.ingresses, headerIngress}, {bs.services, headerService}, {bs.namespaces, headerNamespace}, {bs.apps, appHeader},
	} {
		if len(rule.index) == 0 {
			continue
		}
		if i, ok := lookupFold(rule.index, strings.TrimSpace(first(r.Header, rule.header))); ok {
			return bs.brands[i]
		}
	}
	return nil
}

// byHost matches a Host value: lowercased, its port and a trailing dot
// dropped, exactly, then "*.rest" for each shorter rest, longest first.
func (bs *brandSet) byHost(host string) (int, bool) {
	if len(bs.hosts) == 0 && len(bs.wild) == 0 {
		return 0, false
	}
	host = stripPort(host)
	host = strings.TrimSuffix(host, ".")
	if host == "" || len(host) > maxHost {
		return 0, false
	}
	var buf [maxHost]byte
	lowerInto(buf[:], host)
	name := buf[:len(host)]
	if i, ok := bs.hosts[string(name)]; ok {
		return i, true
	}
	if len(bs.wild) == 0 {
		return 0, false
	}
	for at := 0; at < len(name); at++ {
		if name[at] != '.' {
			continue
		}
		if i, ok := bs.wild[string(name[at+1:])]; ok {
			return i, true
		}
	}
	return 0, false
}

// stripPort drops a ":port" from a Host value; an IPv6 literal keeps its
// brackets (it matches no brand).
func stripPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return host
	}
	return host[:i]
}

// lookupFold looks v up in index (whose keys are lowercase) without case
// and without allocating.
func lookupFold(index map[string]int, v string) (int, bool) {
	if v == "" || len(v) > maxHost {
		return 0, false
	}
	var buf [maxHost]byte
	lowerInto(buf[:], v)
	i, ok := index[string(buf[:len(v)])]
	return i, ok
}

// forwardedHost returns the host an X-Forwarded-Host header names: its last
// entry, the one the nearest proxy (a trusted one) wrote.
func forwardedHost(values []string) string {
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// pagesOf returns b's pages, reading its manifest on first use; nil when it
// cannot be read (the request gets the default's page).
func (s *Server) pagesOf(b *brand) *brandPages {
	if p := b.pages.Load(); p != nil {
		return p
	}
	if f := b.failed.Load(); f != 0 && time.Since(time.Unix(0, f)) < retryAfterFailure {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.pages.Load(); p != nil {
		return p
	}
	p, err := s.arrangeBrand(b)
	if err != nil {
		b.failed.Store(time.Now().UnixNano())
		s.brandCache.fail(b.id, err)
		return nil
	}
	b.pages.Store(p)
	s.brandCache.hold(p)
	return p
}

// arrangeBrand reads b's manifest and arranges its pages; their outputs
// are read on demand. Only what serving needs of the manifest is kept.
func (s *Server) arrangeBrand(b *brand) (*brandPages, error) {
	m, err := bundle.ReadManifest(b.fsys)
	if err != nil {
		return nil, err
	}
	o := b.opts
	bp := &brandPages{id: b.id, fsys: b.fsys, opts: o, b: b, size: outputOverhead}
	var from, small *bundle.Page
	ar, _, err := arrange(m, s.cfg.DefaultStatus, s.brandCache.keysFor, s.brandCache.languagesFor,
		func(langs *languages, page *bundle.Page, li int, fi bundle.Format, f bundle.File) (*outSlot, error) {
			if page != from {
				from, small = page, &bundle.Page{ID: page.ID, Crashlog: page.Crashlog, RetryAfter: page.RetryAfter}
			}
			// The key needs what the output's headers will be.
			v := &output{hVary: []string{o.varyFor(page, hasCrashlogSlot(f), m.Site.CrashlogPage != "", langs != nil)}}
			if langs != nil {
				v.hLang = langs.hContent[li]
			}
			bp.size += slotCost
			return &outSlot{src: bp, page: small, file: s.brandCache.share(f), fi: fi, li: li, key: keyOf(small, fi, f, v)}, nil
		})
	if err != nil {
		return nil, err
	}
	bp.arranged = *ar
	return bp, nil
}

// hasCrashlogSlot reports whether a file has a crashlog slot, as its
// layout will.
func hasCrashlogSlot(f bundle.File) bool {
	for _, sl := range f.Slots {
		if sl.Name == bundle.SlotCrashlog {
			return true
		}
	}
	return false
}

// brandOutput resolves a request for brand b, as servePage does for the
// default bundle; a nil output when the brand's manifest or the file
// cannot be read.
func (s *Server) brandOutput(b *brand, r *http.Request, lg *logLookup) (*output, answer) {
	p := s.pagesOf(b)
	if p == nil {
		return nil, answer{}
	}
	s.brandCache.touchUsed(&p.used)
	slot, a := p.resolve(s, r, lg)
	return s.brandCache.get(slot), a
}
