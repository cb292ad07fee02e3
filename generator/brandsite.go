package generator

import (
	"github.com/ouchie/ouchie/generator/bundle"

	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
)

// Brand is one brand of a loaded site.
type Brand struct {
	ID string
	// Site is the site as the brand shows it: the site's pages and
	// settings with the brand's laid over them. Its Build renders the
	// brand's bundles.
	Site *Site
	// Overrides are the ids of the pages the brand replaces or translates
	// itself, sorted.
	Overrides []string
	// Match holds the rules that choose the brand for a request.
	Match MatchRules
}

// themeCache keeps the themes a site and the brands without layouts of
// their own have parsed, so a thousand brands parse a theme once.
type themeCache struct {
	mu     sync.Mutex
	themes map[string]*Theme
}

// theme returns the named theme with s's layouts laid over it, parsed once
// per cache.
func (s *Site) theme(c *errs, name string) *Theme {
	if s.themes == nil {
		return loadTheme(c, s.fsys, name, s.layers...)
	}
	s.themes.mu.Lock()
	defer s.themes.mu.Unlock()
	if t, ok := s.themes.themes[name]; ok {
		return t
	}
	t := loadTheme(c, s.fsys, name, s.layers...)
	if t != nil {
		s.themes.themes[name] = t
	}
	return t
}

// loadBrands sets s.Brands from s.Config.Brands: for each, the site with
// its settings overlaid and the pages of brands/<id>/content/ in place.
// Every override is read and checked as the site's own pages are.
func (s *Site) loadBrands(l *loader, doc *yamlDoc) {
	c := l.c
	if len(s.Config.Brands) > 0 {
		s.themes = &themeCache{themes: map[string]*Theme{}}
	}
	for i := range s.Config.Brands {
		bc := &s.Config.Brands[i]
		if slices.Contains(s.Themes, bc.ID) {
			doc.add(c, fmt.Sprintf("$.brands[%d].id", i), "DIST/<theme>/ is the site's bundle of a theme, DIST/<id>/ a brand's: rename the brand",
				"brand id %q is also a theme's name", bc.ID)
			continue
		}
		if bundle.CheckBrandID(bc.ID) != nil || !slices.Contains(s.Themes, bc.Theme) {
			if bundle.CheckBrandID(bc.ID) == nil && len(s.Themes) > 0 { // a bad id is reported already
				doc.add(c, fmt.Sprintf("$.brands[%d].theme", i), "the site's themes are: "+strings.Join(s.Themes, ", "), "brand %q: theme %q does not exist", bc.ID, bc.Theme)
			}
			continue
		}
		s.Brands = append(s.Brands, s.loadBrand(l, bc))
	}
}

// strayBrands warns of each folder of brands/ that is no brand's: its files
// are not used, which a misspelt id would otherwise hide.
func (s *Site) strayBrands(warn *errs) {
	entries, _ := fs.ReadDir(s.fsys, BrandsDir)
	for _, e := range entries {
		if e.IsDir() && !slices.ContainsFunc(s.Config.Brands, func(b BrandConfig) bool { return b.ID == e.Name() }) {
			warn.add(BrandsDir+"/"+e.Name(), 0, 0, "brands: in ouchie.yaml lists the brands; a folder of brands/ is named by its id",
				"no brand %q in ouchie.yaml: the folder's files are not used", e.Name())
		}
	}
}

