package server

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/ouchie/ouchie/generator/bundle"
)

// prepared is a bundle prepared for serving: every page × format as ready
// bytes and header values, so a request is a lookup plus a write. It is
// immutable once built; a reload builds a new one and swaps it in.
type prepared struct {
	theme string
	// pages are the default language's, in manifest order (keys index
	// them); each holds its translations.
	pages   []*page
	langs   *languages // nil with one language
	keys    *keys
	formats formatSet // the formats any page has
	// crashlogPage, an index into pages, replaces a 502, 503 or 504 page
	// when the request's crashlog is found; -1 for none (see
	// bundle.Settings.CrashlogPage).
	crashlogPage int
	loadedAt     time.Time
	// ready is closed once every output has its compressed forms (see
	// compressLater); until then outputs go out as they are.
	ready chan struct{}
	src   *bundle.Bundle // the bundle, for compressing; nil once done
	jobs  []*output      // the outputs to compress; nil once done
}

// page is one error page of the bundle in one language: its outputs by
// format.
type page struct {
	out [bundle.NumFormats]*output
	has formatSet
	// byLang is the page in each of the bundle's languages, by index: a
	// translation, or the page itself where it has none (and at 0). Nil
	// on translations.
	byLang []*page
	// crashlog says the page shows crashlogs (bundle.Page.Crashlog).
	crashlog bool
}

// output is one page in one format.
type output struct {
	*bundle.Layout
	file string
	// body is the page with every slot at its default.
	body []byte
	// z holds the compressed forms, made after the bundle is served; nil
	// until then.
	z atomic.Pointer[zset]
	// Prebuilt header values: map assignment of these never allocates.
	hType, hLen, hRetry, hVary []string
	hLang                      []string // Content-Language, with several languages
	counts                     *statusCounts
}

// zset is an output's compressed forms.
type zset struct {
	// gz and br are the body as gzip and brotli; nil where compressing
	// does not pay.
	gz, br []byte
	// own and fill are the gzip forms of the page with a request id filled
	// in, the second with the status too (a fallback page); nil where
	// there is nothing to fill or compressing does not pay.
	own, fill *stitched
	// Their Content-Length values.
	hLenGz, hLenBr []string
}

// Header values shared by every response. Each slice has len == cap, so an
// append by anyone downstream copies rather than writes into it.
var (
	hNoStore = []string{"no-store"}
	hGzip    = []string{"gzip"}
	hBrotli  = []string{"br"}
	// pageHeaders are bundle.Headers, the headers every page carries.
	pageHeaders = func() (h [len(bundle.Headers)]struct {
		key   string
		value []string
	}) {
		for i, ph := range bundle.Headers {
			h[i].key, h[i].value = ph.Name, []string{ph.Value}
		}
		return h
	}()
)

// prepareOptions carries what preparation needs beyond the bundle.
type prepareOptions struct {
	defaultStatus int    // 0: the manifest's
	vary          string // Vary for ordinary pages
	varyCrashlog  string // Vary for pages with a crashlog slot
	varyLang      string // added to Vary when the bundle has several languages
	metrics       *metrics
}

// compressLater makes the compressed forms of st's outputs in the
// background, so a bundle is served as soon as it is prepared: compressing
// every page of a site in 21 languages at brotli's best takes far longer
// than starting should. Until an output's forms are ready it goes out as
// is; forms of bodies the last bundles had are reused at once.
func (st *prepared) compressLater(c *compressor) {
	src, jobs := st.src, st.jobs
	st.src, st.jobs = nil, nil
	go func() {
		c.compress(src, jobs)
		close(st.ready)
	}()
}

