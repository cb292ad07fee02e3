package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/internal/human"
)

// BuildCmd renders bundles.
type BuildCmd struct {
	SiteFlag
	Dist     string   `help:"Output folder; each theme's bundle goes to DIST/THEME/, where ouchie serve --dist finds it. Default: ${default}." default:"dist" env:"OUCHIE_DIST" placeholder:"DIR"`
	Out      string   `hidden:"" help:"Deprecated: the old spelling of --dist." env:"OUCHIE_OUT" placeholder:"DIR"`
	Theme    []string `help:"Themes to build (repeatable or comma list; OUCHIE_THEMES lists them, OUCHIE_THEME names one). Default: every theme of the site." env:"OUCHIE_THEMES,OUCHIE_THEME" placeholder:"NAME"`
	Format   []string `help:"Formats to write, a comma list of ${formats}, or all. Default: ${default}." default:"${default_formats}" env:"OUCHIE_FORMAT" placeholder:"LIST"`
	Compress bool     `help:"Also write .gz and .br siblings of every file." env:"OUCHIE_COMPRESS"`
	Target   string   `help:"Also write what a static host needs: netlify, cloudflare, s3 or github-pages (see docs/); or, for a site with brands, a router's map of them: nginx-map or caddy-map (DIST/nginx-map.conf, DIST/caddy-map.conf; see docs/brands.md)." env:"OUCHIE_TARGET" placeholder:"HOST"`
	Brand    []string `help:"Brands to build, by id (repeatable or comma list; default names the site itself). Each brand's bundles go to DIST/ID/THEME/, the site's to DIST/THEME/; DIST/brands.json lists every brand. Default: the site and every brand." env:"OUCHIE_BRANDS" placeholder:"ID"`
}

// Run builds the site and replaces the output only when everything rendered.
func (c *BuildCmd) Run(env *Env) error {
	start := time.Now()
	fsys, where, err := c.open(env)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "ouchie: building %s\n", where)
	site, err := generator.Load(fsys)
	if err != nil {
		return err
	}
	brands, err := site.ChooseBrands(splitList(c.Brand))
	if err != nil {
		return withHint(err, "--brand takes ids from brands: in ouchie.yaml, or default for the site itself")
	}
	target := c.Target
	if _, router := generator.RouterTargets[c.Target]; router {
		if len(site.Brands) == 0 {
			return withHint(fmt.Errorf("--target %s: the site has no brands to map", c.Target), "docs/brands.md: brands: in ouchie.yaml")
		}
		target = "" // written from brands.json, beside the bundles
	}
	// Every brand is written to its staging folders before any replaces
	// its output: a brand that fails leaves every brand's output as it was.
	var st generator.WriteStats
	var themes []string
	var staged []*generator.Staged
	defer func() {
		for _, s := range staged {
			s.Discard()
		}
	}()
	for _, b := range brands {
		out := generator.BrandDir(c.Dist, b.ID)
		bs, err := c.stageBrand(b.Site, out, target)
		if err != nil {
			if len(brands) > 1 {
				err = fmt.Errorf("brand %s: %w", b.ID, err)
			}
			return err
		}
		staged = append(staged, bs)
		st.Files, st.Bytes, themes = st.Files+bs.Stats.Files, st.Bytes+bs.Stats.Bytes, bs.Stats.Themes
	}
	for i, bs := range staged {
		if err := bs.Publish(); err != nil {
			return fmt.Errorf("output %s: %w", generator.BrandDir(c.Dist, brands[i].ID), err)
		}
	}
	if err := site.WriteBrands(c.Dist, c.Target, themes); err != nil {
		return fmt.Errorf("output %s: %w", c.Dist, err)
	}
	fmt.Fprintf(env.Stdout, "built %s%s × %s (%s)%s: %s, %s in %s → %s\n",
		human.Count(len(site.Pages), "page"), translated(site), human.Count(len(themes), "theme"), strings.Join(themes, ", "), brandsBuilt(site, brands),
		human.Count(st.Files, "file"), human.Bytes(st.Bytes),
		time.Since(start).Round(time.Millisecond), filepath.Clean(c.Dist)+string(filepath.Separator))
	return nil
}

// stageBrand builds one brand's site (the site itself for the default)
// into staging folders in out, for Publish. Pages are rendered and written
// one by one into a staging folder per theme: memory does not grow with
// the number of pages.
func (c *BuildCmd) stageBrand(site *generator.Site, out, target string) (*generator.Staged, error) {
	st, err := site.StageOut(out, generator.Options{Themes: splitList(c.Theme), Formats: splitList(c.Format), Compress: c.Compress}, target)
	var oe *generator.OutputError
	switch {
	case errors.As(err, &oe):
		return st, fmt.Errorf("output %s: %w (the previous output is unchanged)", out, err)
	case err != nil && target != "" && !slices.Contains(generator.Targets, target):
		return st, withHint(err, "--target prepares a bundle for a static host, or a map of the brands for a router; leave it out for ouchie serve")
	}
	return st, err
}

// brandsBuilt says which brands a build built: "" for a site without
// brands, else " × 3 brands (default, acme, beta)", the first few named.
func brandsBuilt(site *generator.Site, built []*generator.Brand) string {
	if len(site.Brands) == 0 {
		return ""
	}
	var ids []string
	for i, b := range built {
		if i == 4 && len(built) > 5 {
			ids = append(ids, "...")
			break
		}
		ids = append(ids, b.ID)
	}
	return fmt.Sprintf(" × %s (%s)", human.Count(len(built), "brand"), strings.Join(ids, ", "))
}

