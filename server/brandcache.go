package server

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// A brand's pages are loaded on its first request, not at start: a
// thousand brands of a hundred outputs each would take seconds and
// gigabytes to prepare, most of them never asked for. brandPages is a
// brand's manifest arranged for resolving (keys, languages, pages), each
// format of a page an outSlot; an outSlot's output is read from disk,
// checked against the manifest's SHA-256 and prepared on the first request
// that needs it, and held in the brandCache:
//
//   - by content (outKey): outputs that are the same for several brands (or
//     the same as the default bundle's) are held once, and a brand whose
//     slot names a held output takes it without reading the file;
//   - within a byte bound (Config.BrandCacheBytes), the least recently used
//     going first, so memory stays bounded however many brands are asked
//     for; brands' manifests count against it too (slotCost per page ×
//     format), and go the same way;
//   - once per burst: concurrent first requests wait for one read;
//   - never failing a request: a manifest or file that cannot be read or
//     does not match its checksum gets the request the default bundle's page
//     (counted, and logged at most once a minute); it is tried again after
//     retryAfterFailure.
//
// Compressed forms come from the bundle's .br/.gz siblings when it has them,
// else they are made in the background (brotli at brandBrotliQuality) while
// the output is served as is.

// brandPages is a brand's bundle arranged for serving, its outputs loaded on
// demand.
type brandPages struct {
	arranged[*outSlot]
	id   string
	fsys fs.FS
	opts *prepareOptions
	// b is the brand, whose pages these are until the cache drops them;
	// size is what they cost, used their last use (as centry's).
	b    *brand
	size int64
	used atomic.Uint64
}

// outSlot is where one output of a brand is held once loaded. A thousand
// brands of a hundred outputs make 100,000 slots, so a slot keeps little:
// its file's entry without the checksum (the key has it) and with slots
// shared by every file that has the same (see brandCache.share).
type outSlot struct {
	src  *brandPages
	page *bundle.Page // what newOutput needs of it (see arrangeBrand)
	file bundle.File
	fi   bundle.Format
	li   int
	key  outKey
	e    atomic.Pointer[centry]
	// failed is when reading the file last failed (unix ns), or 0.
	failed atomic.Int64
}

// Defaults of the brand cache.
const (
	// DefaultBrandCacheBytes bounds the memory brands' outputs take.
	DefaultBrandCacheBytes = 64 << 20
	// brandBrotliQuality compresses brand outputs without a .br sibling:
	// fast enough to do for every brand asked for, unlike 11.
	brandBrotliQuality = 5
	// outputOverhead is what an output costs beyond its bytes (its layout,
	// header values and bookkeeping), for the byte bound.
	outputOverhead = 1 << 10
	// slotCost is what a brand's manifest costs as held, per page × format.
	slotCost = 512
	// failureLogEvery is how often brand load failures are logged at most.
	failureLogEvery = time.Minute
)

// brandCache holds the brands' outputs (see above). The default bundle's
// outputs are in it too, pinned: brands share them, they are never evicted
// and do not count against the bound.
type brandCache struct {
	limit int64
	log   *slog.Logger

	mu      sync.Mutex
	entries map[outKey]*centry
	calls   map[outKey]*loadCall
	// held are the brands' manifests held (brandPages), which count
	// against the bound and go least recently used first, as outputs do.
	held map[*brandPages]struct{}
	// langs are the language sets of the bundles served, shared by every
	// brand with the same languages; keys the same for router keys.
	langs map[string]*languages
	keys  map[string]*keys
	// names and slots are file names and slot lists, shared by the slots
	// of every brand that has the same (see share).
	names map[string]string
	slots map[string][]bundle.Slot
	// queue holds outputs waiting for their compressed forms; compressing
	// says a goroutine is working through it.
	queue       []compressJob
	compressing bool

	bytes atomic.Int64 // held, pinned entries aside
	// epoch grows with each output loaded; an entry records the epoch of
	// its last use, so the oldest epochs go first.
	epoch                             atomic.Uint64
	hits, misses, evictions, failures atomic.Uint64
	// lastLog is when a failure was last logged (unix ns); suppressed
	// counts those not logged since.
	lastLog    atomic.Int64
	suppressed atomic.Uint64
	quality    int // brotli quality for outputs without a .br sibling
}

// centry is one output held.
type centry struct {
	out    *output
	size   int64
	pinned bool
	used   atomic.Uint64
	// holders are the slots pointing at this entry, cleared when it goes.
	holders []*outSlot
}

// loadCall is one read of an output in progress; other requests for it wait.
type loadCall struct {
	done chan struct{}
	e    *centry
}

type compressJob struct {
	e      *centry
	gz, br []byte // the bundle's siblings, or nil
}

