package crashlog

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// Dir reads crashlogs a supervisor writes into a directory, one <app>.log
// per app, through an os.Root so that no name and no symbolic link reaches
// outside it. Only the last sanitize.Window bytes of a file are read. Anything but a
// regular file (a directory, a FIFO, a device, a link out of the directory)
// and any error reading it is no log, as is a log of nothing but blanks.
// Sanitized logs are cached until the file's size or modification time
// changes. A Dir is safe for concurrent
// use; a nil *Dir holds nothing.
type Dir struct {
	root *os.Root

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	size  int64
	mtime time.Time
	log   []byte
}

// maxCached bounds the cache; past it, an arbitrary entry makes room.
const maxCached = 256

// OpenDir opens dir for reading crashlogs.
func OpenDir(dir string) (*Dir, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("crashlog dir: %w", err)
	}
	return &Dir{root: root, cache: map[string]cached{}}, nil
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// Lookup returns the sanitized tail of <app>.log for the query's app.
func (d *Dir) Lookup(q Query) ([]byte, bool) {
	app := q.App
	if d == nil || !ValidApp(app) {
		return nil, false
	}
	name := app + ".log"
	st, err := d.root.Stat(name)
	if err != nil || !st.Mode().IsRegular() {
		d.forget(app)
		return nil, false
	}
	d.mu.Lock()
	c, ok := d.cache[app]
	d.mu.Unlock()
	if ok && c.size == st.Size() && c.mtime.Equal(st.ModTime()) {
		return c.log, len(c.log) > 0
	}
	// Non-blocking, so a FIFO swapped in since the Stat does not hang the
	// open; the mode is checked again on what was opened.
	f, err := d.root.OpenFile(name, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	st, err = f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, false
	}
	t, err := readTail(f, st.Size())
	if err != nil {
		return nil, false
	}
	log := t.Log()
	if blank(log) {
		log = nil
	}
	d.mu.Lock()
	if len(d.cache) >= maxCached {
		for k := range d.cache {
			delete(d.cache, k)
			break
		}
	}
	d.cache[app] = cached{st.Size(), st.ModTime(), log}
	d.mu.Unlock()
	return log, len(log) > 0
}

func (d *Dir) forget(app string) {
	d.mu.Lock()
	delete(d.cache, app)
	d.mu.Unlock()
}
