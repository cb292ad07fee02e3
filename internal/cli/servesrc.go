package cli

import (
	"cmp"
	"fmt"
	"io/fs"
	"testing/fstest"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server"
)

// srcFormats are the formats ouchie serve --src builds.
var srcFormats = []string{bundle.HTML, bundle.JSON, bundle.Text, bundle.XML}

// srcSite builds a site folder for ouchie serve --src, in memory: the
// bundle of its theme and, when the site has brands, each brand's. The
// server asks for the brands first, then for the bundle (see
// server.Config): brands loads and builds the site once and keeps its
// bundle for the call to bundle that follows. The server calls them one
// reload at a time.
type srcSite struct {
	fsys  fs.FS
	theme string         // --theme; else the site's own, and each brand's
	built *bundle.Bundle // built by brands, for bundle
}

// load loads the site and returns the theme its bundle is built in.
func (s *srcSite) load() (*generator.Site, string, error) {
	site, err := generator.Load(s.fsys)
	if err != nil {
		return nil, "", err
	}
	return site, cmp.Or(s.theme, site.Config.Theme), nil
}

// build builds site in theme.
func build(site *generator.Site, theme string) (*bundle.Bundle, error) {
	bundles, err := site.Build(generator.Options{Themes: []string{theme}, Formats: srcFormats})
	if err != nil {
		return nil, err
	}
	return bundles[0], nil
}

// bundle returns the site's bundle: the one brands just built, else a new
// build.
func (s *srcSite) bundle() (*bundle.Bundle, error) {
	if b := s.built; b != nil {
		s.built = nil
		return b, nil
	}
	site, theme, err := s.load()
	if err != nil {
		return nil, err
	}
	return build(site, theme)
}

// brands builds the site and its brands, each in --theme or else its own
// theme, and returns the brands with their bundles; none for a site
// without brands.
func (s *srcSite) brands() ([]server.Brand, error) {
	s.built = nil
	site, theme, err := s.load()
	if err != nil {
		return nil, err
	}
	b, err := build(site, theme)
	if err != nil {
		return nil, err
	}
	s.built = b
	info := site.BrandsFile(nil)
	if info == nil {
		return nil, nil
	}
	out := make([]server.Brand, len(site.Brands))
	for i, brand := range site.Brands {
		out[i].Brand = info.Brands[i]
		out[i].Theme = cmp.Or(s.theme, brand.Site.Config.Theme)
		bb, err := build(brand.Site, out[i].Theme)
		if err != nil {
			return nil, fmt.Errorf("brand %s: %w", brand.ID, err)
		}
		if out[i].Bundle, err = bundleFS(bb); err != nil {
			return nil, fmt.Errorf("brand %s: %w", brand.ID, err)
		}
	}
	return out, nil
}

// bundleFS returns a bundle built in memory as the folder ouchie build
// would write it: its files and manifest.json.
func bundleFS(b *bundle.Bundle) (fs.FS, error) {
	m, err := bundle.MarshalManifest(&b.Manifest)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	fsys := fstest.MapFS{bundle.ManifestName: {Data: m, Mode: 0o444}}
	for name, data := range b.Files {
		fsys[name] = &fstest.MapFile{Data: data, Mode: 0o444}
	}
	return fsys, nil
}