func newBrandCache(limit int64, log *slog.Logger) *brandCache {
	if limit <= 0 {
		limit = DefaultBrandCacheBytes
	}
	return &brandCache{limit: limit, log: log, entries: map[outKey]*centry{}, calls: map[outKey]*loadCall{}, held: map[*brandPages]struct{}{},
		langs: map[string]*languages{}, keys: map[string]*keys{},
		names: map[string]string{}, slots: map[string][]bundle.Slot{}, quality: brandBrotliQuality}
}

// pin holds the default bundle's outputs, replacing the last bundle's, and
// forgets which slots hold what: a load makes new brands, whose slots
// attach again on their first request. Without brands it holds nothing.
func (c *brandCache) pin(st *prepared) {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.langs)
	clear(c.keys)
	clear(c.names)
	clear(c.slots)
	for p := range c.held {
		delete(c.held, p)
		c.bytes.Add(-p.size)
	}
	for k, e := range c.entries {
		if e.pinned || st.brands == nil {
			c.dropLocked(k, e)
			continue
		}
		e.holders = nil
	}
	if st.brands == nil {
		return
	}
	for _, p := range st.pages {
		for _, tp := range p.byLang {
			for _, v := range tp.out {
				if v != nil {
					if old, ok := c.entries[v.key]; ok {
						c.dropLocked(v.key, old)
					}
					c.entries[v.key] = &centry{out: v, pinned: true}
				}
			}
		}
	}
}

// get returns the slot's output, loading it on first use; nil when it
// cannot be read (the caller serves the default bundle's page).
func (c *brandCache) get(s *outSlot) *output {
	if e := s.e.Load(); e != nil {
		c.touch(e)
		c.hits.Add(1)
		return e.out
	}
	return c.load(s)
}

// touch records a use of e, writing only when the epoch moved on.
func (c *brandCache) touch(e *centry) { c.touchUsed(&e.used) }

// touchUsed records a use in used (an entry's or a manifest's).
func (c *brandCache) touchUsed(used *atomic.Uint64) {
	if ep := c.epoch.Load(); used.Load() != ep {
		used.Store(ep)
	}
}

// hold counts a brand's manifest just read against the bound.
func (c *brandCache) hold(p *brandPages) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p.used.Store(c.epoch.Add(1))
	c.held[p] = struct{}{}
	c.bytes.Add(p.size)
	c.evictLocked()
}

// dropPagesLocked forgets a brand's manifest: its next request reads it
// again. Its slots let go of their outputs, which stay held for others.
func (c *brandCache) dropPagesLocked(p *brandPages) {
	p.b.pages.CompareAndSwap(p, nil)
	for _, pg := range p.pages {
		for _, tp := range pg.byLang {
			for _, sl := range tp.out {
				if sl == nil {
					continue
				}
				if e := sl.e.Load(); e != nil {
					e.holders = slices.DeleteFunc(e.holders, func(h *outSlot) bool { return h == sl })
					sl.e.Store(nil)
				}
			}
		}
	}
	delete(c.held, p)
	c.bytes.Add(-p.size)
}

func (c *brandCache) load(s *outSlot) *output {
	if f := s.failed.Load(); f != 0 && time.Since(time.Unix(0, f)) < retryAfterFailure {
		return nil
	}
	c.mu.Lock()
	if e, ok := c.entries[s.key]; ok {
		c.attachLocked(e, s)
		c.mu.Unlock()
		c.touch(e)
		c.hits.Add(1)
		return e.out
	}
	if call, ok := c.calls[s.key]; ok {
		c.mu.Unlock()
		<-call.done
		if call.e == nil {
			return nil // that read failed: this request gets the default's page too
		}
		c.mu.Lock()
		if c.entries[s.key] == call.e {
			c.attachLocked(call.e, s)
		}
		c.mu.Unlock()
		c.hits.Add(1)
		return call.e.out
	}
	call := &loadCall{done: make(chan struct{})}
	c.calls[s.key] = call
	c.mu.Unlock()

	c.misses.Add(1)
	v, gz, br, err := s.read()
	c.mu.Lock()
	delete(c.calls, s.key)
	if err == nil {
		e := &centry{out: v, size: int64(len(v.body) + outputOverhead)}
		e.used.Store(c.epoch.Add(1))
		c.entries[s.key] = e
		c.bytes.Add(e.size)
		c.attachLocked(e, s)
		call.e = e
		c.queue = append(c.queue, compressJob{e: e, gz: gz, br: br})
		if !c.compressing {
			c.compressing = true
			go c.compressQueue()
		}
		c.evictLocked()
	}
	c.mu.Unlock()
	close(call.done)
	if err != nil {
		s.failed.Store(time.Now().UnixNano())
		c.fail(s.src.id, err)
		return nil
	}
	return v
}

