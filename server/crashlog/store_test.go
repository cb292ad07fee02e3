package crashlog

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestStore(t *testing.T) {
	s := NewStore(0, 0)
	if err := s.Put("web", []byte("\x1b[31mboot failed\x1b[0m DB_PASSWORD=hunter2hunter2\n")); err != nil {
		t.Fatal(err)
	}
	want := "boot failed DB_PASSWORD=[redacted]\n"
	if got, ok := s.Get("web"); !ok || string(got) != want {
		t.Errorf("Get = %q, %v; want %q", got, ok, want)
	}
	if got, ok := s.Lookup(Query{App: "web"}); !ok || string(got) != want {
		t.Errorf("Lookup = %q, %v; want %q", got, ok, want)
	}
	if _, ok := s.Get("api"); ok {
		t.Error("Get of an app never put found a log")
	}
	if !s.Delete("web") || s.Delete("web") {
		t.Error("Delete: want true, then false")
	}
	if _, ok := s.Get("web"); ok {
		t.Error("Get after Delete found a log")
	}
	for _, app := range []string{"", "Web", "../x", "a/b", ".hidden", strings.Repeat("a", 64)} {
		if err := s.Put(app, []byte("x")); !errors.Is(err, ErrBadApp) {
			t.Errorf("Put(%q) = %v, want ErrBadApp", app, err)
		}
	}
	s.Put("web", []byte("x\n"))
	if err := s.Put("web", []byte("\x1b[0m\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get("web"); ok {
		t.Error("a log sanitized to nothing is kept")
	}
	if n, size := s.Len(); n != 0 || size != 0 {
		t.Errorf("Len = %d, %d; want 0, 0", n, size)
	}
}

func TestStoreEvictsByApps(t *testing.T) {
	s := NewStore(3, 0)
	for _, app := range []string{"a", "b", "c"} {
		s.Put(app, []byte(app+" crashed\n"))
	}
	s.Get("a")                        // reading does not refresh
	s.Put("b", []byte("b again\n"))   // updating does
	s.Put("d", []byte("d crashed\n")) // evicts a
	s.Put("e", []byte("e crashed\n")) // evicts c
	for app, want := range map[string]bool{"a": false, "b": true, "c": false, "d": true, "e": true} {
		if _, ok := s.Get(app); ok != want {
			t.Errorf("after eviction, %s held: %v, want %v", app, ok, want)
		}
	}
}

func TestStoreEvictsByBytes(t *testing.T) {
	log := []byte(strings.Repeat(strings.Repeat("x", 299)+"\n", 200)) // 60,000 bytes, not cut
	s := NewStore(0, 200_000)
	for i := range 5 {
		s.Put(fmt.Sprint("app", i), log)
		if _, size := s.Len(); size > 200_000 {
			t.Fatalf("store weighs %d bytes, more than its bound", size)
		}
	}
	if n, _ := s.Len(); n != 3 {
		t.Errorf("store holds %d logs, want 3", n)
	}
	if _, ok := s.Get("app1"); ok {
		t.Error("app1 kept, want it evicted as least recently updated")
	}
	// However low the bound, the largest log fits.
	small := NewStore(0, 1)
	small.Put("big", []byte(strings.Repeat("y", 1<<20)))
	if _, ok := small.Get("big"); !ok {
		t.Error("a store bounded below one log dropped it")
	}
}

func TestStoreConcurrent(t *testing.T) {
	s := NewStore(4, 0)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				app := fmt.Sprint("app", (g+i)%6)
				switch i % 3 {
				case 0:
					s.Put(app, []byte(fmt.Sprintf("goroutine %d line %d\n", g, i)))
				case 1:
					s.Lookup(Query{App: app})
				case 2:
					s.Delete(app)
				}
			}
		})
	}
	wg.Wait()
	if n, _ := s.Len(); n > 4 {
		t.Errorf("store holds %d logs, bound 4", n)
	}
}

func TestMulti(t *testing.T) {
	a, b := NewStore(0, 0), NewStore(0, 0)
	a.Put("web", []byte("from a\n"))
	b.Put("web", []byte("from b\n"))
	b.Put("api", []byte("api from b\n"))
	var none *Store
	m := Multi(nil, none, a, b)
	for app, want := range map[string]string{"web": "from a\n", "api": "api from b\n", "db": ""} {
		got, ok := m.Lookup(Query{App: app})
		if string(got) != want || ok != (want != "") {
			t.Errorf("Lookup(%q) = %q, %v; want %q", app, got, ok, want)
		}
	}
	if _, ok := Multi().Lookup(Query{App: "web"}); ok {
		t.Error("an empty Multi found a log")
	}
}

// TestStoreWeighsWhatItHolds: a store filled to its byte bound with many
// small logs holds no more heap than that bound, bookkeeping included.
func TestStoreWeighsWhatItHolds(t *testing.T) {
	const bound = 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewStore(1<<20, bound)
	for i := range 20_000 {
		if _, err := s.Keep(context.Background(), fmt.Sprintf("app-%d", i), []byte(fmt.Sprintf("crash %d\n", i))); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n, size := s.Len()
	if held := int64(after.HeapAlloc) - int64(before.HeapAlloc); held > bound || size > bound {
		t.Errorf("%d logs weigh %d bytes by the store's count and hold %d bytes of heap; bound %d", n, size, held, bound)
	}
	runtime.KeepAlive(s)
}
