package server

import (
	"github.com/ouchie/ouchie/generator/bundle"

	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ouchie/ouchie/server/crashlog"
)

// TestLogCache: a log is escaped once per app and escaping, and what comes
// out is what bundle.AppendValue makes; a new slice from the source is a new log.
func TestLogCache(t *testing.T) {
	c := newLogCache(8, 1<<20)
	log := []byte(hostileLog + "\x00\u202e\xff")
	for range 3 {
		for f := range bundle.FormatHTTP { // the formats served

			want := bundle.AppendValue(nil, f, bundle.KindCrashlog, log, bundle.MaxCrashlog)
			if got := c.escaped("web", f, log); !bytes.Equal(got, want) {
				t.Fatalf("format %d: %q, want %q", f, got, want)
			}
		}
	}
	// HTML, JSON and text escape differently; XML shares HTML's entry.
	if n := c.misses.Load(); n != 3 {
		t.Errorf("%d escapes for 3 rounds of 4 formats, want 3", n)
	}
	if n, _ := c.stats(); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}

	// The same bytes in a new slice: a new log, escaped again, in place of
	// the old entry.
	again := bytes.Clone(log)
	c.escaped("web", bundle.FormatHTML, again)
	if n := c.misses.Load(); n != 4 {
		t.Errorf("a new slice did not miss (%d escapes)", n)
	}
	// A shorter view of the same bytes is another log too.
	if got, want := c.escaped("web", bundle.FormatHTML, again[:5]), bundle.AppendValue(nil, bundle.FormatHTML, bundle.KindCrashlog, again[:5], bundle.MaxCrashlog); !bytes.Equal(got, want) {
		t.Errorf("prefix of the log: %q, want %q", got, want)
	}
	// Another app with the very same slice has its own entry.
	c.escaped("api", bundle.FormatHTML, again)
	if n := c.misses.Load(); n != 6 {
		t.Errorf("%d escapes, want 6", n)
	}

	// Text with nothing to drop is kept as the source slice itself.
	plain := []byte("nothing to escape here\n")
	if got := c.escaped("web", bundle.FormatText, plain); &got[0] != &plain[0] {
		t.Error("text log copied")
	}
}

// TestLogCacheBounds: entries and bytes stay within the bounds, least
// recently used out first; a log bigger than the byte bound is served but
// not kept.
func TestLogCacheBounds(t *testing.T) {
	c := newLogCache(4, 10<<10)
	logs := map[string][]byte{}
	for i := range 20 {
		app := fmt.Sprintf("app%d", i)
		logs[app] = []byte(strings.Repeat("<", 1000)) // 1,000 source + 4,000 escaped bytes
		c.escaped(app, bundle.FormatHTML, logs[app])
		if n, size := c.stats(); n > 4 || size > 10<<10 {
			t.Fatalf("after %d logs: %d entries, %d bytes", i+1, n, size)
		}
	}
	if n, size := c.stats(); n != 2 || size != 10000 {
		t.Errorf("%d entries of %d bytes, want 2 of 10000 (the byte bound binds)", n, size)
	}
	// The two most recent are cached; using app18 keeps it over app19.
	misses := c.misses.Load()
	c.escaped("app18", bundle.FormatHTML, logs["app18"])
	c.escaped("app19", bundle.FormatHTML, logs["app19"])
	if c.misses.Load() != misses {
		t.Error("recent logs were evicted")
	}
	c.escaped("app18", bundle.FormatHTML, logs["app18"])
	c.escaped("app0", bundle.FormatHTML, logs["app0"]) // evicts app19
	c.escaped("app18", bundle.FormatHTML, logs["app18"])
	if c.misses.Load() != misses+1 {
		t.Errorf("%d misses, want 1: least recently used was not the one evicted", c.misses.Load()-misses)
	}

	big := []byte(strings.Repeat("&", 4<<10))
	if got := c.escaped("big", bundle.FormatHTML, big); len(got) != 5*len(big) {
		t.Fatalf("big log escaped to %d bytes", len(got))
	}
	if _, size := c.stats(); size > 10<<10 {
		t.Errorf("%d bytes kept", size)
	}
	c.escaped("big", bundle.FormatHTML, big)
	if c.misses.Load() != misses+3 {
		t.Error("a log over the byte bound was kept")
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
					if got := c.escaped(app, f, log); !bytes.Equal(got, want) {
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
	for i, log := range []string{"first <log>\n", "second <log>\n", "second <log>\n"} {
		if err := store.Put("web", []byte(log)); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			_, data := ts.get(t, "/H10", "X-App", "web")
			if got, want := parse(t, "text/html", data).crashlog, strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(log); got != want {
				t.Fatalf("push %d: crashlog %q, want %q", i+1, got, want)
			}
		}
		if got := ts.logs.misses.Load(); got != int64(i+1) {
			t.Errorf("after push %d: %d escapes, want %d", i+1, got, i+1)
		}
	}
	store.Delete("web")
	if _, data := ts.get(t, "/H10", "X-App", "web"); parse(t, "text/html", data).crashlog != "" {
		t.Error("deleted log still shown")
	}
}