// read reads the slot's file (and its precompressed siblings, when the
// manifest lists them), checks it and prepares it.
func (s *outSlot) read() (v *output, gz, br []byte, err error) {
	f := s.file
	f.SHA256 = hex.EncodeToString(s.key.sum[:])
	data, err := bundle.ReadFile(s.src.fsys, f)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("page %s: %w", s.page.ID, err)
	}
	if v, err = newOutput(data, s.page, s.fi, f, s.src.langs, s.li, s.src.crashlogPage >= 0, *s.src.opts); err != nil {
		return nil, nil, nil, err
	}
	// A sibling that cannot be read or does not decode to the file is
	// only a cost: the forms are made instead.
	if slices.Contains(s.file.Encodings, "gzip") {
		gz, _ = bundle.ReadSibling(s.src.fsys, s.file, "gzip")
	}
	if slices.Contains(s.file.Encodings, "br") {
		br, _ = bundle.ReadSibling(s.src.fsys, s.file, "br")
	}
	return v, gz, br, nil
}

// attachLocked points s at e. e keeps s among its holders (to empty it
// when e goes) unless e is pinned, or s's manifest was dropped meanwhile: a
// request still using it must not keep it alive through e.
func (c *brandCache) attachLocked(e *centry, s *outSlot) {
	if _, held := c.held[s.src]; held && !e.pinned {
		e.holders = append(e.holders, s)
	}
	s.e.Store(e)
}

// evictLocked drops the least recently used outputs and manifests while
// the cache holds more than its bound, down to seven eighths of it, so a
// full cache does not sort its entries on every load.
func (c *brandCache) evictLocked() {
	if c.bytes.Load() <= c.limit {
		return
	}
	type victim struct {
		used uint64
		k    outKey
		e    *centry
		p    *brandPages
	}
	var old []victim
	for k, e := range c.entries {
		if !e.pinned {
			old = append(old, victim{used: e.used.Load(), k: k, e: e})
		}
	}
	for p := range c.held {
		old = append(old, victim{used: p.used.Load(), p: p})
	}
	slices.SortFunc(old, func(a, b victim) int { return cmp.Compare(a.used, b.used) })
	for _, v := range old {
		if c.bytes.Load() <= c.limit-c.limit/8 {
			break
		}
		if v.p != nil {
			c.dropPagesLocked(v.p)
		} else {
			c.dropLocked(v.k, v.e)
		}
		c.evictions.Add(1)
	}
}

// dropLocked forgets an entry: the slots holding it load it again on their
// next request.
func (c *brandCache) dropLocked(k outKey, e *centry) {
	for _, s := range e.holders {
		s.e.CompareAndSwap(e, nil)
	}
	e.holders = nil
	delete(c.entries, k)
	if !e.pinned {
		c.bytes.Add(-e.size)
	}
}

// compressQueue makes the compressed forms of the queued outputs, one at a
// time (a burst of brands' first requests takes one core, not all), then
// ends.
func (c *brandCache) compressQueue() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.compressing = false
			c.mu.Unlock()
			return
		}
		job := c.queue[0]
		c.queue[0] = compressJob{}
		c.queue = c.queue[1:]
		held := c.entries[job.e.out.key] == job.e
		c.mu.Unlock()
		if !held {
			continue // evicted before its turn
		}
		v := job.e.out
		zs := zsetOf(v, newForms(v, job.gz, job.br, c.quality))
		v.z.Store(zs)
		grow := int64(zs.size())
		c.mu.Lock()
		if c.entries[v.key] == job.e {
			job.e.size += grow
			c.bytes.Add(grow)
			c.evictLocked()
		}
		c.mu.Unlock()
	}
}

// fail counts a brand's failed load and logs it, at most once a minute (the
// next line says how many were not logged).
func (c *brandCache) fail(brand string, err error) {
	c.failures.Add(1)
	now := time.Now().UnixNano()
	last := c.lastLog.Load()
	if now-last < int64(failureLogEvery) || !c.lastLog.CompareAndSwap(last, now) {
		c.suppressed.Add(1)
		return
	}
	c.log.Error("brand's pages unreadable; its requests get the default brand's pages", "brand", brand, "err", err,
		"failures_not_logged", c.suppressed.Swap(0), "retry_after", retryAfterFailure)
}

// size is what the compressed forms hold, in bytes.
func (z *zset) size() int {
	n := len(z.gz) + len(z.br) + z.own.size()
	if z.fill != z.own {
		n += z.fill.size()
	}
	return n
}

// size is what the stitched form holds, in bytes; 0 for nil.
func (st *stitched) size() int {
	if st == nil {
		return 0
	}
	n := 0
	for _, r := range st.runs {
		n += len(r.z) + 32
	}
	return n
}
