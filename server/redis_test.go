package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server/crashlog"
	"github.com/ouchie/ouchie/server/crashlog/redisstore"
	"github.com/ouchie/ouchie/server/crashlog/redisstore/redistest"
)

// TestCrashlogRedisRefreshed: with the Redis store, a log pushed through
// another replica shows its new text, and once shown it is not escaped
// again per request: the store's client-side cache hands out the same
// slice until Redis invalidates the key.
func TestCrashlogRedisRefreshed(t *testing.T) {
	rs := redistest.Start(t)
	src, err := redisstore.Open(redisstore.Options{URL: rs.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	other, err := redisstore.Open(redisstore.Options{URL: rs.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ts := open(t, Config{Crashlogs: src})
	shown := func() string {
		_, data := ts.get(t, "/H10", "X-App", "web")
		return parse(t, "text/html", data).crashlog
	}
	for i, log := range []string{"first <log>\n", "second <log>\n", "second <log>\n"} {
		before, _ := src.Lookup(crashlog.Query{App: "web"})
		if _, err := other.Keep(context.Background(), "web", []byte(log)); err != nil {
			t.Fatal(err)
		}
		// Wait for Redis's invalidation to reach this replica's cache: the
		// third push writes the same text, which a replica that has not
		// heard of it yet shows as well.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if now, _ := src.Lookup(crashlog.Query{App: "web"}); now != nil && !sameSlice(now, before) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("push %d: the store still hands out the old log after 5s", i+1)
			}
		}
		want := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(log)
		for deadline := time.Now().Add(5 * time.Second); shown() != want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("push %d: crashlog %q after 5s, want %q", i+1, shown(), want)
			}
		}
		esc := cachedEsc(ts.logs, "web", bundle.FormatHTML) // escaped for the request above
		for range 5 {
			if got := shown(); got != want {
				t.Fatalf("push %d: crashlog %q, want %q", i+1, got, want)
			}
		}
		if esc == nil || !sameSlice(cachedEsc(ts.logs, "web", bundle.FormatHTML), esc) {
			t.Errorf("push %d: an unchanged log was escaped again in 5 requests", i+1)
		}
	}
	if _, err := other.Remove(context.Background(), "web"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); shown() != ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a removed log is still shown after 5s")
		}
	}
}
