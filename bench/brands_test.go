package main

import (
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator"
)

// writeBrands gives the default site n brands that load: each its own
// name, accent and logo, every tenth its own 404.
func TestWriteBrands(t *testing.T) {
	src, err := generator.OpenDir("..") // the default site
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := generator.CopySite(src, dir); err != nil {
		t.Fatal(err)
	}
	if err := writeBrands(dir, 20); err != nil {
		t.Fatal(err)
	}
	fsys, err := generator.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := generator.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	bf := s.BrandsFile(nil)
	if len(bf.Brands) != 20 {
		t.Fatalf("%d brands, want 20", len(bf.Brands))
	}
	names, overrides := map[string]bool{}, 0
	for _, b := range bf.Brands {
		names[b.Name] = true
		overrides += len(b.Overrides)
	}
	if len(names) != 20 || overrides != 2 {
		t.Errorf("%d distinct names, %d overrides; want 20 and 2", len(names), overrides)
	}
	brands, err := s.ChooseBrands([]string{"brand-0010"})
	if err != nil {
		t.Fatal(err)
	}
	bundles, err := brands[0].Site.Build(generator.Options{Themes: []string{"classic"}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := bundles[0].Page("404")
	html := string(bundles[0].Files[p.Files["html"].Name])
	if !strings.Contains(html, "Brand 10 has no such page") || !strings.Contains(html, "<circle") {
		t.Errorf("brand-0010's 404 lacks its own title or logo:\n%s", html)
	}
	if len(bundles[0].Manifest.Site.Languages) != 0 {
		t.Errorf("a generated brand has languages %v, want only the default", bundles[0].Manifest.Site.Languages)
	}
}
