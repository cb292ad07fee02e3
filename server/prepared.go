package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/ouchie/ouchie/generator/bundle"
)

// site is a bundle prepared for serving: every page × format as ready bytes
// and header values, so a request is a lookup plus a write. It is immutable
// once built; a reload builds a new one and swaps it in.
type site struct {
	theme    string
	name     string
	pages    []*page
	keys     *keys
	formats  formatSet // the formats any page has
	loadedAt time.Time
}

// page is one error page of the bundle.
type page struct {
	id       string
	crashlog bool
	out      [numFormats]*variant
	has      formatSet
}

// Kinds of slot, by index into a variant's slots.
const (
	slotStatus = iota
	slotRequestID
	slotCrashlog
)

// variant is one page in one format.
type variant struct {
	format int
	file   string
	// segs are the literal bytes around the slots: segs[0] slot[0] segs[1] ...
	segs     [][]byte
	slots    []int
	defaults [][]byte // each slot's default bytes
	hasSlot  [3]bool
	// body is the page with every slot at its default, as identity, gzip
	// and brotli; gz and br are nil where compressing does not pay.
	body, gz, br []byte
	// gzOwn and gzFill are the gzip forms of the page with a request id
	// filled in, the second with the status too (a fallback page); nil
	// where there is nothing to fill or compressing does not pay.
	gzOwn, gzFill *stitched
	// Prebuilt header values: map assignment of these never allocates.
	hType, hLen, hLenGz, hLenBr, hRetry, hVary []string
	counts                                     *statusCounts
}

// Header values shared by every response. Each slice has len == cap, so an
// append by anyone downstream copies rather than writes into it.
var (
	hNoStore = []string{"no-store"}
	hNosniff = []string{"nosniff"}
	hNoIndex = []string{"noindex"}
	hCSP     = []string{"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"}
	hGzip    = []string{"gzip"}
	hBrotli  = []string{"br"}
)

// prepareOptions carries what preparation needs beyond the bundle.
type prepareOptions struct {
	defaultStatus int    // 0: the manifest's
	vary          string // Vary for ordinary pages
	varyCrashlog  string // Vary for pages with a crashlog slot
	zip           *compressor
	metrics       *metrics
}

// prepare validates b and builds its serving form.
func prepare(b *bundle.Bundle, o prepareOptions) (*site, error) {
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
	k, err := newKeys(m.Pages, def)
	if err != nil {
		return nil, err
	}
	s := &site{theme: m.Theme, name: m.Site.Name, keys: k, loadedAt: time.Now()}
	var jobs []*variant
	for _, bp := range m.Pages {
		p := &page{id: bp.ID, crashlog: bp.Crashlog}
		for name, f := range bp.Files {
			fi := formatIndex(name)
			if fi < 0 {
				continue // the HAProxy errorfile is not served
			}
			v, err := newVariant(b, &bp, fi, f, o)
			if err != nil {
				return nil, err
			}
			p.out[fi] = v
			p.has |= 1 << fi
			jobs = append(jobs, v)
		}
		if p.has == 0 {
			return nil, fmt.Errorf("page %s: no html, json, txt or xml file", bp.ID)
		}
		s.formats |= p.has
		s.pages = append(s.pages, p)
	}
	o.zip.compress(b, jobs)
	return s, nil
}

func newVariant(b *bundle.Bundle, bp *bundle.Page, fi int, f bundle.File, o prepareOptions) (*variant, error) {
	data := b.Files[f.Name]
	v := &variant{
		format: fi,
		file:   f.Name,
		segs:   bundle.Segments(data, f),
		body:   data,
		hType:  []string{bundle.ContentType(formatNames[fi])},
		hLen:   []string{strconv.Itoa(len(data))},
		hVary:  []string{o.vary},
	}
	for _, sl := range f.Slots {
		kind := -1
		switch sl.Name {
		case bundle.SlotStatus:
			kind = slotStatus
		case bundle.SlotRequestID:
			kind = slotRequestID
		case bundle.SlotCrashlog:
			kind = slotCrashlog
			if !bp.Crashlog {
				return nil, fmt.Errorf("page %s: %s has a crashlog slot but the page does not show crashlogs", bp.ID, f.Name)
			}
		}
		if kind < 0 {
			return nil, fmt.Errorf("page %s: %s: unknown slot %q", bp.ID, f.Name, sl.Name)
		}
		v.slots = append(v.slots, kind)
		v.defaults = append(v.defaults, data[sl.Offset:sl.Offset+sl.Len])
		v.hasSlot[kind] = true
	}
	if v.hasSlot[slotCrashlog] {
		v.hVary = []string{o.varyCrashlog}
	}
	if bp.RetryAfter > 0 {
		v.hRetry = []string{strconv.Itoa(bp.RetryAfter)}
	}
	v.counts = o.metrics.counts(bp.ID, formatNames[fi])
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

// compress fills gz and br of every variant, in parallel.
func (c *compressor) compress(b *bundle.Bundle, vs []*variant) {
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
			v.gz, v.br = smaller(z.gz, v.body), smaller(z.br, v.body)
			v.gzOwn, v.gzFill = z.own, z.fill
			if z.layout != layout(v) { // the same bytes with other slots
				v.gzOwn, v.gzFill = stitchForms(v)
			}
			if v.gz != nil {
				v.hLenGz = []string{strconv.Itoa(len(v.gz))}
			}
			if v.br != nil {
				v.hLenBr = []string{strconv.Itoa(len(v.br))}
			}
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

func (c *compressor) forms(b *bundle.Bundle, v *variant, gen int) *zforms {
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
func stitchForms(v *variant) (own, fill *stitched) {
	own = newStitched(v, func(kind int) bool { return kind == slotRequestID })
	fill = own
	if v.hasSlot[slotStatus] {
		fill = newStitched(v, func(kind int) bool { return kind == slotRequestID || kind == slotStatus })
	}
	return own, fill
}

// layout describes where v's slots are: their kinds and the lengths of the
// segments and defaults between them.
func layout(v *variant) string {
	var b []byte
	for i, seg := range v.segs {
		b = strconv.AppendInt(b, int64(len(seg)), 10)
		if i < len(v.slots) {
			b = append(b, ' ', byte('a'+v.slots[i]))
			b = strconv.AppendInt(b, int64(len(v.defaults[i])), 10)
			b = append(b, ' ')
		}
	}
	return string(b)
}

// siblingOf returns the bundle's precompressed sibling of v's file when it
// has one that decodes to the file's bytes.
func siblingOf(b *bundle.Bundle, v *variant, enc string) []byte {
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
