package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/internal/testkit"
	"github.com/ouchie/ouchie/server/crashlog"
	"github.com/ouchie/ouchie/server/crashlog/redisstore/redistest"
)

var ctx = context.Background()

func open(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// await polls cond every 10 ms until it holds, failing after 5 s.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: %s", what)
		}
	}
}

func shows(s *Store, app, want string) func() bool {
	return func() bool {
		log, ok := s.Lookup(crashlog.Query{App: app})
		return ok == (want != "") && string(log) == want
	}
}

func sameSlice(a, b []byte) bool { return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0] }

// TestShared: two stores on one Redis, as two replicas: what one keeps, the
// other shows, though it had already looked (and cached that there was
// nothing); a change and a removal show too.
func TestShared(t *testing.T) {
	rs := redistest.Start(t)
	a, b := open(t, Options{URL: rs.URL}), open(t, Options{URL: rs.URL})
	if _, ok := b.Lookup(crashlog.Query{App: "web"}); ok {
		t.Fatal("a log before any was kept")
	}
	created, err := a.Keep(ctx, "web", []byte("boot failed\n"))
	if err != nil || !created {
		t.Fatalf("Keep: %v, %v; want created", created, err)
	}
	await(t, "the other store shows the log", shows(b, "web", "boot failed\n"))
	// Hits return the very same bytes, so the server escapes them once.
	first, _ := b.Lookup(crashlog.Query{App: "web"})
	if again, _ := b.Lookup(crashlog.Query{App: "web"}); !sameSlice(first, again) {
		t.Error("two lookups of an unchanged log returned different slices")
	}
	if created, err := a.Keep(ctx, "web", []byte("second crash\n")); err != nil || created {
		t.Fatalf("Keep again: %v, %v; want replaced", created, err)
	}
	await(t, "the other store shows the new log", shows(b, "web", "second crash\n"))
	if log, ok, err := b.Fetch(ctx, "web"); err != nil || !ok || string(log) != "second crash\n" {
		t.Errorf("Fetch: %q %v %v", log, ok, err)
	}
	if ok, err := b.Remove(ctx, "web"); !ok || err != nil {
		t.Fatalf("Remove: %v %v", ok, err)
	}
	await(t, "the first store shows no log", shows(a, "web", ""))
	if ok, err := a.Remove(ctx, "web"); ok || err != nil {
		t.Errorf("Remove of nothing: %v %v; want false, nil", ok, err)
	}
	if n := rs.Keys(); n != 0 {
		t.Errorf("%d keys left after the last log was removed", n)
	}
	if f := a.Failures(); f != (crashlog.Failures{}) {
		t.Errorf("failures %+v with Redis up", f)
	}
}

// TestTTL: a log goes when its TTL ends, from Redis and from the memory of
// a store that showed it.
func TestTTL(t *testing.T) {
	rs := redistest.Start(t)
	s := open(t, Options{URL: rs.URL, TTL: time.Second})
	if _, err := s.Keep(ctx, "web", []byte("boot failed\n")); err != nil {
		t.Fatal(err)
	}
	if !shows(s, "web", "boot failed\n")() {
		t.Fatal("the log is not shown right after it was kept")
	}
	await(t, "the log expires", shows(s, "web", ""))
	await(t, "Redis drops the log and its index", func() bool { return rs.Keys() == 0 })
}

// TestMaxApps: beyond MaxApps logs, the oldest go.
func TestMaxApps(t *testing.T) {
	rs := redistest.Start(t)
	s := open(t, Options{URL: rs.URL, MaxApps: 3})
	for i := range 5 {
		if _, err := s.Keep(ctx, fmt.Sprintf("app%d", i), []byte("log\n")); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		_, ok, err := s.Fetch(ctx, fmt.Sprintf("app%d", i))
		if err != nil || ok != (i >= 2) {
			t.Errorf("app%d: kept %v, %v; want the 3 newest kept", i, ok, err)
		}
	}
	if _, err := s.Keep(ctx, "Bad/App", []byte("x")); !errors.Is(err, crashlog.ErrBadApp) {
		t.Errorf("Keep of a bad app name: %v", err)
	}
}

