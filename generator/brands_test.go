package generator

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ouchie/ouchie/generator/bundle"
)

// brandSite is the language site with testdata/brands/site.txtar over it.
func brandSite(t *testing.T) fstest.MapFS {
	t.Helper()
	return overlaid(t, langSite(t), "testdata/brands/site.txtar")
}

// buildBrand builds the brand id of s in every format.
func buildBrand(t *testing.T, s *Site, id string) *bundle.Bundle {
	t.Helper()
	bs, err := s.ChooseBrands([]string{id})
	if err != nil {
		t.Fatal(err)
	}
	bundles, err := bs[0].Site.Build(Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	return bundles[0]
}

func pageFile(t *testing.T, b *bundle.Bundle, id, lang, format string) string {
	t.Helper()
	p, ok := b.Translation(id, lang)
	if !ok {
		t.Fatalf("%s: no page %s in %q", b.Manifest.Site.Name, id, lang)
	}
	return string(b.Files[p.Files[format].Name])
}

// A brand's bundle is the site's pages with the brand's settings and
// overrides: its name, accent, sanitized logo and links (the rest
// inherited), its own pages and layouts, and only its languages.
func TestBrandBundle(t *testing.T) {
	s, site := buildSite(t, brandSite(t))
	shop := buildBrand(t, s, "shop")
	m := shop.Manifest
	if m.Site.Name != "Shop & Co" || m.Site.DefaultTheme != "plain" || !slices.Equal(m.Site.Languages, []string{"en", "de"}) {
		t.Errorf("shop's settings: %+v", m.Site)
	}
	html := pageFile(t, shop, "404", "", bundle.HTML)
	for _, want := range []string{"Shop &amp; Co", "--accent:#123456", `id="shoplogo"`, `href="https://shop.test/"`,
		"<h1>Shop page gone</h1>", "<em>shop&rsquo;s</em>", `<footer class="shop-footer">Shop &amp; Co</footer>`} {
		if !strings.Contains(html, want) {
			t.Errorf("shop's 404 lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "evil.example") {
		t.Errorf("shop's logo kept its external image:\n%s", html)
	}
	if got := pageFile(t, shop, "502-app-failed-to-boot", "", bundle.HTML); !strings.Contains(got, "Shop &amp; Co") {
		t.Errorf("a page shop does not override lacks its name:\n%s", got)
	}
	if _, ok := shop.Translation("404", "ar"); ok {
		t.Error("shop has an Arabic page; its languages are en and de")
	}
	de := pageFile(t, shop, "503-platform-error", "de", bundle.HTML)
	if !strings.Contains(de, "Shop-Wartung") {
		t.Errorf("shop's own German 503 is not in its bundle:\n%s", de)
	}
	if de404 := pageFile(t, shop, "404", "de", bundle.HTML); !strings.Contains(de404, "Seite nicht gefunden") || !strings.Contains(de404, "Shop &amp; Co") {
		t.Errorf("the site's German 404 in shop's bundle:\n%s", de404)
	}
	// The site's own bundle is untouched by its brands.
	if html := pageFile(t, site, "404", "", bundle.HTML); strings.Contains(html, "Shop") || strings.Contains(html, "shop-footer") {
		t.Errorf("the site's 404 shows the brand:\n%s", html)
	}
	if _, ok := site.Translation("503-platform-error", "de"); ok {
		t.Error("the site gained shop's German 503")
	}

	beta := buildBrand(t, s, "beta")
	html = pageFile(t, beta, "404", "", bundle.HTML)
	for _, want := range []string{"<a href=\"https://acme.example/\">Beta</a>", "--accent:#0a7", "<h1>Page not found</h1>"} {
		if !strings.Contains(html, want) {
			t.Errorf("beta's 404 lacks %q:\n%s", want, html)
		}
	}
	if _, ok := beta.Translation("404", "ar"); !ok {
		t.Error("beta lacks the site's Arabic 404")
	}
}

// brands.json lists every brand in ouchie.yaml's order, with its rules
// (empty lists left out) and the pages it overrides.
func TestBrandsFile(t *testing.T) {
	s, err := Load(brandSite(t))
	if err != nil {
		t.Fatal(formatErr(err))
	}
	data, err := bundle.MarshalBrands(s.BrandsFile(nil))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"brands":[{"id":"shop","match":{"apps":["shop-web"],"hosts":["shop.test","*.shop.test","*.eu.shop.test"],"namespaces":["shop"]},"name":"Shop \u0026 Co","overrides":["404","503-platform-error"],"theme":"plain"},` +
		`{"id":"beta","match":{"hosts":["beta.test"],"ingresses":["beta-web"]},"name":"Beta","theme":"plain"}],"themes":["plain"],"version":1}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("brands.json:\n%s\nwant\n%s", b, want)
	}
	if _, err := s.ChooseBrands([]string{"shop", "nope"}); err == nil || !strings.Contains(err.Error(), `unknown brand "nope"`) {
		t.Errorf("ChooseBrands of an unknown brand: %v", err)
	}
	if bs, _ := s.ChooseBrands([]string{"beta", "default"}); len(bs) != 2 || bs[0].ID != "default" || bs[1].ID != "beta" {
		t.Errorf("ChooseBrands(beta, default) = %v", bs)
	}

	plain, err := Load(baseSite(t))
	if err != nil {
		t.Fatal(err)
	}
	if plain.BrandsFile(nil) != nil {
		t.Error("a site without brands has a brands.json")
	}
}

// The router snippets list exact hosts first, then wildcards from the most
// specific, so first-match routers choose as ouchie serve does.
func TestRouterMap(t *testing.T) {
	s, err := Load(brandSite(t))
	if err != nil {
		t.Fatal(formatErr(err))
	}
	got := string(RouterMap(s.BrandsFile(nil), "nginx-map", "plain"))
	want := `map $host $ouchie_brand {
    hostnames;
    default default;
    shop.test shop;
    beta.test beta;
    *.eu.shop.test shop;
    *.shop.test shop;
}
map $host $ouchie_bundle {
    hostnames;
    default plain;
    shop.test shop/plain;
    beta.test beta/plain;
    *.eu.shop.test shop/plain;
    *.shop.test shop/plain;
}
`
	if !strings.HasSuffix(got, want) {
		t.Errorf("nginx-map:\n%s\nwant it to end\n%s", got, want)
	}
	got = string(RouterMap(s.BrandsFile(nil), "caddy-map", "plain"))
	want = `map {host} {ouchie_brand} {ouchie_bundle} {
	shop.test shop shop/plain
	beta.test beta beta/plain
	~^.+\.eu\.shop\.test$ shop shop/plain
	~^.+\.shop\.test$ shop shop/plain
	default default plain
}
`
	if !strings.HasSuffix(got, want) {
		t.Errorf("caddy-map:\n%s\nwant it to end\n%s", got, want)
	}
}
