package generator

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
)

// A site is a folder holding ContentDir; these are its folders.
const (
	ContentDir = "content" // the pages, one Markdown file each
	ThemesDir  = "themes"  // one folder per theme
	LayoutsDir = "layouts" // the site's own layouts, laid over every theme's
	BrandsDir  = "brands"  // one folder per brand: its content/, layouts/ and logo
)

// SiteDirs are the folders at a site's root whose whole tree belongs to the
// site. Copying a site (ouchie init), watching it (ouchie preview, serve
// --watch) and building it read these and the files IsSiteFile names, and
// nothing else: a dist/ or a repository's code beside them is not the site.
var SiteDirs = []string{ContentDir, ThemesDir, LayoutsDir, BrandsDir}

// IsSiteDir reports whether name, a folder at a site's root, is one of
// SiteDirs.
func IsSiteDir(name string) bool { return slices.Contains(SiteDirs, name) }

// IsSiteFile reports whether name, a file at a site's root, belongs to the
// site: ouchie.yaml and the SVG files (the logo).
func IsSiteFile(name string) bool { return name == ConfigName || path.Ext(name) == ".svg" }

// CheckSite reports whether dir is a site: nil when it is a folder holding
// ContentDir, else an error saying what is missing.
func CheckSite(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("site %s: %w", dir, unwrapPathError(err))
	case !st.IsDir():
		return fmt.Errorf("site %s: not a folder", dir)
	}
	if st, err := os.Stat(filepath.Join(dir, ContentDir)); err != nil || !st.IsDir() {
		return fmt.Errorf("site %s: no %s/ folder there", dir, ContentDir)
	}
	return nil
}
