package server

import (
	"bytes"
	"container/list"
	"sync"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server/crashlog"
)

// Bounds of a logCache: a few MiB, so RSS stays within what an error-page
// server should take, and room for dozens of apps' 64 KiB logs at once.
// crashlog.DefaultMaxBytes leaves room for LogCacheBytes beside the store.
const (
	logCacheEntries = 64
	// LogCacheBytes bounds the memory the server spends on crashlogs
	// escaped for display, source slices it keeps alive included.
	LogCacheBytes = 4 << 20
)

// logCache keeps each shown crashlog escaped for each format, so a page
// showing it copies the escaped bytes instead of escaping up to 64 KiB per
// request.
//
// An entry is keyed by the query's key (app, or namespace and Service) and
// escaping (HTML and XML escape alike) and
// holds the very slice the crashlog.Source returned: a request hits only
// when the source returns that same slice (same address and length) again.
// The sources hand out a new slice for a new log and never modify one they
// have handed out, so a new log misses and replaces the entry. Holding the
// slice keeps it alive, so no other log can come to live at its address
// while the entry exists.
//
// It is bounded in entries and in bytes (the escaped copies and the source
// slices held), least recently used out first, and safe for concurrent use.
type logCache struct {
	maxEntries int
	maxBytes   int

	mu      sync.Mutex
	entries map[logKey]*list.Element // of *logEntry
	lru     list.List                // front: most recently used
	size    int
}

type logKey struct {
	q      crashlog.Query // without the viewer: see Query.Key
	escape bundle.Format  // the format, XML counted as HTML
}

type logEntry struct {
	key      logKey
	src, esc []byte
}

// weight is what an entry keeps in memory: the source slice (which may
// outlive its source's copy), the escaped copy unless it is the source
// itself, as allocated, the key's text, and the entry's bookkeeping.
func (e *logEntry) weight() int {
	// The list element, the entry, the map slot, the key (a crashlog.Query)
	// in both, and the map's room to grow, which depends on how full its
	// table is: measured from 415 to 480 bytes a small entry.
	const entryCost = 512
	w := cap(e.src) + len(e.key.q.App) + len(e.key.q.Namespace) + len(e.key.q.Service) + entryCost
	if !sameSlice(e.src, e.esc) {
		w += cap(e.esc)
	}
	return w
}

func newLogCache(maxEntries, maxBytes int) *logCache {
	return &logCache{maxEntries: maxEntries, maxBytes: maxBytes, entries: map[logKey]*list.Element{}}
}

// escaped returns the log the source returned for q (non-empty) cleaned,
// capped and escaped for format f, as bundle.AppendValue makes it. The
// caller must not modify the result.
func (c *logCache) escaped(q crashlog.Query, f bundle.Format, log []byte) []byte {
	k := logKey{q: q.Key(), escape: f}
	if f == bundle.FormatXML {
		k.escape = bundle.FormatHTML
	}
	c.mu.Lock()
	if el, ok := c.entries[k]; ok {
		if e := el.Value.(*logEntry); sameSlice(e.src, log) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return e.esc
		}
	}
	c.mu.Unlock()

	esc := bundle.AppendValue(make([]byte, 0, len(log)+len(log)/8), f, bundle.KindCrashlog, log, bundle.MaxCrashlog)
	switch {
	case bytes.Equal(esc, log):
		esc = log // text, and logs with nothing to escape: no copy kept
	case cap(esc) > len(esc)+len(esc)/8:
		esc = bytes.Clone(esc) // keep what the entry weighs close to its length
	}
	c.put(&logEntry{key: k, src: log, esc: esc})
	return esc
}

// put stores e in place of any entry for its key, then evicts down to the
// bounds. An entry that alone exceeds the byte bound is not kept.
func (c *logCache) put(e *logEntry) {
	w := e.weight()
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.key]; ok {
		c.remove(el)
	}
	if w > c.maxBytes {
		return
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.size += w
	for len(c.entries) > c.maxEntries || c.size > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

// remove drops an element; c.mu is held.
func (c *logCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*logEntry)
	delete(c.entries, e.key)
	c.size -= e.weight()
}

// stats returns the number of entries and the bytes they hold.
func (c *logCache) stats() (entries, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.size
}

// sameSlice reports whether a and b are the same non-empty bytes in memory:
// same first element, same length.
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}
