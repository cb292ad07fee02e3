package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
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
	arranged[*output]
	theme    string
	formats  formatSet // the formats any page has
	loadedAt time.Time
	// brands are the brands served beside this bundle; nil without any.
	brands *brandSet
	// defaultRequests counts the default brand's requests when there are
	// brands.
	defaultRequests *atomic.Uint64
	// ready is closed once every output has its compressed forms (see
	// compressLater); until then outputs go out as they are.
	ready chan struct{}
	src   *bundle.Bundle // the bundle, for compressing; nil once done
	jobs  []*output      // the outputs to compress; nil once done
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
	// key says what makes this output the same as another: outputs of
	// brands with the same key are held once (see brandCache).
	key outKey
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
	// varies holds each Vary value, by crashlog slot and several
	// languages, so outputs share them (see setVaries).
	varies [2][2]string
}

// setVaries makes the Vary values varyFor returns.
func (o *prepareOptions) setVaries() {
	for i, v := range []string{o.vary, o.varyCrashlog} {
		o.varies[i] = [2]string{v, v + ", " + o.varyLang}
	}
}

// varyFor returns the Vary value of page bp, with a crashlog slot or not, in
// a bundle with several languages or one. replaceable says the bundle has a
// crashlog page that may stand in for a 5xx page, so those vary like
// crashlog pages.
func (o *prepareOptions) varyFor(bp *bundle.Page, slot, replaceable, langs bool) string {
	i, j := 0, 0
	if slot || replaceable && bp.Status/100 == 5 {
		i = 1
	}
	if langs {
		j = 1
	}
	return o.varies[i][j]
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
	o.setVaries()
	var jobs []*output
	ar, formats, err := arrange(&b.Manifest, o.defaultStatus, newKeys, newLanguages,
		func(langs *languages, bp *bundle.Page, li int, fi bundle.Format, f bundle.File) (*output, error) {
			v, err := newOutput(b.Files[f.Name], bp, fi, f, langs, li, b.Manifest.Site.CrashlogPage != "", o)
			if err == nil {
				jobs = append(jobs, v)
			}
			return v, err
		})
	if err != nil {
		return nil, err
	}
	s := &prepared{arranged: *ar, theme: b.Manifest.Theme, formats: formats, loadedAt: time.Now()}
	s.ready, s.src, s.jobs = make(chan struct{}), b, jobs
	return s, nil
}

// newOutput prepares data, the file f of page bp in format fi and language
// li of langs (nil: the bundle has one language). replaceable says the
// bundle has a crashlog page (see varyFor).
func newOutput(data []byte, bp *bundle.Page, fi bundle.Format, f bundle.File, langs *languages, li int, replaceable bool, o prepareOptions) (*output, error) {
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
		hVary:  []string{o.varyFor(bp, l.Has(bundle.KindCrashlog), replaceable, langs != nil)},
	}
	if langs != nil {
		v.hLang = langs.hContent[li]
	}
	if bp.RetryAfter > 0 {
		v.hRetry = []string{strconv.Itoa(bp.RetryAfter)}
	}
	v.key = keyOf(bp, fi, f, v)
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
			v.z.Store(zsetOf(v, c.forms(b, v, gen)))
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

// zsetOf returns v's compressed forms from z, the forms of its body.
func zsetOf(v *output, z *zforms) *zset {
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
	return zs
}

// newForms makes the forms of v's body: gz and br are the bundle's
// precompressed siblings, used when they decode to the body, else made.
func newForms(v *output, gz, br []byte, brotliQuality int) *zforms {
	z := &zforms{layout: layout(v)}
	if decodesTo(gz, "gzip", v.body) {
		z.gz = gz
	} else {
		z.gz = bundle.Gzip(v.body)
	}
	if decodesTo(br, "br", v.body) {
		z.br = br
	} else {
		z.br = bundle.Brotli(v.body, brotliQuality)
	}
	z.own, z.fill = stitchForms(v)
	return z
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
	z = newForms(v, b.Files[v.file+bundle.EncodingSuffix("gzip")], b.Files[v.file+bundle.EncodingSuffix("br")], c.brotliQuality)
	z.gen = gen
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

// decodesTo reports whether z, compressed with enc ("gzip", "br"), decodes
// to body: a precompressed sibling is used only then.
func decodesTo(z []byte, enc string, body []byte) bool {
	if z == nil {
		return false
	}
	var r io.Reader = brotli.NewReader(bytes.NewReader(z))
	if enc == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			return false
		}
		r = zr
	}
	got, err := io.ReadAll(io.LimitReader(r, int64(len(body))+1))
	return err == nil && bytes.Equal(got, body)
}

// smaller returns z when it saves bytes over plain, else nil.
func smaller(z, plain []byte) []byte {
	if len(z) == 0 || len(z) >= len(plain) {
		return nil
	}
	return z
}
