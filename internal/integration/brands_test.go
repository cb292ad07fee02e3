package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// brandsDist builds the default site with two brands (acme, with its own
// 404, and beta, with only its name) into a dist with the router map of
// target, and returns the dist.
func brandsDist(t testing.TB, target string) string {
	t.Helper()
	bin, _ := ouchieBuild(t)
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	if out, code := run(t, nil, nil, bin, "init", site); code != 0 {
		t.Fatalf("ouchie init: %s", out)
	}
	cfg, err := os.ReadFile(filepath.Join(site, "ouchie.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, `
brands:
  - id: acme
    brand:
      name: Acme Shop
      accent: "#0a7d4f"
    match:
      hosts: [acme.test, "*.acme.test"]
  - id: beta
    brand:
      name: Beta Works
    match:
      hosts: [beta.test]
`...)
	if err := os.WriteFile(filepath.Join(site, "ouchie.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(site, "brands", "acme", "content"), 0o755); err != nil {
		t.Fatal(err)
	}
	page := "---\nstatus: 404\ntitle: Acme has no such page\nsummary: Nothing here at Acme.\nsource: client\n---\nBack to the shop.\n"
	if err := os.WriteFile(filepath.Join(site, "brands", "acme", "content", "404.md"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(dir, "dist")
	cmd := exec.Command(bin, "build", "--src", site, "--dist", dist, "--theme", theme, "--format", "html", "--target", target)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ouchie build: %v\n%s", err, out)
	}
	// nginx's workers may run as nobody: they must read the dist.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dist
}

// checkBrandRouter asks router url for a page the app answers 404 and 502
// for, with the hosts of each brand and an unknown one, and checks that
// each gets its brand's page file byte for byte.
func checkBrandRouter(t *testing.T, url, dist string) {
	t.Helper()
	file := func(dir, name string) []byte {
		data, err := os.ReadFile(filepath.Join(dist, dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	acme404, site404 := file("acme/classic", "404.html"), file("classic", "404.html")
	if bytes.Equal(acme404, site404) || !bytes.Contains(acme404, []byte("Acme has no such page")) {
		t.Fatal("acme's 404 is not its own: the test would prove nothing")
	}
	cases := []struct {
		host, path   string
		status       int
		bundle, page string
	}{
		{"acme.test", "/status/404", 404, "acme/classic", "404.html"},
		{"shop.acme.test", "/status/404", 404, "acme/classic", "404.html"},
		{"a.b.acme.test", "/status/502", 502, "acme/classic", "502.html"},
		{"beta.test", "/status/404", 404, "beta/classic", "404.html"},
		{"unknown.test", "/status/404", 404, "classic", "404.html"},
		{"acme.test.evil", "/status/404", 404, "classic", "404.html"},
		{"notacme.test", "/status/502", 502, "classic", "502.html"},
	}
	for _, c := range cases {
		r := get(t, url+c.path, "Host", c.host, "Accept", acceptBrowser)
		want := file(c.bundle, c.page)
		if r.status != c.status || !bytes.Equal(r.body, want) {
			t.Errorf("Host %s, %s: %d, %d bytes (%q); want %d and %s/%s byte for byte",
				c.host, c.path, r.status, len(r.body), excerpt(r.body), c.status, c.bundle, c.page)
		}
	}
	if r := get(t, url+"/status/404", "Host", "acme.test"); !strings.Contains(r.header.Get("Vary"), "Host") {
		t.Errorf("Vary %q: a cache must keep the brands' pages apart", r.header.Get("Vary"))
	}
}

// TestNginxBrands runs nginx with the map ouchie build --target nginx-map
// writes (testdata/nginx-brands.conf, shown in docs/brands.md): a request's
// host chooses the brand whose static page it gets.
func TestNginxBrands(t *testing.T) {
	requireNginx(t)
	t.Parallel()
	dist := brandsDist(t, "nginx-map")
	app := failingApp(t)
	url := "http://" + startNginx(t, config(t, "nginx-brands.conf", docApp, app, "/srv/ouchie/dist/", dist+"/"))
	checkBrandRouter(t, url, dist)
}

// TestCaddyBrands runs Caddy with the map ouchie build --target caddy-map
// writes (testdata/caddy-brands.Caddyfile, shown in docs/brands.md).
func TestCaddyBrands(t *testing.T) {
	requireCaddy(t)
	t.Parallel()
	dist := brandsDist(t, "caddy-map")
	app := failingApp(t)
	addrs := startCaddy(t, config(t, "caddy-brands.Caddyfile", docApp, app, "/srv/ouchie/dist/", dist+"/"))
	checkBrandRouter(t, "http://"+addrs[0], dist)
}
