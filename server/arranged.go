package server

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server/crashlog"
)

// arranged is a manifest's pages arranged for resolving requests, each
// format of a page held as a T: a prepared output, or for a brand the slot
// its output is loaded into.
type arranged[T any] struct {
	// pages are the default language's, in manifest order (keys index
	// them); each holds its translations.
	pages []*pageOf[T]
	langs *languages // nil with one language
	keys  *keys
	// crashlogPage, an index into pages, replaces a 502, 503 or 504 page
	// when the request's crashlog is found; -1 for none (see
	// bundle.Settings.CrashlogPage).
	crashlogPage int
}

// pageOf is one error page in one language: its formats.
type pageOf[T any] struct {
	out [bundle.NumFormats]T
	has formatSet
	// byLang is the page in each of the bundle's languages, by index: a
	// translation, or the page itself where it has none (and at 0). Nil
	// on translations.
	byLang []*pageOf[T]
	// crashlog says the page shows crashlogs (bundle.Page.Crashlog).
	crashlog bool
}

// page is a page of a prepared bundle.
type page = pageOf[*output]

// page resolves the request to its status's page (see keys.resolve) and
// the extension it asks for.
func (ar *arranged[T]) page(r *http.Request) (*pageOf[T], answer, formatSet) {
	a, ext := ar.keys.resolve(r.URL.Path, first(r.Header, headerCode), r.URL.RawQuery)
	return ar.pages[a.page], a, ext
}

// wantsCrashlog reports whether answering a with p needs the request's
// crashlog: p shows it, or p is a 502, 503 or 504 page the crashlog page
// replaces when the log is found.
func (ar *arranged[T]) wantsCrashlog(p *pageOf[T], a answer) bool {
	return p.crashlog || ar.crashlogPage >= 0 && upstreamFailed(a.status)
}

// withCrashlog answers a with the crashlog page when p does not show the
// crashlog itself (see wantsCrashlog; the log was found).
func (ar *arranged[T]) withCrashlog(p *pageOf[T], a answer) (*pageOf[T], answer) {
	if p.crashlog || ar.crashlogPage < 0 {
		return p, a
	}
	a = ar.keys.withPage(a, ar.crashlogPage)
	return ar.pages[a.page], a
}

// resolve resolves r: the status's page or, for a 502, 503 or 504 whose
// crashlog is found, the crashlog page; then the request's language and
// format. The crashlog is asked of s's source once per request, through lg.
func (ar *arranged[T]) resolve(s *Server, r *http.Request, lg *logLookup) (T, answer) {
	p, a, ext := ar.page(r)
	if s.crashlogs != nil && ar.wantsCrashlog(p, a) {
		if !lg.asked {
			lg.q, lg.raw = s.crashlog(r)
			lg.asked = true
		}
		if lg.raw != nil {
			p, a = ar.withCrashlog(p, a)
		}
	}
	return ar.pick(p, ext, r, s.langHeader), a
}

// logLookup is a request's crashlog, asked for at most once.
type logLookup struct {
	asked bool
	q     crashlog.Query
	raw   []byte // the log as the source returned it
}

// pick picks p's language and format for the request (see languages.pick
// and pickFormat).
func (ar *arranged[T]) pick(p *pageOf[T], ext formatSet, r *http.Request, langHeader string) T {
	if ar.langs != nil {
		p = p.byLang[ar.langs.pick(r.URL.RawQuery, first(r.Header, langHeader), first(r.Header, headerAcceptLanguage))]
	}
	return p.out[pickFormat(p.has, ext, r.Header)]
}

// arrange indexes m's pages, making each page's T per served format with
// mk, which is told the bundle's languages (nil with one) and the index of
// the page's language. newKeys and newLangs make the keys and languages
// (or return shared ones).
func arrange[T any](m *bundle.Manifest, defaultStatus int,
	newKeys func([]bundle.Page, int) (*keys, error), newLangs func([]string) *languages,
	mk func(langs *languages, bp *bundle.Page, li int, fi bundle.Format, f bundle.File) (T, error)) (*arranged[T], formatSet, error) {
	def := cmp.Or(defaultStatus, m.Site.DefaultStatus, 404)
	var defaults []bundle.Page // the default language's pages
	for _, bp := range m.Pages {
		if bp.Lang == "" {
			defaults = append(defaults, bp)
		}
	}
	k, err := newKeys(defaults, def)
	if err != nil {
		return nil, 0, err
	}
	tags := []string{cmp.Or(m.Site.Lang, "en")}
	for _, t := range m.Site.Languages {
		if t != tags[0] {
			tags = append(tags, t)
		}
	}
	ar := &arranged[T]{keys: k, langs: newLangs(tags), crashlogPage: -1}
	var formats formatSet
	byID := map[string]*pageOf[T]{}
	translations := map[[2]string]*pageOf[T]{}
	for i := range m.Pages {
		bp := &m.Pages[i]
		li := slices.Index(tags, cmp.Or(bp.Lang, tags[0]))
		p := &pageOf[T]{crashlog: bp.Crashlog}
		for name, f := range bp.Files {
			fi, ok := servedFormat(name)
			if !ok {
				continue // the HAProxy errorfile is not served
			}
			v, err := mk(ar.langs, bp, li, fi, f)
			if err != nil {
				return nil, 0, err
			}
			p.out[fi] = v
			p.has |= 1 << fi
		}
		if p.has == 0 {
			return nil, 0, fmt.Errorf("page %s: no html, json, txt or xml file", bp.ID)
		}
		formats |= p.has
		if li == 0 {
			p.byLang = make([]*pageOf[T], len(tags))
			for i := range p.byLang {
				p.byLang[i] = p
			}
			byID[bp.ID] = p
			if bp.ID == m.Site.CrashlogPage {
				ar.crashlogPage = len(ar.pages)
			}
			ar.pages = append(ar.pages, p)
		} else {
			translations[[2]string{bp.ID, bp.Lang}] = p
		}
	}
	for _, bp := range m.Pages {
		if bp.Lang == "" {
			continue
		}
		def, ok := byID[bp.ID]
		if !ok {
			return nil, 0, fmt.Errorf("page %s (%s): a translation of no page", bp.ID, bp.Lang)
		}
		def.byLang[slices.Index(tags, bp.Lang)] = translations[[2]string{bp.ID, bp.Lang}]
	}
	return ar, formats, nil
}
