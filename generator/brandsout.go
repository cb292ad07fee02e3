package generator

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// BrandsFile returns brands.json for a build of themes (every theme of the
// site when empty), or nil when the site has no brands. A brand whose
// default theme is not built gets the first built.
func (s *Site) BrandsFile(themes []string) *bundle.Brands {
	if len(s.Brands) == 0 {
		return nil
	}
	if len(themes) == 0 {
		themes = s.Themes
	}
	out := &bundle.Brands{Version: bundle.BrandsVersion, Themes: themes, Brands: make([]bundle.Brand, len(s.Brands))}
	for i, b := range s.Brands {
		theme := b.Site.Config.Theme
		if !slices.Contains(themes, theme) {
			theme = themes[0]
		}
		out.Brands[i] = bundle.Brand{ID: b.ID, Name: b.Site.Config.Brand.Name, Theme: theme,
			Match: b.Match.bundleMatch(), Overrides: b.Overrides}
	}
	return out
}

// ChooseBrands returns the sites a build of ids builds: the site itself for
// bundle.DefaultBrand, and each brand named; every one when ids is empty.
func (s *Site) ChooseBrands(ids []string) ([]*Brand, error) {
	all := append([]*Brand{{ID: bundle.DefaultBrand, Site: s}}, s.Brands...)
	if len(ids) == 0 {
		return all, nil
	}
	var out []*Brand
	for _, b := range all {
		if slices.Contains(ids, b.ID) {
			out = append(out, b)
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(b *Brand) bool { return b.ID == id }) {
			names := make([]string, len(all))
			for i, b := range all {
				names[i] = b.ID
			}
			return nil, fmt.Errorf("unknown brand %q (the site's brands are %s)", id, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// BrandDir returns the folder of out a brand's bundles go to: out itself
// for the site (DIST/<theme>/), out/<id> for a brand.
func BrandDir(out, id string) string {
	if id == bundle.DefaultBrand {
		return out
	}
	return filepath.Join(out, id)
}

// RouterTargets are the router snippets a build can write beside the
// bundles, from brands.json, and the file each goes to in DIST.
var RouterTargets = map[string]string{"nginx-map": "nginx-map.conf", "caddy-map": "caddy-map.conf"}

// WriteBrands writes brands.json for a build of themes and, with a router
// target, its snippet to out, each by a rename, so a reader sees the old
// file or the new one. A site without brands writes nothing.
func (s *Site) WriteBrands(out, target string, themes []string) error {
	b := s.BrandsFile(themes)
	if b == nil {
		return nil
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("internal error: %s: %w", bundle.BrandsName, err)
	}
	data, err := bundle.MarshalBrands(b)
	if err != nil {
		return err
	}
	files := map[string][]byte{bundle.BrandsName: data}
	if name, ok := RouterTargets[target]; ok {
		def := s.Config.Theme
		if !slices.Contains(b.Themes, def) {
			def = b.Themes[0]
		}
		files[name] = RouterMap(b, target, def)
	}
	for name, data := range files {
		if err := writeReplace(filepath.Join(out, name), data); err != nil {
			return err
		}
	}
	return nil
}

// writeReplace writes data to file through a temporary file beside it.
func writeReplace(file string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".new-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), file)
}

// hostRule is one host of brands.json with the bundle it chooses.
type hostRule struct {
	host, brand, bundle string
}

// hostRules lists every host rule of b: exact hosts first, then wildcards
// from the most specific (most labels) down, and within each in the
// brands' order, so a router that takes the first match picks as ouchie
// serve does. bundle is the folder of DIST holding the brand's default
// theme.
func hostRules(b *bundle.Brands) []hostRule {
	var exact, wild []hostRule
	for _, br := range b.Brands {
		for _, h := range br.Match.Hosts {
			r := hostRule{h, br.ID, br.ID + "/" + br.Theme}
			if strings.HasPrefix(h, "*.") {
				wild = append(wild, r)
			} else {
				exact = append(exact, r)
			}
		}
	}
	slices.SortStableFunc(wild, func(x, y hostRule) int {
		return cmp.Compare(strings.Count(y.host, "."), strings.Count(x.host, "."))
	})
	return append(exact, wild...)
}

// RouterMap returns the snippet of a router target (see RouterTargets) for
// b: it sets $ouchie_brand (nginx) or {ouchie_brand} (Caddy) to the brand
// id a request's host chooses, "default" for none, and ouchie_bundle to the
// folder of DIST holding that brand's bundle in its default theme
// (defaultTheme for the site itself). Only hosts take part: the other match rules need headers
// that ouchie serve reads.
func RouterMap(b *bundle.Brands, target, defaultTheme string) []byte {
	rules := hostRules(b)
	def := hostRule{"", bundle.DefaultBrand, defaultTheme}
	var w strings.Builder
	fmt.Fprintf(&w, "# Written by ouchie build --target %s from %s: the brand a request's host\n", target, bundle.BrandsName)
	w.WriteString("# chooses, and the folder of the dist holding its bundle. Do not edit.\n")
	switch target {
	case "nginx-map":
		for _, v := range []struct {
			name string
			val  func(hostRule) string
		}{{"ouchie_brand", func(r hostRule) string { return r.brand }}, {"ouchie_bundle", func(r hostRule) string { return r.bundle }}} {
			fmt.Fprintf(&w, "map $host $%s {\n    hostnames;\n    default %s;\n", v.name, v.val(def))
			for _, r := range rules {
				fmt.Fprintf(&w, "    %s %s;\n", r.host, v.val(r))
			}
			w.WriteString("}\n")
		}
	case "caddy-map":
		w.WriteString("map {host} {ouchie_brand} {ouchie_bundle} {\n")
		for _, r := range rules {
			host := r.host
			if rest, ok := strings.CutPrefix(host, "*."); ok {
				host = `~^.+\.` + strings.ReplaceAll(rest, ".", `\.`) + `$`
			}
			fmt.Fprintf(&w, "\t%s %s %s\n", host, r.brand, r.bundle)
		}
		fmt.Fprintf(&w, "\tdefault %s %s\n}\n", def.brand, def.bundle)
	}
	return []byte(w.String())
}

// BrandSkeleton returns the path and text of a brand's new page
// brands/<brand>/content/<id>[.<lang>].md: a copy of the site's page, to
// make the brand's own. The site must have the page (a brand overrides
// pages, it adds none); a translation the site lacks starts as
// TranslationSkeleton's.
func BrandSkeleton(fsys fs.FS, brand, id, lang string) (string, []byte, error) {
	c := &errs{}
	cfg, _, _ := loadConfig(c, fsys)
	if cfg == nil {
		return "", nil, c.list.Err()
	}
	if lang != "" && (lang == cfg.Lang || !slices.Contains(cfg.Languages, lang)) {
		return "", nil, ErrorList{{File: ConfigName, Msg: fmt.Sprintf("%q is not one of the site's other languages", lang), Hint: languagesHint(cfg.Languages)}}
	}
	if bundle.CheckBrandID(brand) != nil || !slices.ContainsFunc(cfg.Brands, func(b BrandConfig) bool { return b.ID == brand }) {
		var ids []string
		for _, b := range cfg.Brands {
			ids = append(ids, b.ID)
		}
		hint := "brands: in ouchie.yaml names none"
		if len(ids) > 0 {
			hint = "the site's brands (brands: in ouchie.yaml) are " + strings.Join(ids, ", ")
		}
		return "", nil, ErrorList{{File: ConfigName, Msg: fmt.Sprintf("unknown brand %q", brand), Hint: hint}}
	}
	name := id + langSuffix(lang) + ".md"
	out := BrandsDir + "/" + brand + "/" + ContentDir + "/" + name
	data, err := fs.ReadFile(fsys, ContentDir+"/"+name)
	switch {
	case err == nil:
		return out, data, nil
	case lang != "" && errors.Is(err, fs.ErrNotExist):
		data, err := TranslationSkeleton(fsys, id, lang)
		return out, data, err
	case errors.Is(err, fs.ErrNotExist):
		return "", nil, ErrorList{{File: ContentDir + "/" + name, Msg: "no such page",
			Hint: "a brand overrides the site's pages: `ouchie new " + id + "` writes the site's first"}}
	}
	return "", nil, err
}
