package crashlog

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ouchie/ouchie/server/sanitize"
)

// Store holds crashlogs in memory, as the admin API puts them: each
// sanitized once when it arrives, the least recently updated evicted first
// when there are more than maxApps of them or they weigh more than maxBytes.
// A log weighs what it costs the store: the bytes allocated for it, its app
// name and the bookkeeping around them. A Store is safe for concurrent use;
// a nil *Store holds nothing.
type Store struct {
	maxApps  int
	maxBytes int64

	mu    sync.Mutex
	apps  map[string]*list.Element // of *entry
	order list.List                // front: most recently updated
	size  int64
}

type entry struct {
	app string
	log []byte
}

// Defaults of NewStore: 1,024 logs, 28 MiB. The server's cache of logs
// escaped for display (server.LogCacheBytes, 4 MiB) comes on top, so
// crashlogs take at most 32 MiB of a server's memory.
const (
	DefaultMaxApps  = 1024
	DefaultMaxBytes = 28 << 20
)

// entryCost is what the store spends on a log besides its bytes and its
// app's: the list element, the entry, the map slot, rounded up.
const entryCost = 256

// minStoreBytes is room for one log at its largest, note, app name and
// bookkeeping included.
const minStoreBytes = sanitize.MaxBytes + 16<<10

// ErrBadApp is returned for a name ValidApp refuses.
var ErrBadApp = errors.New("app names are 1 to 63 of a-z 0-9 _ . - starting with a letter or digit")

// NewStore returns an empty store bounded to maxApps logs and maxBytes bytes
// (see weight). Zero or less means the
// default; maxBytes is raised to hold at least one log of the largest size.
func NewStore(maxApps int, maxBytes int64) *Store {
	if maxApps <= 0 {
		maxApps = DefaultMaxApps
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Store{maxApps: maxApps, maxBytes: max(maxBytes, minStoreBytes), apps: map[string]*list.Element{}}
}

// Put sanitizes raw and stores it as app's log, replacing any before it. A
// log that sanitizes to nothing but blanks removes app's log.
func (s *Store) Put(app string, raw []byte) error {
	if !ValidApp(app) {
		return fmt.Errorf("app %q: %w", app, ErrBadApp)
	}
	if log := sanitize.Log(raw); !blank(log) {
		s.keep(app, log)
	} else {
		s.Delete(app)
	}
	return nil
}

// Keep stores the sanitized log as app's, for Keeper; it never fails.
func (s *Store) Keep(_ context.Context, app string, log []byte) (bool, error) {
	if !ValidApp(app) {
		return false, fmt.Errorf("app %q: %w", app, ErrBadApp)
	}
	return s.keep(app, log), nil
}

// Fetch is Get, for Keeper.
func (s *Store) Fetch(_ context.Context, app string) ([]byte, bool, error) {
	log, ok := s.Get(app)
	return log, ok, nil
}

// Remove is Delete, for Keeper.
func (s *Store) Remove(_ context.Context, app string) (bool, error) { return s.Delete(app), nil }

// keep stores log, evicting down to the bounds, and reports whether app had
// no log before.
func (s *Store) keep(app string, log []byte) (created bool) {
	if cap(log) > len(log)+len(log)/16 {
		log = bytes.Clone(log) // hold only what is counted
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.apps[app]
	if had {
		s.remove(old)
	}
	s.apps[app] = s.order.PushFront(&entry{app, log})
	s.size += weight(app, log)
	for len(s.apps) > s.maxApps || s.size > s.maxBytes {
		s.remove(s.order.Back())
	}
	return !had
}

// blank reports whether log shows nothing.
func blank(log []byte) bool { return len(bytes.TrimSpace(log)) == 0 }

// weight is what app's log costs the store.
func weight(app string, log []byte) int64 { return int64(len(app) + cap(log) + entryCost) }

// remove drops an element; s.mu is held.
func (s *Store) remove(el *list.Element) {
	e := s.order.Remove(el).(*entry)
	delete(s.apps, e.app)
	s.size -= weight(e.app, e.log)
}

// Get returns app's sanitized log. The caller must not modify it.
func (s *Store) Get(app string) ([]byte, bool) {
	if s == nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.apps[app]; ok {
		return el.Value.(*entry).log, true
	}
	return nil, false
}

// Lookup is Get of the query's app, for Source.
func (s *Store) Lookup(q Query) ([]byte, bool) { return s.Get(q.App) }

// Delete removes app's log and reports whether there was one.
func (s *Store) Delete(app string) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.apps[app]
	if ok {
		s.remove(el)
	}
	return ok
}

// Len returns how many logs the store holds and what they weigh.
func (s *Store) Len() (apps int, bytes int64) {
	if s == nil {
		return 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.apps), s.size
}