// CheckCmd validates a site.
type CheckCmd struct {
	SiteFlag
	Strict bool `help:"Fail on warnings too (pages missing in a language, placeholder text left by ouchie new)." env:"OUCHIE_STRICT"`
}

// Run loads the site and renders every theme in memory.
func (c *CheckCmd) Run(env *Env) error {
	fsys, where, err := c.open(env)
	if err != nil {
		return err
	}
	site, err := generator.Load(fsys)
	if err != nil {
		return err
	}
	bundles, err := site.Check()
	if err != nil {
		return err
	}
	if c.Strict && len(site.Warnings) > 0 {
		return withHint(site.Warnings, "without --strict, warnings are printed and check passes")
	}
	printList(env.Stderr, "warning", site.Warnings)
	fmt.Fprintf(env.Stdout, "ok: %s: %s%s × %s\n", where, human.Count(len(site.Pages), "page"), translated(site), checked(site, bundles))
	return nil
}

// InitCmd writes the default site for editing.
type InitCmd struct {
	Dir string `arg:"" help:"Folder to write the site into (created if missing)." type:"path"`
}

// Run copies the embedded site, refusing to overwrite anything.
func (c *InitCmd) Run(env *Env) error {
	n, err := generator.CopySite(env.DefaultSite, c.Dir)
	if errors.Is(err, generator.ErrExist) {
		return withHint(fmt.Errorf("%w; nothing was written", err), "choose an empty or new folder")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote the default site (%s) to %s\nnext: cd %s && ouchie build\n", human.Count(n, "file"), c.Dir, c.Dir)
	return nil
}

// NewCmd writes a new page.
type NewCmd struct {
	SiteFlag
	Page  string `arg:"" help:"Page id: STATUS (404), STATUS-VARIANT (503-payment-provider-down), or 4xx/5xx."`
	Lang  string `help:"Write a translation of the page instead, content/PAGE.LANG.md, starting from the default language's title, summary and text. LANG is one of languages: in ouchie.yaml." placeholder:"LANG"`
	Brand string `help:"Write a brand's own page instead, brands/ID/content/PAGE.md (with --lang, PAGE.LANG.md), starting from a copy of the site's. ID is one of brands: in ouchie.yaml." placeholder:"ID"`
}

// Run writes content/<id>.md with front matter to fill in, or with --lang
// content/<id>.<lang>.md.
func (c *NewCmd) Run(env *Env) error {
	body, ok := generator.Skeleton(c.Page)
	if !ok {
		return withHint(fmt.Errorf("bad page id %q", c.Page), `use STATUS (400-599), STATUS-VARIANT (lowercase words joined by "-"), 4xx or 5xx; e.g. ouchie new 503-payment-provider-down`)
	}
	dir := c.Src
	if dir == "" {
		dir = "."
	}
	if err := generator.CheckSite(dir); err != nil {
		return withHint(err, "run it inside a site, or pass --src; `ouchie init DIR` writes a site")
	}
	if c.Brand != "" {
		return c.brandPage(env, dir)
	}
	if c.Lang != "" {
		return c.translation(env, dir)
	}
	return writeNew(env, filepath.Join(dir, generator.ContentDir, c.Page+".md"), body)
}

// translation writes content/<id>.<lang>.md from content/<id>.md.
func (c *NewCmd) translation(env *Env, dir string) error {
	fsys, err := generator.OpenDir(dir)
	if err != nil {
		return err
	}
	body, err := generator.TranslationSkeleton(fsys, c.Page, c.Lang)
	if err != nil {
		return err
	}
	return writeNew(env, filepath.Join(dir, generator.ContentDir, c.Page+"."+c.Lang+".md"), body)
}

// brandPage writes brands/<brand>/content/<id>[.<lang>].md from the site's.
func (c *NewCmd) brandPage(env *Env, dir string) error {
	fsys, err := generator.OpenDir(dir)
	if err != nil {
		return err
	}
	file, body, err := generator.BrandSkeleton(fsys, c.Brand, c.Page, c.Lang)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(file)), 0o755); err != nil {
		return err
	}
	return writeNew(env, filepath.Join(dir, file), body)
}

// writeNew writes a new file of the site, refusing to replace one.
func writeNew(env *Env, file string, body []byte) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return withHint(fmt.Errorf("%s already exists; nothing was written", file), "edit it, or choose another page id")
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s\n", file)
	return nil
}

// translated says how many translations a site has, and into what: "" for
// a site in one language, else " + 12 translations (de, fr)".
func translated(s *generator.Site) string {
	if len(s.Config.Languages) < 2 {
		return ""
	}
	return fmt.Sprintf(" + %s (%s)", human.Count(len(s.Translations), "translation"), strings.Join(s.Config.Languages[1:], ", "))
}

// checked says what check rendered: "3 themes", or with brands "3 themes ×
// 4 brands (default, acme, ...)".
func checked(site *generator.Site, bundles int) string {
	all, _ := site.ChooseBrands(nil)
	return human.Count(bundles/len(all), "theme") + brandsBuilt(site, all)
}
