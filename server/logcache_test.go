package server

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server/crashlog"
)

// cachedEsc returns the escaped log the cache holds for app and format f.
func cachedEsc(c *logCache, app string, f bundle.Format) []byte {
	if f == bundle.FormatXML {
		f = bundle.FormatHTML
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[logKey{crashlog.Query{App: app}, f}]; ok {
		return el.Value.(*logEntry).esc
	}
	return nil
}

// TestLogCache: a log is escaped once per app and escaping (later requests
// get the very bytes of the first), and what comes out is what
// bundle.AppendValue makes; a new slice from the source is a new log.
func TestLogCache(t *testing.T) {
	c := newLogCache(8, 1<<20)
	log := []byte(hostileLog + "\x00\u202e\xff")
	first := map[bundle.Format][]byte{}
	for round := range 3 {
		for f := range bundle.FormatHTTP { // the formats served
			want := bundle.AppendValue(nil, f, bundle.KindCrashlog, log, bundle.MaxCrashlog)
			got := c.escaped(crashlog.Query{App: "web"}, f, log)
			if !bytes.Equal(got, want) {
				t.Fatalf("format %d: %q, want %q", f, got, want)
			}
			if round == 0 {
				first[f] = got
			} else if !sameSlice(got, first[f]) {
				t.Errorf("round %d, format %d: escaped again", round, f)
			}
		}
	}
	// HTML, JSON and text escape differently; XML shares HTML's entry.
	if n, _ := c.stats(); n != 3 || !sameSlice(first[bundle.FormatXML], first[bundle.FormatHTML]) {
		t.Errorf("%d entries, want 3, XML sharing HTML's", n)
	}

	// The same bytes in a new slice: a new log, escaped again, in place of
	// the old entry.
	again := bytes.Clone(log)
	if got := c.escaped(crashlog.Query{App: "web"}, bundle.FormatHTML, again); sameSlice(got, first[bundle.FormatHTML]) {
		t.Error("a new slice did not miss")
	}
	// A shorter view of the same bytes is another log too.
	if got, want := c.escaped(crashlog.Query{App: "web"}, bundle.FormatHTML, again[:5]), bundle.AppendValue(nil, bundle.FormatHTML, bundle.KindCrashlog, again[:5], bundle.MaxCrashlog); !bytes.Equal(got, want) {
		t.Errorf("prefix of the log: %q, want %q", got, want)
	}
	// Another app with the very same slice has its own entry.
	web := c.escaped(crashlog.Query{App: "web"}, bundle.FormatHTML, again)
	if api := c.escaped(crashlog.Query{App: "api"}, bundle.FormatHTML, again); sameSlice(api, web) {
		t.Error("two apps share an entry")
	}

	// Text with nothing to drop is kept as the source slice itself.
	plain := []byte("nothing to escape here\n")
	if got := c.escaped(crashlog.Query{App: "web"}, bundle.FormatText, plain); &got[0] != &plain[0] {
		t.Error("text log copied")
	}
}

// TestLogCacheBounds: entries and bytes stay within the bounds, least
// recently used out first; a log bigger than the byte bound is served but
// not kept.
func TestLogCacheBounds(t *testing.T) {
	c := newLogCache(4, 12<<10)
	logs := map[string][]byte{}
	for i := range 20 {
		app := fmt.Sprintf("app%d", i)
		logs[app] = []byte(strings.Repeat("<", 1000)) // 1,000 source + 4,000 escaped bytes
		c.escaped(crashlog.Query{App: app}, bundle.FormatHTML, logs[app])
		if n, size := c.stats(); n > 4 || size > 12<<10 {
			t.Fatalf("after %d logs: %d entries, %d bytes", i+1, n, size)
		}
	}
	if n, _ := c.stats(); n != 2 {
		t.Errorf("%d entries, want 2 (the byte bound binds)", n)
	}
	// The two most recent are cached; using app18 keeps it over app19.
	app18, app19 := cachedEsc(c, "app18", bundle.FormatHTML), cachedEsc(c, "app19", bundle.FormatHTML)
	if app18 == nil || app19 == nil {
		t.Fatal("recent logs were evicted")
	}
	c.escaped(crashlog.Query{App: "app18"}, bundle.FormatHTML, logs["app18"])
	c.escaped(crashlog.Query{App: "app0"}, bundle.FormatHTML, logs["app0"]) // evicts app19
	if !sameSlice(c.escaped(crashlog.Query{App: "app18"}, bundle.FormatHTML, logs["app18"]), app18) || cachedEsc(c, "app19", bundle.FormatHTML) != nil {
		t.Error("least recently used was not the one evicted")
	}

	big := []byte(strings.Repeat("&", 4<<10))
	if got := c.escaped(crashlog.Query{App: "big"}, bundle.FormatHTML, big); len(got) != 5*len(big) {
		t.Fatalf("big log escaped to %d bytes", len(got))
	}
	if _, size := c.stats(); size > 12<<10 || cachedEsc(c, "big", bundle.FormatHTML) != nil {
		t.Errorf("a log over the byte bound was kept (%d bytes)", size)
	}
}

// TestLogCacheWeighsWhatItHolds: filled with many small logs, the cache
// holds no more heap than its byte bound, bookkeeping included.
func TestLogCacheWeighsWhatItHolds(t *testing.T) {
	const bound = 256 << 10
	// Other goroutines of the test binary (servers of earlier tests still
	// compressing their pages) can only add to the heap measured, never take
	// from it: a cache over its bound is over it in every attempt, so the
	// lowest of three is the one to judge.
	var held int64
	var n, size int
	for attempt := range 3 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c := newLogCache(1<<20, bound)
		for i := range 20_000 {
			c.escaped(crashlog.Query{App: fmt.Sprint("app", i)}, bundle.FormatHTML, []byte(fmt.Sprintf("<%d>", i)))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		h := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		if attempt == 0 || h < held {
			held = h
			n, size = c.stats()
		}
		runtime.KeepAlive(c)
	}
	if held > bound {
		t.Errorf("%d entries weigh %d bytes by the cache's count and hold %d bytes of heap; bound %d", n, size, held, bound)
	}
}

// TestLogCacheConcurrent: requests for several apps and formats at once,
// while the logs change, always get the current log escaped (run with -race).
func TestLogCacheConcurrent(t *testing.T) {
	c := newLogCache(3, 1<<20)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				app := fmt.Sprintf("app%d", (g+i)%5)
				log := []byte(fmt.Sprintf("%s <%d> & \"%d\"\n", app, i, g))
				f := bundle.Format(i) % bundle.NumFormats
				want := bundle.AppendValue(nil, f, bundle.KindCrashlog, log, bundle.MaxCrashlog)
				for range 3 {
					if got := c.escaped(crashlog.Query{App: app}, f, log); !bytes.Equal(got, want) {
						t.Errorf("%s format %d: %q, want %q", app, f, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if n, _ := c.stats(); n > 3 {
		t.Errorf("%d entries", n)
	}
}

// TestCrashlogReplaced: through the server, a log pushed again shows its
// new text at once (the store hands out a new slice), and repeated
// requests for one log escape it once.
func TestCrashlogReplaced(t *testing.T) {
	store := crashlog.NewStore(0, 0)
	ts := open(t, Config{Crashlogs: store})
	var prev []byte
	for i, log := range []string{"first <log>\n", "second <log>\n", "second <log>\n"} {
		if err := store.Put("web", []byte(log)); err != nil {
			t.Fatal(err)
		}
		var esc []byte // what the first request escaped
		for j := range 3 {
			_, data := ts.get(t, "/H10", "X-App", "web")
			if j == 0 {
				esc = cachedEsc(ts.logs, "web", bundle.FormatHTML)
			} else if !sameSlice(cachedEsc(ts.logs, "web", bundle.FormatHTML), esc) {
				t.Errorf("push %d, request %d: the log was escaped again", i+1, j+1)
			}
			if got, want := parse(t, "text/html", data).crashlog, strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(log); got != want {
				t.Fatalf("push %d: crashlog %q, want %q", i+1, got, want)
			}
		}
		if i > 0 && sameSlice(esc, prev) {
			t.Errorf("push %d: the new log was not escaped", i+1)
		}
		prev = esc
	}
	store.Delete("web")
	if _, data := ts.get(t, "/H10", "X-App", "web"); parse(t, "text/html", data).crashlog != "" {
		t.Error("deleted log still shown")
	}
}
