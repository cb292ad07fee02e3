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
	Files int
	Bytes int64
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
	type staged struct{ tmp, dst string }
	var done []staged
	cleanup := func() {
		for _, s := range done {
			_ = os.RemoveAll(s.tmp)
		}
	}
	for _, b := range bundles {
		removeStale(out, b.Manifest.Theme)
	}
	for _, b := range bundles {
		dst := filepath.Join(out, b.Manifest.Theme)
		tmp, err := os.MkdirTemp(out, stagingPrefix(b.Manifest.Theme))
		if err != nil {
			cleanup()
			return st, err
		}
		done = append(done, staged{tmp, dst})
		if err := os.Chmod(tmp, 0o755); err != nil {
			cleanup()
			return st, err
		}
		if err := b.WriteDir(tmp); err != nil {
			cleanup()
			return st, fmt.Errorf("write %s: %w", dst, err)
		}
		st.Files += len(b.Files) + 1
		for _, data := range b.Files {
			st.Bytes += int64(len(data))
		}
	}
	for _, s := range done {
		if err := swapDir(s.tmp, s.dst); err != nil {
			cleanup()
			return st, fmt.Errorf("replace %s: %w", s.dst, err)
		}
		_ = os.RemoveAll(s.tmp) // now holds the old bundle, if there was one
	}
	return st, nil
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
