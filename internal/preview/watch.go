package preview

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ouchie/ouchie/generator"
)

// watcher reports changes to a site's files: the whole trees of
// generator.SiteDirs, and in the site folder itself the files
// generator.IsSiteFile names and those folders appearing.
type watcher struct {
	root string
	fw   *fsnotify.Watcher
	log  *slog.Logger
	done chan struct{}
}

func newWatcher(root string, log *slog.Logger) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{root: filepath.Clean(root), fw: fw, log: log, done: make(chan struct{})}
	if err := fw.Add(w.root); err != nil {
		fw.Close()
		return nil, err
	}
	for _, d := range generator.SiteDirs {
		w.addTree(filepath.Join(w.root, d))
	}
	return w, nil
}

// addTree watches dir and every folder below it. fsnotify watches one folder
// at a time, so new folders are added as they appear.
func (w *watcher) addTree(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // gone already, or not there at all (layouts/ is optional)
		}
		if d.IsDir() {
			if err := w.fw.Add(p); err != nil {
				w.log.Warn("cannot watch folder", "dir", p, "err", err)
			}
		}
		return nil
	})
}

// relevant reports whether a change to path can change the build, adding
// watches for new folders on the way.
func (w *watcher) relevant(ev fsnotify.Event) bool {
	rel, err := filepath.Rel(w.root, ev.Name)
	if err != nil || rel == "." {
		return false
	}
	base := filepath.Base(ev.Name)
	if strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") || base == "4913" ||
		strings.HasSuffix(base, ".swp") || strings.HasSuffix(base, ".swx") {
		return false // editors' scratch files
	}
	top, _, nested := strings.Cut(filepath.ToSlash(rel), "/")
	inTree := generator.IsSiteDir(top)
	if ev.Has(fsnotify.Create) && inTree {
		if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
			w.addTree(ev.Name) // files may already be inside: the rebuild reads them
		}
	}
	if inTree {
		return true
	}
	if nested {
		return false
	}
	// A file in the site folder itself: ouchie.yaml, the logo. Other files
	// and folders there (README.md, dist/, .git/) are not part of the site.
	return generator.IsSiteFile(base)
}

// run calls rebuild once changes have stopped for the debounce interval,
// until close.
func (w *watcher) run(debounce time.Duration, rebuild func()) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-w.done:
			timer.Stop()
			return
		case ev, ok := <-w.fw.Events:
			if !ok {
				return
			}
			if w.relevant(ev) {
				w.log.Debug("change", "file", ev.Name, "op", ev.Op.String())
				timer.Reset(debounce)
			}
		case err, ok := <-w.fw.Errors:
			if !ok {
				return
			}
			w.log.Warn("watching files", "err", err)
			timer.Reset(debounce) // events may have been lost: rebuild to be sure
		case <-timer.C:
			rebuild()
		}
	}
}

func (w *watcher) close() {
	close(w.done)
	w.fw.Close()
}
