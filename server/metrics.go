package server

import (
	"bufio"
	"cmp"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ouchie/ouchie/server/crashlog"
)

// statusCounts counts the responses of one page × format by status: index 0
// is 200 (--always-200), 1 + status-400 the error statuses.
type statusCounts [2 + maxStatus - minStatus]atomic.Uint64

func (c *statusCounts) inc(status int) {
	switch {
	case status >= minStatus && status <= maxStatus:
		c[1+status-minStatus].Add(1)
	default:
		c[0].Add(1)
	}
}

func countIndexStatus(i int) int {
	if i == 0 {
		return http.StatusOK
	}
	return minStatus + i - 1
}

// Crashlog decisions, the label of ouchie_crashlog_requests_total.
const (
	logShown = iota
	logNoApp
	logBadApp
	logUnauthorized
	logMissing
	numLogResults
)

var logResultNames = [numLogResults]string{"shown", "no_app", "bad_app", "unauthorized", "missing"}

// metrics holds the server's counters. Page counters are created when a
// bundle is prepared and kept across reloads, keyed by page and format, so a
// request only ever touches atomics. They are written in the Prometheus text
// format by hand.
type metrics struct {
	mu     sync.Mutex
	pages  map[pageFormat]*statusCounts
	logs   [numLogResults]atomic.Uint64
	reload atomic.Uint64
	failed atomic.Uint64
	panics atomic.Uint64
	// source counts the crashlog source's failures (Redis down), when it can fail.
	source crashlog.FailureCounter
	// forgedXFF counts X-Forwarded-For headers from trusted proxies holding
	// an entry that is not an IP address.
	forgedXFF atomic.Uint64
	// sourceMetrics writes the crashlog source's own metrics, or is nil.
	sourceMetrics crashlog.MetricsWriter
	// brands counts requests by brand (bundle.DefaultBrand for the site
	// itself), created as brands are loaded and kept across reloads.
	brands map[string]*brandCounts
	// cache is the server's brand cache, whose counters are written too.
	cache *brandCache
}

// brandCounts counts one brand's requests, and those answered with the
// default brand's page because the brand's files could not be read.
type brandCounts struct{ requests, fallbacks atomic.Uint64 }

// brand returns the counters of a brand, creating them once.
func (m *metrics) brand(id string) *brandCounts {
	return lookupOrAdd(&m.mu, m.brands, id, func() *brandCounts { return new(brandCounts) })
}

// lookupOrAdd returns m[k], under mu, adding newV() there first if m has
// no k.
func lookupOrAdd[K comparable, V any](mu *sync.Mutex, m map[K]V, k K, newV func() V) V {
	mu.Lock()
	defer mu.Unlock()
	v, ok := m[k]
	if !ok {
		v = newV()
		m[k] = v
	}
	return v
}

type pageFormat struct{ page, format string }

func newMetrics() *metrics {
	return &metrics{pages: map[pageFormat]*statusCounts{}, brands: map[string]*brandCounts{}}
}

// counts returns the counters of a page × format, creating them once.
func (m *metrics) counts(page, format string) *statusCounts {
	return lookupOrAdd(&m.mu, m.pages, pageFormat{page, format}, func() *statusCounts { return new(statusCounts) })
}

