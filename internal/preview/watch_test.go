package preview

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/fsnotify/fsnotify"
)

// TestWatchedFiles: changes to the site's own files rebuild, changes to
// anything else in its folder do not.
func TestWatchedFiles(t *testing.T) {
	dir := t.TempDir()
	w, err := newWatcher(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	for name, want := range map[string]bool{
		"ouchie.yaml":                true,
		"logo.svg":                   true,
		"content/404.md":             true,
		"themes/classic/theme.yaml":  true,
		"layouts/partials/foot.html": true,
		"brands/acme/content/404.md": true,
		"brands/acme/logo.svg":       true,
		"README.md":                  false,
		"main.go":                    false,
		"dist/classic/404.html":      false,
		".git/index":                 false,
		"content/.404.md.swp":        false,
		"content/404.md~":            false,
	} {
		ev := fsnotify.Event{Name: filepath.Join(dir, filepath.FromSlash(name)), Op: fsnotify.Write}
		if got := w.relevant(ev); got != want {
			t.Errorf("a write to %s rebuilds: %v, want %v", name, got, want)
		}
	}
}
