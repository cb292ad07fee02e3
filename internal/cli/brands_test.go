package cli

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
)

// brandSite is the repository's site in its default language alone, with
// the brand's name and accent in ouchie.yaml: what a brand's bundle is
// built from until ouchie build writes brands itself.
func brandSite(t *testing.T, name, accent string) fs.FS {
	t.Helper()
	site := fstest.MapFS{}
	translation := regexp.MustCompile(`\.[a-z]{2}(?:-[A-Za-z]+)?\.md$`)
	err := fs.WalkDir(repoSite, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !(strings.HasPrefix(p, "content/") || strings.HasPrefix(p, "themes/classic/") || p == "logo.svg") || translation.MatchString(p) {
			return nil
		}
		data, err := fs.ReadFile(repoSite, p)
		site[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	site["ouchie.yaml"] = &fstest.MapFile{Data: []byte("brand:\n  name: " + name + "\n  logo: logo.svg\n  accent: \"" + accent + "\"\ntheme: classic\n")}
	return site
}

// brandsDist builds the default brand into dist/classic and each brand
// into dist/<id>/classic, and writes dist/brands.json.
func brandsDist(t *testing.T, dist string, brands []bundle.Brand) {
	t.Helper()
	buildBrand(t, dist, "Ouchie Default", "#123456")
	for _, b := range brands {
		buildBrand(t, filepath.Join(dist, b.ID), b.Name, "#0a7d4f")
	}
	data, err := bundle.MarshalBrands(&bundle.Brands{Version: bundle.BrandsVersion, Themes: []string{"classic"}, Brands: brands})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, bundle.BrandsName), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildBrand builds brandSite(name, accent) into out/classic.
func buildBrand(t *testing.T, out, name, accent string) {
	t.Helper()
	bundles, err := generator.Build(brandSite(t, name, accent), generator.Options{Themes: []string{"classic"}, Formats: []string{"html", "json"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generator.WriteOut(out, bundles); err != nil {
		t.Fatal(err)
	}
}

// TestServeBrandsWatch: with --watch, a brand rebuilt is served as rebuilt.
func TestServeBrandsWatch(t *testing.T) {
	dist := t.TempDir()
	brandsDist(t, dist, []bundle.Brand{{ID: "acme", Name: "Acme Shop", Match: bundle.Match{Hosts: []string{"acme.test"}}}})
	url, _, _, _ := startServe(t, &ServeCmd{Dist: dist, Watch: true})
	page := func() string {
		req, _ := http.NewRequest(http.MethodGet, url+"/404", nil)
		req.Host = "acme.test"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		return body.String()
	}
	if !strings.Contains(page(), "Acme Shop") {
		t.Fatal("not acme's page")
	}
	buildBrand(t, filepath.Join(dist, "acme"), "Acme Renamed", "#0a7d4f")
	for range 200 {
		if strings.Contains(page(), "Acme Renamed") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("the rebuilt brand is not served after 10 s")
}

// TestServeBrands: --dist with brands.json serves each brand's pages to
// its hosts and the default's to the rest; SIGHUP reads brands.json again.
func TestServeBrands(t *testing.T) {
	dist := t.TempDir()
	brands := []bundle.Brand{
		{ID: "acme", Name: "Acme Shop", Match: bundle.Match{Hosts: []string{"acme.test", "*.acme.test"}, Namespaces: []string{"acme"}}},
		{ID: "globex", Name: "Globex Corporation", Match: bundle.Match{Hosts: []string{"globex.test"}}},
	}
	brandsDist(t, dist, brands)
	url, sigs, logs, wait := startServe(t, &ServeCmd{Dist: dist, BrandCache: 64})
	get := func(host string, h ...string) string { return get503(t, url, host, h...) }
	for _, tt := range []struct {
		host    string
		headers []string
		want    string
	}{
		{"acme.test", nil, "Acme Shop"},
		{"shop.acme.test:8080", nil, "Acme Shop"},
		{"globex.test", nil, "Globex Corporation"},
		{"example.test", []string{"X-Namespace", "acme"}, "Acme Shop"},
		{"example.test", nil, "Ouchie Default"},
	} {
		if body := get(tt.host, tt.headers...); !strings.Contains(body, tt.want) || strings.Contains(body, "#0a7d4f") != (tt.want != "Ouchie Default") {
			t.Errorf("Host %s %v: the page is not %s's", tt.host, tt.headers, tt.want)
		}
	}

	// A brand dropped from brands.json gets the default's pages after SIGHUP.
	data, err := bundle.MarshalBrands(&bundle.Brands{Version: bundle.BrandsVersion, Themes: []string{"classic"}, Brands: brands[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, bundle.BrandsName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sigs <- syscall.SIGHUP
	for range 100 {
		if strings.Contains(logs.String(), "reloaded") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if body := get("globex.test"); !strings.Contains(body, "Ouchie Default") {
		t.Error("after the reload, globex.test still gets Globex's page")
	}
	sigs <- syscall.SIGTERM
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "brands=2") || !strings.Contains(logs.String(), "brands=1") {
		t.Errorf("the log does not count the brands:\n%s", logs.String())
	}
}

// TestServeBrandsErrors: a brands.json that does not hold, or a brand
// whose bundle is missing, stops the start with the file at fault.
func TestServeBrandsErrors(t *testing.T) {
	dist := t.TempDir()
	brandsDist(t, dist, []bundle.Brand{{ID: "acme", Name: "Acme", Match: bundle.Match{Hosts: []string{"acme.test"}}}})
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, DefaultSite: repoSite}
	if err := os.WriteFile(filepath.Join(dist, bundle.BrandsName), []byte(`{"version": 1, "themes": ["classic"], "brands": [{"id": "Acme"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &ServeCmd{Dist: dist, Listen: "127.0.0.1:0", BrandCache: 64}
	err := c.serve(env, nil, nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dist, "brands.json")+`:1:57: brands[0].id: bad brand id "Acme"`) {
		t.Errorf("a bad id: %v", err)
	}
	var h hinter
	if !asHinter(err, &h) || !strings.Contains(h.Hint(), "ouchie build --dist") {
		t.Errorf("no hint: %v", err)
	}
	data, _ := bundle.MarshalBrands(&bundle.Brands{Version: 1, Themes: []string{"classic"}, Brands: []bundle.Brand{{ID: "gone"}}})
	if err := os.WriteFile(filepath.Join(dist, bundle.BrandsName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.serve(env, nil, nil); err == nil || !strings.Contains(err.Error(), "brand gone: no manifest.json") {
		t.Errorf("a brand without its bundle: %v", err)
	}
}

// TestServeSrcBrands: ouchie serve --src serves a site's brands as a build
// would: each brand's pages, its overrides, chosen by Host, and the brands
// as they are after a reload.
func TestServeSrcBrands(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, brandSite(t, "Ouchie Default", "#123456")); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "ouchie.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, "brands:\n  - id: acme\n    brand:\n      name: Acme Shop\n      accent: \"#0a7d4f\"\n    match:\n      hosts: [acme.test]\n"...)
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ouchie.yaml", string(cfg))
	override := "---\nstatus: 503\ntitle: %s\nsummary: Acme's shop is closed for a moment.\nsource: app\n---\n\nCome back soon.\n"
	write("brands/acme/content/503.md", fmt.Sprintf(override, "Acme is down"))

	url, sigs, logs, wait := startServe(t, &ServeCmd{Src: dir, BrandCache: 64})
	get := func(host string, h ...string) string { return get503(t, url, host, h...) }
	if body := get("acme.test"); !strings.Contains(body, "Acme Shop") || !strings.Contains(body, "Acme is down") {
		t.Errorf("acme.test does not get Acme's own 503:\n%s", body)
	}
	if body := get("example.test"); !strings.Contains(body, "Ouchie Default") || strings.Contains(body, "Acme") {
		t.Errorf("example.test does not get the site's 503:\n%s", body)
	}

	write("brands/acme/content/503.md", fmt.Sprintf(override, "Acme is still down"))
	sigs <- syscall.SIGHUP
	for range 100 {
		if strings.Contains(logs.String(), "reloaded") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if body := get("acme.test"); !strings.Contains(body, "Acme is still down") {
		t.Errorf("after the reload, acme.test does not get the brand's page as edited:\n%s", body)
	}
	sigs <- syscall.SIGTERM
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "brands=1") {
		t.Errorf("the log does not count the brand:\n%s", logs.String())
	}
}

// TestBuildBrandsAllOrNothing: a build of several brands writes every
// brand before it replaces any output, so a brand that fails leaves every
// brand's output, and the site's, as it was, and no staging folder behind.
func TestBuildBrandsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	site, dist := filepath.Join(dir, "site"), filepath.Join(dir, "dist")
	if err := os.CopyFS(site, brandSite(t, "Ouchie Default", "#123456")); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(site, "ouchie.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	brands := "brands:\n  - id: acme\n    brand:\n      name: %s\n    match:\n      hosts: [acme.test]\n" +
		"  - id: beta\n    brand:\n      name: Beta Works\n    match:\n      hosts: [beta.test]\n"
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(site, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(site, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ouchie.yaml", string(cfg)+fmt.Sprintf(brands, "Acme Shop"))
	if code, _, errs := ouchie("build", "--src", site, "--dist", dist); code != 0 {
		t.Fatalf("first build: %d\n%s", code, errs)
	}
	files := []string{"classic/503.html", "acme/classic/503.html", "beta/classic/503.html", "brands.json"}
	before := map[string][]byte{}
	for _, f := range files {
		if before[f], err = os.ReadFile(filepath.Join(dist, f)); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(before["acme/classic/503.html"], []byte("Acme Shop")) {
		t.Fatal("acme's page does not name Acme Shop")
	}

	// acme renamed, the site's 503 edited, and beta broken: nothing changes.
	write("ouchie.yaml", string(cfg)+fmt.Sprintf(brands, "Acme Renamed"))
	page, err := os.ReadFile(filepath.Join(site, "content/503.md"))
	if err != nil {
		t.Fatal(err)
	}
	write("content/503.md", string(page)+"\nEdited.\n")
	// A layout that fails as it renders, not as it loads: beta's turn
	// comes after the site's and acme's bundles are written.
	write("brands/beta/layouts/page.html", `{{ define "main" }}<h1>{{ .Page.Nope }}</h1>{{ end }}`)
	code, out, errs := ouchie("build", "--src", site, "--dist", dist)
	if code == 0 || !strings.Contains(errs, "brands/beta/layouts/page.html:1:31") || !strings.Contains(errs, "Nope") {
		t.Fatalf("build with a broken brand: %d\n%s%s", code, out, errs)
	}
	for _, f := range files {
		if after, err := os.ReadFile(filepath.Join(dist, f)); err != nil || !bytes.Equal(after, before[f]) {
			t.Errorf("%s changed (or is gone: %v) though the build failed", f, err)
		}
	}
	for _, d := range []string{dist, filepath.Join(dist, "acme"), filepath.Join(dist, "beta")} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("%s left in %s", e.Name(), d)
			}
		}
	}
}

// get503 asks the server at url for /503 with the Host and the header
// pairs h, checks it answers 503 varying by Host, and returns the page.
func get503(t *testing.T, url, host string, h ...string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/503", nil)
	req.Host = host
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(resp.Header.Get("Vary"), "Host") {
		t.Errorf("Host %s: %d, Vary %q", host, resp.StatusCode, resp.Header.Get("Vary"))
	}
	return body.String()
}
