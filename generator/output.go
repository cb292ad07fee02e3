package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// WriteStats summarises what WriteOut wrote.
type WriteStats struct {
	Themes []string // in the order built
	Files  int
	Bytes  int64
}

// WriteOut writes each bundle to out/<theme>/. Every bundle is first written
// in full to a temporary folder beside it; only when all are written does each
// replace its old folder, by an atomic exchange where the system has one. So a
// failed write leaves out exactly as it was, and a reader sees either the old
// bundle or the new one, never a mix. Themes not built are left alone.
func WriteOut(out string, bundles []*bundle.Bundle) (WriteStats, error) {
	var st WriteStats
	if err := os.MkdirAll(out, 0o755); err != nil {
		return st, err
	}
	for _, b := range bundles {
		removeStale(out, b.Manifest.Theme)
	}
	var staged stagedDirs
	defer func() { staged.remove() }() // not staged.remove(): that binds the empty list
	for _, b := range bundles {
		tmp, err := staged.add(out, b.Manifest.Theme)
		if err != nil {
			return st, err
		}
		if err := b.WriteDir(tmp); err != nil {
			return st, fmt.Errorf("write %s: %w", filepath.Join(out, b.Manifest.Theme), err)
		}
		st.Themes = append(st.Themes, b.Manifest.Theme)
		st.Files += len(b.Files) + 1
		for _, data := range b.Files {
			st.Bytes += int64(len(data))
		}
	}
	return st, staged.publish()
}

// stagedDirs are the folders bundles are written to before each replaces
// its theme's folder.
type stagedDirs []struct{ tmp, dst string }

// add creates the staging folder of theme's bundle in out.
func (d *stagedDirs) add(out, theme string) (string, error) {
	tmp, err := os.MkdirTemp(out, stagingPrefix(theme))
	if err != nil {
		return "", err
	}
	*d = append(*d, struct{ tmp, dst string }{tmp, filepath.Join(out, theme)})
	return tmp, os.Chmod(tmp, 0o755)
}

// publish puts every staged folder in place of its theme's folder.
func (d stagedDirs) publish() error {
	for _, s := range d {
		if err := swapDir(s.tmp, s.dst); err != nil {
			return fmt.Errorf("replace %s: %w", s.dst, err)
		}
	}
	return nil
}

// remove deletes the staged folders: unpublished bundles, or the old
// bundles a publish swapped out.
func (d stagedDirs) remove() {
	for _, s := range d {
		_ = os.RemoveAll(s.tmp)
	}
}

// stagingPrefix starts the name of the folder a theme's bundle is written to
// before it replaces out/<theme>.
func stagingPrefix(theme string) string { return "." + theme + ".new-" }

// removeStale removes the staging folders a build of theme that was killed
// while writing left in out (swapDir's ".old" ones included). Nothing else
// is touched; an error only means the folder stays until the next build.
func removeStale(out, theme string) {
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix(theme)) {
			_ = os.RemoveAll(filepath.Join(out, e.Name()))
		}
	}
}