// TestDown: with Redis killed, lookups return no log and count the failure,
// then skip Redis; writes fail (the admin API answers 503); the failure is
// logged once. After Redis restarts, the store reconnects by itself and the
// log (saved before the kill) shows again.
func TestDown(t *testing.T) {
	rs := redistest.Start(t)
	var logs testkit.Buffer
	s := open(t, Options{URL: rs.URL, Cooldown: 50 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if _, err := s.Keep(ctx, "web", []byte("boot failed\n")); err != nil {
		t.Fatal(err)
	}
	if reply, err := rs.Do("SAVE"); reply != "+OK" {
		t.Fatalf("SAVE: %q %v", reply, err)
	}
	rs.Kill()
	await(t, "lookups fail", func() bool { _, ok := s.Lookup(crashlog.Query{App: "web"}); return !ok })
	for range 20 {
		s.Lookup(crashlog.Query{App: "web"})
	}
	if f := s.Failures(); f.Errors == 0 || f.Skipped == 0 {
		t.Errorf("failures %+v; want errors and skipped lookups counted", f)
	}
	if _, err := s.Keep(ctx, "web", []byte("again\n")); err == nil {
		t.Error("Keep with Redis down: no error")
	}
	if _, _, err := s.Fetch(ctx, "web"); err == nil {
		t.Error("Fetch with Redis down: no error")
	}
	if n := strings.Count(logs.String(), "crashlog store failing"); n != 1 {
		t.Errorf("%d failure reports, want 1 per minute:\n%s", n, logs.String())
	}
	rs.Restart()
	await(t, "the log shows after Redis restarted", shows(s, "web", "boot failed\n"))
	if !strings.Contains(logs.String(), "crashlog store reachable again") {
		t.Errorf("the recovery is not logged:\n%s", logs.String())
	}
}

// TestQueryByService: the store answers a query by its app, whatever
// Service it also names; a query naming only a Service (the Kubernetes
// source's) has no log here, even one whose name an app has, and costs no
// round trip: with Redis stuck it answers at once and counts no failure.
func TestQueryByService(t *testing.T) {
	rs := redistest.Start(t)
	s := open(t, Options{URL: rs.URL})
	if _, err := s.Keep(ctx, "web", []byte("boot failed\n")); err != nil {
		t.Fatal(err)
	}
	if log, ok := s.Lookup(crashlog.Query{App: "web", Namespace: "shop", Service: "cart"}); !ok || string(log) != "boot failed\n" {
		t.Errorf("app web with a Service: %q, %v; want the app's log", log, ok)
	}
	rs.Pause()
	defer rs.Resume()
	if log, ok := s.Lookup(crashlog.Query{Namespace: "shop", Service: "web"}); ok {
		t.Errorf("a Service's query found the app's log %q", log)
	}
	if f := s.Failures(); f.Errors != 0 || f.Skipped != 0 {
		t.Errorf("failures %+v after a query by Service; want none (no round trip)", f)
	}
}

// TestSlow: a Redis that does not answer costs a lookup Options.Timeout,
// then lookups skip it, even of logs in memory (the breaker is before the
// cache); once Redis answers again, lookups do too.
func TestSlow(t *testing.T) {
	rs := redistest.Start(t)
	s := open(t, Options{URL: rs.URL, Cooldown: 50 * time.Millisecond})
	if _, err := s.Keep(ctx, "web", []byte("boot failed\n")); err != nil {
		t.Fatal(err)
	}
	if !shows(s, "web", "boot failed\n")() {
		t.Fatal("the log is not shown")
	}
	rs.Pause()
	if log, ok := s.Lookup(crashlog.Query{App: "api"}); ok {
		t.Errorf("a stuck Redis gave a log: %q", log)
	}
	if f := s.Failures(); f.Errors != 1 {
		t.Errorf("failures %+v after a lookup timed out; want 1 error", f)
	}
	if _, ok := s.Lookup(crashlog.Query{App: "api"}); ok || s.Failures().Skipped != 1 {
		t.Errorf("failures %+v; want the next lookup skipped", s.Failures())
	}
	rs.Resume()
	if _, err := s.Keep(ctx, "api", []byte("api failed\n")); err != nil {
		t.Fatal(err)
	}
	await(t, "lookups reach Redis again", shows(s, "api", "api failed\n"))
}

// TestACLUser: the ACL docs/crashlogs.md gives the store's user is enough.
func TestACLUser(t *testing.T) {
	rs := redistest.Start(t)
	acl := []string{"ACL", "SETUSER", "ouchie", "on", ">acl-password-1", "resetkeys", "~ouchie:crashlog*",
		"-@all", "+@read", "+@write", "+@scripting", "+@transaction", "+@connection", "+client"}
	if reply, err := rs.Do(acl...); reply != "+OK" {
		t.Fatalf("ACL SETUSER: %q %v", reply, err)
	}
	s := open(t, Options{URL: "redis://ouchie:acl-password-1@" + rs.Addr + "/0"})
	if _, err := s.Keep(ctx, "web", []byte("boot failed\n")); err != nil {
		t.Fatal(err)
	}
	await(t, "the log is shown", shows(s, "web", "boot failed\n"))
	if ok, err := s.Remove(ctx, "web"); !ok || err != nil {
		t.Fatalf("Remove: %v %v", ok, err)
	}
	if f := s.Failures(); f != (crashlog.Failures{}) {
		t.Errorf("failures %+v", f)
	}
}

// TestOpenErrors: a refused password and a bad URL are errors at once,
// never showing the password; an unreachable Redis is a store that keeps
// trying.
func TestOpenErrors(t *testing.T) {
	rs := redistest.Start(t, "--requirepass", "right-password-1")
	url := "redis://:wrong-password-1@" + rs.Addr + "/0"
	if s, err := Open(Options{URL: url}); err == nil || s != nil || errors.Is(err, ErrUnreachable) ||
		!strings.Contains(err.Error(), "WRONGPASS") || strings.Contains(err.Error(), "wrong-password-1") {
		t.Errorf("wrong password: %v; want WRONGPASS without the password", err)
	}
	s := open(t, Options{URL: url, Password: "right-password-1"})
	if _, err := s.Keep(ctx, "web", []byte("log\n")); err != nil {
		t.Errorf("the password option does not replace the URL's: %v", err)
	}
	for _, bad := range []string{"http://h:1", "redis://", "redis://:pw-secret@h:1/x", "unix:///tmp/redis.sock", "%zz"} {
		if _, err := Open(Options{URL: bad}); err == nil || strings.Contains(err.Error(), "pw-secret") {
			t.Errorf("URL %q: %v", bad, err)
		}
	}
	rs.Kill()
	down, err := Open(Options{URL: rs.URL})
	if !errors.Is(err, ErrUnreachable) || down == nil {
		t.Fatalf("Redis down: %v, store %v; want ErrUnreachable and a store", err, down)
	}
	down.Close()
}

// BenchmarkLookup compares a lookup of a 64 KiB log held in the client's
// memory with the same lookup in the in-memory store.
func BenchmarkLookup(b *testing.B) {
	rs := redistest.Start(b)
	s, err := Open(Options{URL: rs.URL})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	log := bytes.Repeat([]byte("a line of a crashlog, 64 bytes long, as many of them as fit ..\n"), 1<<10)
	if _, err := s.Keep(ctx, "web", log); err != nil {
		b.Fatal(err)
	}
	mem := crashlog.NewStore(0, 0)
	mem.Keep(ctx, "web", log)
	for _, src := range []struct {
		name string
		crashlog.Source
	}{{"redis", s}, {"memory", mem}} {
		b.Run(src.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := src.Lookup(crashlog.Query{App: "web"}); !ok {
					b.Fatal("no log")
				}
			}
		})
	}
}