// loadBrand returns the brand bc of s.
func (s *Site) loadBrand(l *loader, bc *BrandConfig) *Brand {
	c := l.c
	dir := BrandsDir + "/" + bc.ID
	cfg := *s.Config
	cfg.Brand, cfg.Links, cfg.Theme, cfg.Languages, cfg.Brands = bc.Brand, bc.Links, bc.Theme, bc.Languages, nil
	b := &Brand{ID: bc.ID, Match: bc.Match}
	bs := &Site{Config: &cfg, Themes: s.Themes, fsys: s.fsys, themes: s.themes, md: s.md}
	if isDir(s.fsys, dir+"/"+LayoutsDir) {
		bs.layers = []string{dir + "/" + LayoutsDir}
		bs.themes = nil // its own layouts: parsed per build
	}
	b.Site = bs

	var pages, translations []*Page
	if content := dir + "/" + ContentDir; isDir(s.fsys, content) {
		bl := *l // the site's loader, in the brand's languages
		bl.langs = bc.Languages
		pages, translations = bl.loadPages(content)
	}
	override := map[[2]string]*Page{}
	siteIDs := map[string]bool{}
	for _, p := range s.Pages {
		siteIDs[p.ID] = true
	}
	for _, p := range pages {
		if !siteIDs[p.ID] {
			c.add(p.File, 0, 0, "a brand overrides pages of the site: name the file as one in content/, or add the page to the site first",
				"brand %q: page %s is not one of the site's (no content/%s.md)", bc.ID, p.ID, p.ID)
			continue
		}
		override[[2]string{p.ID, ""}] = p
	}
	for _, t := range translations {
		override[[2]string{t.ID, t.Lang}] = t
	}
	if len(override) == 0 && slices.Equal(bc.Languages, s.Config.Languages) {
		bs.Pages, bs.Translations, bs.all = s.Pages, s.Translations, s.all
	} else {
		bs.Pages = make([]*Page, len(s.Pages))
		for i, p := range s.Pages {
			bs.Pages[i] = cmp.Or(override[[2]string{p.ID, ""}], p)
		}
		var ts []*Page
		for _, t := range s.Translations {
			if !slices.Contains(bc.Languages, t.Lang) || override[[2]string{t.ID, t.Lang}] != nil {
				continue
			}
			if override[[2]string{t.ID, ""}] != nil {
				cp := *t // linked below to the brand's page, not the site's
				t = &cp
			}
			ts = append(ts, t)
		}
		ts = append(ts, translations...)
		bs.all = linkTranslations(c, bs.Pages, ts, bc.Languages)
		for _, p := range bs.all {
			if p.Lang != "" {
				bs.Translations = append(bs.Translations, p)
			}
		}
		if len(override) > 0 {
			checkCatalog(c, s.fsys, bs.Pages)
		}
	}
	for key := range override {
		if !slices.Contains(b.Overrides, key[0]) {
			b.Overrides = append(b.Overrides, key[0])
		}
	}
	slices.Sort(b.Overrides)
	logo := bc.logo
	if bc.Brand.Logo == s.Config.Brand.Logo {
		logo = s.sites[s.Config.Lang].Logo
	}
	bs.sites = make(map[string]SiteData, len(bc.Languages))
	for _, lang := range bc.Languages {
		d := s.sites[lang]
		d.Name, d.Accent, d.Logo = bc.Brand.Name, cssColor(bc.Brand.Accent), logo
		d.Links = Links{Homepage: bc.Links.Homepage, Support: bc.Links.Support, Status: bc.Links.Status}
		bs.sites[lang] = d
	}
	return b
}

// isDir reports whether name is a folder of fsys. A folder that cannot be
// read is one: reading it reports why.
func isDir(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return (err == nil && st.IsDir()) || (err != nil && !errors.Is(err, fs.ErrNotExist))
}

// Check renders every theme of the site and of each of its brands in
// memory, in every format, as ouchie check does, one brand at a time. It
// returns how many bundles rendered, and every problem found.
func (s *Site) Check() (int, error) {
	var list ErrorList
	n := 0
	for _, site := range append([]*Site{s}, s.brandSites()...) {
		bundles, err := site.Build(Options{Formats: bundle.Formats})
		var el ErrorList
		switch {
		case errors.As(err, &el):
			list = append(list, el...)
		case err != nil:
			return n, err
		}
		n += len(bundles)
	}
	return n, list.Err()
}

// brandSites returns the site of each brand.
func (s *Site) brandSites() []*Site {
	out := make([]*Site, len(s.Brands))
	for i, b := range s.Brands {
		out[i] = b.Site
	}
	return out
}