// prepare validates b and builds its serving form.
func prepare(b *bundle.Bundle, o prepareOptions) (*prepared, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	m := &b.Manifest
	def := o.defaultStatus
	if def == 0 {
		def = m.Site.DefaultStatus
	}
	if def == 0 {
		def = 404
	}
	var defaults []bundle.Page // the default language's pages
	for _, bp := range m.Pages {
		if bp.Lang == "" {
			defaults = append(defaults, bp)
		}
	}
	k, err := newKeys(defaults, def)
	if err != nil {
		return nil, err
	}
	tags := []string{cmp.Or(m.Site.Lang, "en")}
	for _, t := range m.Site.Languages {
		if t != tags[0] {
			tags = append(tags, t)
		}
	}
	s := &prepared{theme: m.Theme, keys: k, langs: newLanguages(tags), crashlogPage: -1, loadedAt: time.Now()}
	if s.langs != nil {
		o.vary += ", " + o.varyLang
		o.varyCrashlog += ", " + o.varyLang
	}
	byID := map[string]*page{}
	translations := map[[2]string]*page{}
	var jobs []*output
	for _, bp := range m.Pages {
		li := slices.Index(tags, cmp.Or(bp.Lang, tags[0]))
		p := &page{crashlog: bp.Crashlog}
		for name, f := range bp.Files {
			fi, ok := servedFormat(name)
			if !ok {
				continue // the HAProxy errorfile is not served
			}
			v, err := newOutput(b, &bp, fi, f, o, m.Site.CrashlogPage != "")
			if err != nil {
				return nil, err
			}
			if s.langs != nil {
				v.hLang = s.langs.hContent[li]
			}
			p.out[fi] = v
			p.has |= 1 << fi
			jobs = append(jobs, v)
		}
		if p.has == 0 {
			return nil, fmt.Errorf("page %s: no html, json, txt or xml file", bp.ID)
		}
		s.formats |= p.has
		if li == 0 {
			p.byLang = make([]*page, len(tags))
			for i := range p.byLang {
				p.byLang[i] = p
			}
			byID[bp.ID] = p
			if bp.ID == m.Site.CrashlogPage {
				s.crashlogPage = len(s.pages)
			}
			s.pages = append(s.pages, p)
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
			return nil, fmt.Errorf("page %s (%s): a translation of no page", bp.ID, bp.Lang)
		}
		li := slices.Index(tags, bp.Lang)
		def.byLang[li] = translations[[2]string{bp.ID, bp.Lang}]
	}
	s.ready, s.src, s.jobs = make(chan struct{}), b, jobs
	return s, nil
}

// newOutput prepares one page in one format. replaceable says the site has
// a crashlog page that may stand in for a 5xx page, so those vary like
// crashlog pages.
func newOutput(b *bundle.Bundle, bp *bundle.Page, fi bundle.Format, f bundle.File, o prepareOptions, replaceable bool) (*output, error) {
	data := b.Files[f.Name]
	l, err := bundle.NewLayout(data, f, fi)
	if err != nil {
		return nil, fmt.Errorf("page %s: %w", bp.ID, err)
	}
	if l.Has(bundle.KindCrashlog) && !bp.Crashlog {
		return nil, fmt.Errorf("page %s: %s has a crashlog slot but the page does not show crashlogs", bp.ID, f.Name)
	}
	v := &output{
		Layout: l,
		file:   f.Name,
		body:   data,
		hType:  []string{bundle.ContentType(fi.Name())},
		hLen:   []string{strconv.Itoa(len(data))},
		hVary:  []string{o.vary},
	}
	if l.Has(bundle.KindCrashlog) || replaceable && bp.Status/100 == 5 {
		v.hVary = []string{o.varyCrashlog}
	}
	if bp.RetryAfter > 0 {
		v.hRetry = []string{strconv.Itoa(bp.RetryAfter)}
	}
	v.counts = o.metrics.counts(bp.ID, fi.Name())
	return v, nil
}

// compressor makes the gzip and brotli forms of static bodies. It keeps them
// by checksum across reloads, so an unchanged page is compressed once; a
// bundle's own precompressed siblings are used as they are. Forms unused by
// the last two bundles are dropped, so flipping between two bundles
// compresses nothing.
type compressor struct {
	brotliQuality int
	mu            sync.Mutex
	gen           int
	cache         map[string]*zforms
}

