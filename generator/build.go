// Package generator turns a site (Markdown pages, themes and ouchie.yaml in an
// fs.FS) into one bundle per theme. It reads only through fs.FS, so tests pass
// an fstest.MapFS, the command an os.DirFS and the binary its embedded site.
package generator

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/yuin/goldmark"

	"github.com/ouchie/ouchie/generator/bundle"
)

// Options select what a build produces.
type Options struct {
	// Themes to build; empty means every theme of the site.
	Themes []string
	// Formats to write; empty means DefaultFormats, FormatAll every format.
	// HTML is always written.
	Formats []string
	// Compress also writes .gz and .br siblings of every file.
	Compress bool
}

// DefaultFormats are the formats written when Options.Formats is empty.
var DefaultFormats = []string{bundle.HTML, bundle.JSON, bundle.Text}

// FormatAll, given as a format, means every format of bundle.Formats: the
// one word for it on the command line (--format all) and in code.
const FormatAll = "all"

// Site is a loaded, validated site.
type Site struct {
	Config *Config
	// Pages are the pages in the default language, by id.
	Pages []*Page
	// Translations are the pages in the other languages, by id and then
	// in the order of Config.Languages.
	Translations []*Page
	Themes       []string // every theme the site has, sorted
	// Warnings are problems that do not stop a build: pages missing in a
	// language, placeholder text left by Skeleton. ouchie check prints them,
	// and fails on them with --strict.
	Warnings ErrorList
	all      []*Page             // Pages and Translations, each page followed by its translations
	sites    map[string]SiteData // by language
	fsys     fs.FS
	md       goldmark.Markdown
	// Brands are the site's brands, in ouchie.yaml's order.
	Brands []*Brand
	// layers are the layouts folders laid over the site's own (a brand's).
	layers []string
	themes *themeCache
}

// Load reads and validates a site: settings, every page and its Markdown.
// Of a page it keeps its fields, not its text: a build reads each page's
// file again, so fsys must stay readable, and refuses one that changed.
// Themes are checked by Build, which parses the ones it needs. The error, if
// any, is an ErrorList holding every problem found.
func Load(fsys fs.FS) (*Site, error) {
	if s, ok := fsys.(*siteFS); ok {
		s.forgetDirs()
	}
	c, warn := &errs{}, &errs{}
	cfg, cfgDoc, logo := loadConfig(c, fsys)
	l := &loader{c: c, warn: warn, fsys: fsys, md: newMarkdown(), svgs: &svgCache{m: map[string]template.HTML{}}}
	if cfg != nil {
		l.langs = cfg.Languages
	}
	pages, translations := l.loadPages(ContentDir)
	slices.SortFunc(pages, func(a, b *Page) int { return cmp.Compare(a.ID, b.ID) })
	s := &Site{Config: cfg, Pages: pages, Themes: themeNames(fsys), fsys: fsys, md: l.md}
	if len(s.Themes) == 0 {
		c.add(ThemesDir, 0, 0, "a theme is a folder themes/NAME/ holding theme.yaml and layouts/", "the site has no themes")
	} else if cfg != nil && !slices.Contains(s.Themes, cfg.Theme) {
		cfgDoc.add(c, "$.theme", "the site's themes are: "+strings.Join(s.Themes, ", "), "default theme %q does not exist", cfg.Theme)
	}
	s.all = linkTranslations(c, pages, translations, l.langs)
	for _, p := range s.all {
		if p.Lang != "" && !p.broken {
			s.Translations = append(s.Translations, p)
		}
	}
	checkCatalog(c, fsys, pages)
	if cfg != nil {
		cfg.CrashlogPage = crashlogPage(c, cfgDoc, cfg.CrashlogPage, pages)
	}
	s.sites = make(map[string]SiteData, len(l.langs))
	for _, lang := range l.langs {
		s.sites[lang] = SiteData{
			Name: cfg.Brand.Name, Lang: lang, Dir: textDir(lang), Accent: cssColor(cfg.Brand.Accent), Logo: logo,
			Links:  Links{Homepage: cfg.Links.Homepage, Support: cfg.Links.Support, Status: cfg.Links.Status},
			Labels: cfg.labels[lang],
		}
	}
	if cfg != nil {
		s.loadBrands(l, cfgDoc)
		s.strayBrands(warn)
	}
	if err := c.list.Err(); err != nil {
		return nil, err
	}
	missingTranslations(warn, cfgDoc, pages, s.all, l.langs)
	warn.list.Sort()
	s.Warnings = warn.list
	return s, nil
}

// Build loads a site and renders a bundle for each chosen theme.
func Build(fsys fs.FS, opts Options) ([]*bundle.Bundle, error) {
	s, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	return s.Build(opts)
}

// Build renders a bundle for each chosen theme, in parallel across pages.
// Nothing is returned unless every page of every theme rendered.
func (s *Site) Build(opts Options) ([]*bundle.Bundle, error) {
	themes, formats, err := s.plan(opts)
	if err != nil {
		return nil, err
	}
	c := &errs{}
	type job struct {
		theme int
		page  int
	}
	results := make([][]pageResult, len(themes))
	for i := range results {
		results[i] = make([]pageResult, len(s.all))
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				results[j.theme][j.page] = s.renderPage(themes[j.theme], s.all[j.page], formats, opts.Compress)
			}
		})
	}
	for ti := range themes {
		for pi := range s.all {
			jobs <- job{ti, pi}
		}
	}
	close(jobs)
	wg.Wait()

	var out []*bundle.Bundle
	for ti, t := range themes {
		b := &bundle.Bundle{Manifest: s.manifest(t), Files: map[string][]byte{}}
		for _, r := range results[ti] {
			if r.errs != nil {
				c.list = append(c.list, r.errs...)
				continue
			}
			b.Manifest.Pages = append(b.Manifest.Pages, r.page)
			for name, data := range r.files {
				b.Files[name] = data
			}
		}
		out = append(out, b)
	}
	if err := c.list.Err(); err != nil {
		return nil, err
	}
	for _, b := range out {
		if err := b.Validate(); err != nil {
			return nil, fmt.Errorf("internal error: theme %s: %w", b.Manifest.Theme, err)
		}
	}
	return out, nil
}

