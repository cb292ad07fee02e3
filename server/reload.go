package server

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Reload loads the bundle again and swaps it in atomically: requests already
// running finish on the old one, later ones see the new one. When loading or
// preparing fails the error is logged and returned and the old bundle keeps
// serving.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	st, err := s.load()
	if err != nil {
		s.metrics.failed.Add(1)
		s.log.Error("reload failed; still serving the previous bundle", "origin", s.cfg.Origin, "err", err)
		return err
	}
	s.current.Store(st)
	s.metrics.reload.Add(1)
	s.log.Info("reloaded", "origin", s.cfg.Origin, "theme", st.theme, "pages", len(st.pages), "brands", st.brandCount())
	return nil
}

// watch reloads after changes under dirs settle for WatchDelay. Every
// directory is re-added before each reload, so one replaced by a rename (as
// `ouchie build` swaps bundles) stays watched; each dir's parent is watched
// too so the swap itself is seen. It runs until ctx is done.
func (s *Server) watch(ctx context.Context, dirs []string) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	watched := map[string]bool{}
	rewatch := func() {
		for p := range watched {
			_ = w.Remove(p)
			delete(watched, p)
		}
		for _, d := range dirs {
			for _, p := range append([]string{filepath.Dir(d)}, subdirs(d)...) {
				if !watched[p] && w.Add(p) == nil {
					watched[p] = true
				}
			}
		}
	}
	rewatch()
	s.log.Info("watching for changes", "dirs", strings.Join(dirs, ","), "watches", len(watched))
	s.running.Go(func() {
		defer w.Close()
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if relevant(ev, dirs) {
					timer.Reset(s.cfg.WatchDelay)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				// A lost event may have been a change: reload to be sure.
				// Other errors come from watches vanishing with their
				// directory (a replaced bundle), which rewatch repairs.
				if errors.Is(err, fsnotify.ErrEventOverflow) {
					s.log.Warn("watch: events lost; reloading", "err", err)
					timer.Reset(s.cfg.WatchDelay)
					continue
				}
				s.log.Debug("watch", "err", err)
			case <-timer.C:
				// Watches first, then the load: a change after the
				// watches are back triggers another reload, one before
				// is in this load.
				rewatch()
				_ = s.Reload()
			}
		}
	})
	return nil
}

// relevant reports whether an event touches a watched directory or lies
// under one, rather than being a sibling's change seen through the parent.
// A temporary sibling named after the directory (".classic.new-*") counts:
// it is how a replacement arrives.
func relevant(ev fsnotify.Event, dirs []string) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	for _, d := range dirs {
		d = filepath.Clean(d)
		if ev.Name == d || strings.HasPrefix(ev.Name, d+string(filepath.Separator)) {
			return true
		}
		if filepath.Dir(ev.Name) == filepath.Dir(d) && strings.HasPrefix(filepath.Base(ev.Name), "."+filepath.Base(d)) {
			return true
		}
	}
	return false
}

// subdirs returns dir and every directory under it, skipping hidden ones.
func subdirs(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			out = append(out, p)
		}
		return nil
	})
	return out
}