// zforms are the compressed forms of one body, and the last bundle
// generation that used them. The stitched forms depend on where the slots
// are too, which layout records.
type zforms struct {
	gz, br    []byte
	own, fill *stitched
	layout    string
	gen       int
}

func newCompressor(brotliQuality int) *compressor {
	return &compressor{brotliQuality: brotliQuality, cache: map[string]*zforms{}}
}

// compress fills gz and br of every output, in parallel.
func (c *compressor) compress(b *bundle.Bundle, vs []*output) {
	c.mu.Lock()
	c.gen++
	gen := c.gen
	c.mu.Unlock()
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, v := range vs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			z := c.forms(b, v, gen)
			zs := &zset{gz: smaller(z.gz, v.body), br: smaller(z.br, v.body), own: z.own, fill: z.fill}
			if z.layout != layout(v) { // the same bytes with other slots
				zs.own, zs.fill = stitchForms(v)
			}
			if zs.gz != nil {
				zs.hLenGz = []string{strconv.Itoa(len(zs.gz))}
			}
			if zs.br != nil {
				zs.hLenBr = []string{strconv.Itoa(len(zs.br))}
			}
			v.z.Store(zs)
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for sum, z := range c.cache {
		if z.gen < gen-1 {
			delete(c.cache, sum)
		}
	}
}

func (c *compressor) forms(b *bundle.Bundle, v *output, gen int) *zforms {
	sum := bundle.Sum(v.body)
	c.mu.Lock()
	z, ok := c.cache[sum]
	if ok {
		z.gen = gen
	}
	c.mu.Unlock()
	if ok {
		return z
	}
	z = &zforms{gz: siblingOf(b, v, "gzip"), br: siblingOf(b, v, "br"), layout: layout(v), gen: gen}
	z.own, z.fill = stitchForms(v)
	if z.gz == nil {
		z.gz = bundle.Gzip(v.body)
	}
	if z.br == nil {
		z.br = bundle.Brotli(v.body, c.brotliQuality)
	}
	c.mu.Lock()
	c.cache[sum] = z
	c.mu.Unlock()
	return z
}

// stitchForms makes v's gzip forms for filled slots: with the request id
// filled in, and with the status too.
func stitchForms(v *output) (own, fill *stitched) {
	own = newStitched(v, func(k bundle.SlotKind) bool { return k == bundle.KindRequestID })
	fill = own
	if v.Has(bundle.KindStatus) {
		fill = newStitched(v, func(k bundle.SlotKind) bool { return k == bundle.KindRequestID || k == bundle.KindStatus })
	}
	return own, fill
}

// layout describes where v's slots are: their kinds, the lengths of the
// segments and defaults between them, and what their values go between.
func layout(v *output) string {
	var b []byte
	for i, seg := range v.Segs {
		b = strconv.AppendInt(b, int64(len(seg)), 10)
		if i < len(v.Kinds) {
			b = append(b, ' ', byte('a'+v.Kinds[i]))
			b = strconv.AppendInt(b, int64(len(v.Defaults[i])), 10)
			b = strconv.AppendQuote(append(b, ' '), string(v.Wraps[i].Before))
			b = strconv.AppendQuote(b, string(v.Wraps[i].After))
			b = append(b, ' ')
		}
	}
	return string(b)
}

// siblingOf returns the bundle's precompressed sibling of v's file when it
// has one that decodes to the file's bytes.
func siblingOf(b *bundle.Bundle, v *output, enc string) []byte {
	z, ok := b.Files[v.file+bundle.EncodingSuffix(enc)]
	if !ok {
		return nil
	}
	var r io.Reader = brotli.NewReader(bytes.NewReader(z))
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			return nil
		}
		r = zr
	}
	got, err := io.ReadAll(io.LimitReader(r, int64(len(v.body))+1))
	if err != nil || !bytes.Equal(got, v.body) {
		return nil
	}
	return z
}

// smaller returns z when it saves bytes over plain, else nil.
func smaller(z, plain []byte) []byte {
	if len(z) == 0 || len(z) >= len(plain) {
		return nil
	}
	return z
}