// plan checks the formats and loads the themes opts choose.
func (s *Site) plan(opts Options) ([]*Theme, []string, error) {
	c := &errs{}
	formats := opts.Formats
	if len(formats) == 0 {
		formats = DefaultFormats
	}
	if slices.Contains(formats, FormatAll) {
		formats = bundle.Formats
	}
	for _, f := range formats {
		if !slices.Contains(bundle.Formats, f) {
			c.add("--format", 0, 0, "formats are "+strings.Join(bundle.Formats, ",")+", or "+FormatAll, "unknown format %q", f)
		}
	}
	formats = normalizeFormats(formats)
	names := opts.Themes
	if len(names) == 0 {
		names = s.Themes
	}
	var themes []*Theme
	for _, name := range names {
		if t := s.theme(c, name); t != nil {
			themes = append(themes, t)
		}
	}
	return themes, formats, c.list.Err()
}

// manifest returns the manifest of theme t's bundle, without its pages.
func (s *Site) manifest(t *Theme) bundle.Manifest {
	m := bundle.Manifest{
		Version: bundle.Version,
		Theme:   t.Name,
		Site: bundle.Settings{Name: s.Config.Brand.Name, Lang: s.Config.Lang,
			DefaultStatus: s.Config.DefaultStatus, DefaultTheme: s.Config.Theme,
			CrashlogPage: s.Config.CrashlogPage},
	}
	if len(s.Config.Languages) > 1 {
		m.Site.Languages = s.Config.Languages
	}
	return m
}

// site returns the site-wide data for p's language.
func (s *Site) site(p *Page) SiteData {
	return s.sites[cmp.Or(p.Lang, s.Config.Lang)]
}

type pageResult struct {
	page  bundle.Page
	files map[string][]byte
	errs  ErrorList
}

// renderPage renders one page in every format for one theme.
func (s *Site) renderPage(t *Theme, p *Page, formats []string, compress bool) pageResult {
	r := pageResult{files: map[string][]byte{}}
	r.page = bundle.Page{
		ID: p.ID, Lang: p.Lang, Status: p.Status, Variant: p.Variant, Fallback: p.Fallback,
		Aliases: p.Meta.Aliases, Source: p.Meta.Source, Title: p.Meta.Title, Summary: p.Meta.Summary,
		Crashlog: p.Meta.Crashlog, RetryAfter: p.Meta.RetryAfter, Files: map[string]bundle.File{},
	}
	fail := func(err error) pageResult {
		c := &errs{}
		t.report(c, err)
		e := c.list[0]
		if e.File == "themes/"+t.Name {
			// Not placed in a theme file: the page is the best place to point at.
			e.File = p.File
			e.Msg = "theme " + t.Name + ": " + e.Msg
		} else {
			e.Msg = "page " + p.ID + ": " + e.Msg
		}
		return pageResult{errs: c.list}
	}
	site := s.site(p)
	c := &errs{}
	q, err := p.reread(s.fsys)
	switch {
	case errors.Is(err, errChanged):
		c.add(p.File, 0, 0, "build again once it is saved", "%v", err)
	case err != nil:
		c.readError(p.File, err)
	}
	if err != nil {
		return pageResult{errs: c.list}
	}
	p = q
	body, err := renderMarkdown(s.md, p)
	if err != nil {
		c.add(p.File, p.src.line, 1, "", "%v", err)
		return pageResult{errs: c.list}
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer renderBufs.Put(buf)
	htmlRaw, err := renderHTML(buf, t, site, p, body)
	if err != nil {
		return fail(err)
	}
	html, err := placeSlots(p, bundle.HTML, htmlRaw)
	if err != nil {
		return fail(err)
	}
	for _, format := range formats {
		var o output
		switch format {
		case bundle.HTML:
			o = html
		case bundle.JSON:
			o, err = placeSlots(p, format, renderJSON(site, p))
		case bundle.Text:
			o, err = placeSlots(p, format, renderText(site, p, body))
		case bundle.XML:
			o, err = placeSlots(p, format, renderXML(site, p))
		case bundle.HTTP:
			o.data, err = renderErrorfile(site, p, html.data)
		}
		if err != nil {
			return fail(err)
		}
		name := p.ID + langSuffix(p.Lang) + "." + format
		f := bundle.File{Name: name, Size: len(o.data), SHA256: bundle.Sum(o.data), Slots: o.slots}
		r.files[name] = o.data
		if compress && format != bundle.HTTP {
			r.files[name+".gz"] = bundle.Gzip(o.data)
			r.files[name+".br"] = bundle.Brotli(o.data, brotli.BestCompression)
			f.Encodings = []string{"br", "gzip"}
		}
		r.page.Files[format] = f
	}
	return r
}

// normalizeFormats puts formats in bundle.Formats order, always with HTML
// (every other format is derived from the same page), without duplicates.
func normalizeFormats(formats []string) []string {
	var out []string
	for _, f := range bundle.Formats {
		if f == bundle.HTML || slices.Contains(formats, f) {
			out = append(out, f)
		}
	}
	return out
}

// cssColor returns a colour checked by accentPattern as CSS.
func cssColor(s string) template.CSS { return template.CSS(s) } // #nosec: validated