// write writes every metric in the Prometheus text exposition format.
func (m *metrics) write(w io.Writer, st *prepared) error {
	bw := bufio.NewWriter(w)
	m.mu.Lock()
	keys := make([]pageFormat, 0, len(m.pages))
	for k := range m.pages {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	slices.SortFunc(keys, func(a, b pageFormat) int {
		return cmp.Or(cmp.Compare(a.page, b.page), cmp.Compare(a.format, b.format))
	})

	bw.WriteString("# HELP ouchie_requests_total Error pages served, by response status, page and format.\n")
	bw.WriteString("# TYPE ouchie_requests_total counter\n")
	for _, k := range keys {
		m.mu.Lock()
		c := m.pages[k]
		m.mu.Unlock()
		for i := range c {
			n := c[i].Load()
			if n == 0 {
				continue
			}
			bw.WriteString(`ouchie_requests_total{status="`)
			bw.WriteString(strconv.Itoa(countIndexStatus(i)))
			bw.WriteString(`",page="`)
			bw.WriteString(k.page) // page ids and formats are [a-z0-9-]
			bw.WriteString(`",format="`)
			bw.WriteString(k.format)
			bw.WriteString(`"} `)
			bw.WriteString(strconv.FormatUint(n, 10))
			bw.WriteByte('\n')
		}
	}

	bw.WriteString("# HELP ouchie_crashlog_requests_total Requests for a page with a crashlog slot (or one the crashlog page may replace), by what was decided about the log.\n")
	bw.WriteString("# TYPE ouchie_crashlog_requests_total counter\n")
	for i := range m.logs {
		writeSample(bw, `ouchie_crashlog_requests_total{result="`+logResultNames[i]+`"}`, m.logs[i].Load())
	}
	counter(bw, "ouchie_crashlogs_shown_total", "Crashlogs shown on a page.", m.logs[logShown].Load())
	if m.source != nil {
		f := m.source.Failures()
		counter(bw, "ouchie_crashlog_source_errors_total", "Crashlog lookups that failed or timed out (a shared store down or slow); the page was served without the log.", f.Errors)
		counter(bw, "ouchie_crashlog_source_skipped_total", "Crashlog lookups skipped while the shared store was known to be down; the page was served without the log.", f.Skipped)
	}
	counter(bw, "ouchie_reloads_total", "Bundles loaded and swapped in after the first.", m.reload.Load())
	counter(bw, "ouchie_reload_failures_total", "Reloads that failed; the previous bundle kept serving.", m.failed.Load())
	counter(bw, "ouchie_panics_total", "Requests whose handler panicked (answered 500).", m.panics.Load())
	counter(bw, "ouchie_forwarded_for_ignored_total", "X-Forwarded-For headers from a trusted proxy ignored for an entry that is not an IP address.", m.forgedXFF.Load())

	if m.sourceMetrics != nil {
		m.sourceMetrics.WriteMetrics(bw)
	}
	m.writeBrands(bw, st)

	bw.WriteString("# HELP ouchie_bundle_pages Pages in the bundle being served.\n# TYPE ouchie_bundle_pages gauge\n")
	writeSample(bw, "ouchie_bundle_pages", uint64(len(st.pages)))
	bw.WriteString("# HELP ouchie_bundle_loaded_timestamp_seconds When the bundle being served was loaded.\n# TYPE ouchie_bundle_loaded_timestamp_seconds gauge\n")
	writeSample(bw, "ouchie_bundle_loaded_timestamp_seconds", uint64(st.loadedAt.Unix()))
	return bw.Flush()
}

func counter(bw *bufio.Writer, name, help string, n uint64) {
	bw.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n")
	writeSample(bw, name, n)
}

func writeSample(bw *bufio.Writer, name string, n uint64) {
	bw.WriteString(name)
	bw.WriteByte(' ')
	bw.WriteString(strconv.FormatUint(n, 10))
	bw.WriteByte('\n')
}

// writeBrands writes the brand metrics, when there are brands: requests by
// brand (the label takes brand ids only, so its values are bounded by the
// brands loaded), and the brand cache's counters.
func (m *metrics) writeBrands(bw *bufio.Writer, st *prepared) {
	m.mu.Lock()
	ids := make([]string, 0, len(m.brands))
	for id := range m.brands {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	for _, metric := range []struct {
		name, help string
		n          func(*brandCounts) uint64
	}{
		{"ouchie_brand_requests_total", "Error pages served, by the brand the request matched (default: none).",
			func(c *brandCounts) uint64 { return c.requests.Load() }},
		{"ouchie_brand_fallbacks_total", "Requests of a brand answered with the default brand's page, its own being unreadable.",
			func(c *brandCounts) uint64 { return c.fallbacks.Load() }},
	} {
		bw.WriteString("# HELP " + metric.name + " " + metric.help + "\n# TYPE " + metric.name + " counter\n")
		for _, id := range ids {
			m.mu.Lock()
			c := m.brands[id]
			m.mu.Unlock()
			writeSample(bw, metric.name+`{brand="`+id+`"}`, metric.n(c)) // brand ids are [a-z0-9-]
		}
	}
	c := m.cache
	counter(bw, "ouchie_brand_cache_hits_total", "Brand outputs found loaded (or held for another brand or the default).", c.hits.Load())
	counter(bw, "ouchie_brand_cache_misses_total", "Brand outputs read from disk.", c.misses.Load())
	counter(bw, "ouchie_brand_cache_evictions_total", "Brand outputs and manifests dropped to stay within the cache's bound.", c.evictions.Load())
	counter(bw, "ouchie_brand_cache_failures_total", "Brand manifests or outputs that could not be read or did not match their checksum.", c.failures.Load())
	bw.WriteString("# HELP ouchie_brand_cache_bytes Bytes the brand cache holds (outputs and their compressed forms).\n# TYPE ouchie_brand_cache_bytes gauge\n")
	writeSample(bw, "ouchie_brand_cache_bytes", uint64(max(c.bytes.Load(), 0)))
	c.mu.Lock()
	pending, manifests := len(c.queue), len(c.held)
	c.mu.Unlock()
	bw.WriteString("# HELP ouchie_brand_cache_manifests Brands whose manifests the brand cache holds.\n# TYPE ouchie_brand_cache_manifests gauge\n")
	writeSample(bw, "ouchie_brand_cache_manifests", uint64(manifests))
	bw.WriteString("# HELP ouchie_brand_cache_compress_pending Brand outputs served as they are until their compressed forms are made.\n# TYPE ouchie_brand_cache_compress_pending gauge\n")
	writeSample(bw, "ouchie_brand_cache_compress_pending", uint64(pending))
	bw.WriteString("# HELP ouchie_brand_cache_limit_bytes The brand cache's bound.\n# TYPE ouchie_brand_cache_limit_bytes gauge\n")
	writeSample(bw, "ouchie_brand_cache_limit_bytes", uint64(c.limit))
	bw.WriteString("# HELP ouchie_brands Brands served beside the default.\n# TYPE ouchie_brands gauge\n")
	writeSample(bw, "ouchie_brands", uint64(st.brandCount()))
}
