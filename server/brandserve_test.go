package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/internal/testkit"
)

// brandServer is a server of the test bundle (marker "A") with testBrands
// beside it, each marked "brand <id>".
func brandServer(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	if cfg.Load == nil {
		cfg.Load = fixed(makeBundle(t, "A", testPages))
	}
	cfg.Brands = brandDist(t, dir, testBrands, testPages, nil)
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, dir
}

// TestBrandServe: through a listening server, the Host header (and the
// others, in order) picks the brand's pages, in every format; anything else
// gets the default's; Vary names the headers that chose.
func TestBrandServe(t *testing.T) {
	dir := t.TempDir()
	ts := open(t, Config{Brands: brandDist(t, dir, testBrands, testPages, nil)})
	for _, tt := range []struct {
		path, host string
		headers    []string
		want       string
	}{
		{"/502", "acme.test", nil, "brand acme"},
		{"/502.json", "www.acme.test:8080", nil, "brand acme"},
		{"/503.txt", "eu.shop.acme.test", nil, "brand shop"},
		{"/H10.xml", "GLOBEX.test.", nil, "brand globex"},
		{"/", "127.0.0.1", []string{"X-Code", "404", "X-Namespace", "globex"}, "brand globex"},
		{"/418", "127.0.0.1", []string{"X-Service-Name", "initech-api"}, "brand initech"},
		{"/maintenance", "other.test", nil, "A"},
		{"/", "", []string{"X-App", "acme-app"}, "brand acme"},
	} {
		req, err := http.NewRequest(http.MethodGet, ts.url+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tt.host
		req.Header = headers(tt.headers...)
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		checkPageHeaders(t, resp, body.Bytes(), false)
		if got := markerOf(t, resp, body.Bytes()); got != tt.want {
			t.Errorf("%s, Host %q %v: page of %q, want %q", tt.path, tt.host, tt.headers, got, tt.want)
		}
		if v := resp.Header.Get("Vary"); !strings.Contains(v, "Host, X-Ingress-Name, X-Service-Name, X-Namespace, X-App") {
			t.Errorf("%s: Vary %q does not name the headers that choose a brand", tt.path, v)
		}
	}
	for _, sample := range []string{`ouchie_brand_requests_total{brand="acme"}`, `ouchie_brand_requests_total{brand="default"}`,
		`ouchie_brand_requests_total{brand="globex"}`} {
		if n := metric(t, ts.Server, sample); n < 1 {
			t.Errorf("%s = %d, want at least 1", sample, n)
		}
	}
	if n := metric(t, ts.Server, "ouchie_brands"); n != len(testBrands) {
		t.Errorf("ouchie_brands = %d, want %d", n, len(testBrands))
	}
}

// TestBrandVaryOnlyWithBrands: a bundle without brands varies as before.
func TestBrandVaryOnlyWithBrands(t *testing.T) {
	srv, err := New(Config{Load: fixed(makeBundle(t, "A", testPages)), Brands: func() ([]Brand, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := serveOnce(t, srv, brandRequest("/502", "acme.test"))
	if v := resp.Header.Get("Vary"); strings.Contains(v, "Host") {
		t.Errorf("Vary %q names Host without brands", v)
	}
	if n := metric(t, srv, `ouchie_brand_requests_total{brand="default"}`); n != -1 {
		t.Errorf("brand metrics without brands: %d", n)
	}
}

// TestBrandForwardedHost: X-Forwarded-Host picks the brand only from a
// trusted proxy; from anyone else the Host does.
func TestBrandForwardedHost(t *testing.T) {
	for _, tt := range []struct {
		name    string
		proxies []netip.Prefix
		want    string
	}{
		{"trusted", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "brand globex"},
		{"untrusted", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "brand acme"},
		{"no proxies", nil, "brand acme"},
	} {
		ts := open(t, Config{TrustedProxies: tt.proxies, Brands: brandDist(t, t.TempDir(), testBrands, testPages, nil)})
		for _, xfh := range []string{"globex.test", "evil.test, globex.test"} {
			req, _ := http.NewRequest(http.MethodGet, ts.url+"/502", nil)
			req.Host = "acme.test"
			req.Header.Set("X-Forwarded-Host", xfh)
			resp, err := ts.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if got := markerOf(t, resp, body.Bytes()); got != tt.want {
				t.Errorf("%s, X-Forwarded-Host %q: page of %q, want %q", tt.name, xfh, got, tt.want)
			}
			if v := resp.Header.Get("Vary"); strings.Contains(v, "X-Forwarded-Host") != (tt.proxies != nil) {
				t.Errorf("%s: Vary %q", tt.name, v)
			}
		}
	}
}

// TestBrandCrashlog: a brand's crashlog page shows the app's log, the app
// being the app header's whatever brand the request matched.
func TestBrandCrashlog(t *testing.T) {
	srv, _ := brandServer(t, Config{Crashlogs: fakeSource{"web": []byte("log of web"), "globex-app": []byte("log of globex")}})
	for _, tt := range []struct {
		host, app, marker, log string
	}{
		{"acme.test", "web", "brand acme", "log of web"},
		{"acme.test", "globex-app", "brand acme", "log of globex"},
		{"other.test", "globex-app", "brand globex", "log of globex"},
		{"other.test", "web", "A", "log of web"},
	} {
		resp, body := serveOnce(t, srv, brandRequest("/H10", tt.host, "X-App", tt.app))
		p := parse(t, resp.Header.Get("Content-Type"), body)
		if p.marker != tt.marker || p.crashlog != tt.log {
			t.Errorf("Host %s, app %s: page of %q showing %q; want %q showing %q", tt.host, tt.app, p.marker, p.crashlog, tt.marker, tt.log)
		}
		if v := resp.Header.Get("Vary"); strings.Count(v, "X-App") != 1 {
			t.Errorf("Vary %q: want X-App once", v)
		}
	}
}

// TestBrandCrashlogPage: a 503 whose crashlog is found is answered by the
// crashlog page of the brand the request matched, when that brand's bundle
// names one (the default bundle's when no brand matched); a brand without
// one, or a request without a log, keeps the status's page.
func TestBrandCrashlogPage(t *testing.T) {
	def := makeBundle(t, "A", testPages)
	def.Manifest.Site.CrashlogPage = "502-app-crashed"
	srv, err := New(Config{Load: fixed(def), Crashlogs: fakeSource{"web": []byte("log of web")},
		Brands: brandDist(t, t.TempDir(), testBrands, testPages, func(id string, b *bundle.Bundle) {
			if id == "acme" {
				b.Manifest.Site.CrashlogPage = "502-app-crashed"
			}
		})})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host, app, marker, page, log string
	}{
		{"acme.test", "web", "brand acme", "502-app-crashed", "log of web"},
		{"acme.test", "api", "brand acme", "503", ""},
		{"globex.test", "web", "brand globex", "503", ""},
		{"other.test", "web", "A", "502-app-crashed", "log of web"},
	} {
		resp, body := serveOnce(t, srv, brandRequest("/", tt.host, "X-Code", "503", "X-App", tt.app))
		p := parse(t, resp.Header.Get("Content-Type"), body)
		if resp.StatusCode != 503 || p.marker != tt.marker || p.id != tt.page || p.crashlog != tt.log {
			t.Errorf("Host %s, app %s: %d, page %s of %q showing %q; want 503, page %s of %q showing %q",
				tt.host, tt.app, resp.StatusCode, p.id, p.marker, p.crashlog, tt.page, tt.marker, tt.log)
		}
	}
}

// TestBrandSharesOutputs: a brand whose pages are the default's reads no
// file; two brands with the same pages read each once.
func TestBrandSharesOutputs(t *testing.T) {
	dir := t.TempDir()
	same := func(id string, b *bundle.Bundle) {
		*b = *makeBundle(t, map[string]string{"twin": "A", "left": "pair", "right": "pair"}[id], testPages)
	}
	brands := []bundle.Brand{
		{ID: "twin", Match: bundle.Match{Hosts: []string{"twin.test"}}},
		{ID: "left", Match: bundle.Match{Hosts: []string{"left.test"}}},
		{ID: "right", Match: bundle.Match{Hosts: []string{"right.test"}}},
	}
	srv, err := New(Config{Load: fixed(makeBundle(t, "A", testPages)), Brands: brandDist(t, dir, brands, testPages, same)})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"twin.test", "left.test", "right.test"} {
		for _, path := range []string{"/502", "/502.json", "/404.txt", "/H10.xml"} {
			resp, body := serveOnce(t, srv, brandRequest(path, host))
			if got, want := markerOf(t, resp, body), map[string]string{"twin.test": "A"}[host]; want != "" && got != want {
				t.Errorf("%s %s: page of %q, want %q", host, path, got, want)
			}
		}
	}
	if n := metric(t, srv, "ouchie_brand_cache_misses_total"); n != 4 {
		t.Errorf("%d outputs read, want 4: the twin's are the default's, right's are left's", n)
	}
	if n := metric(t, srv, "ouchie_brand_cache_hits_total"); n != 8 {
		t.Errorf("%d hits, want 8", n)
	}
}

// TestBrandCacheEvicts: past its bound the cache drops the least recently
// used outputs, and a brand asked for again is read again.
func TestBrandCacheEvicts(t *testing.T) {
	var brands []bundle.Brand
	for _, id := range []string{"b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"} {
		brands = append(brands, bundle.Brand{ID: id, Match: bundle.Match{Hosts: []string{id + ".test"}}})
	}
	// A brand's manifest counts 40 × slotCost + 1 KiB, about 21 KiB, and one
	// output about 3.4 KiB before its compressed forms: the bound holds two
	// or three brands.
	const bound = 64 << 10
	srv, err := New(Config{Load: fixed(makeBundle(t, "A", testPages)), BrandCacheBytes: bound,
		Brands: brandDist(t, t.TempDir(), brands, testPages, nil)})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for _, b := range brands {
			resp, body := serveOnce(t, srv, brandRequest("/502", b.ID+".test"))
			if got := markerOf(t, resp, body); got != "brand "+b.ID {
				t.Fatalf("round %d, %s: page of %q", round, b.ID, got)
			}
			if n := srv.brandCache.bytes.Load(); n > bound {
				t.Errorf("cache holds %d bytes, over its bound", n)
			}
		}
	}
	if n := metric(t, srv, "ouchie_brand_cache_evictions_total"); n < len(brands) {
		t.Errorf("%d evictions, want at least %d", n, len(brands))
	}
	if n := metric(t, srv, "ouchie_brand_cache_misses_total"); n != 2*len(brands) {
		t.Errorf("%d reads, want %d: every brand read again in the second round", n, 2*len(brands))
	}
	if n := metric(t, srv, "ouchie_brand_cache_manifests"); n < 1 || n > 3 {
		t.Errorf("%d manifests held, want the last one to three", n)
	}
	// A brand whose manifest went is read again, and its output found.
	srv.brandCache.waitCompressed()
	if resp, body := serveOnce(t, srv, brandRequest("/502", "b8.test")); markerOf(t, resp, body) != "brand b8" {
		t.Error("b8 after the rounds: not its page")
	}
}

// TestBrandUnreadable: a brand's file that does not match its checksum,
// or a manifest gone, gets the request the default's page, counted and
// logged; the brand's other pages are still its own.
func TestBrandUnreadable(t *testing.T) {
	var logs testkit.Buffer
	srv, dir := brandServer(t, Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := os.WriteFile(filepath.Join(dir, "acme", "test", "502.html"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "globex", "test", bundle.ManifestName)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, tt := range []struct{ path, host, want string }{
			{"/502", "acme.test", "A"},
			{"/502.json", "acme.test", "brand acme"},
			{"/404", "acme.test", "brand acme"},
			{"/502", "globex.test", "A"},
		} {
			resp, body := serveOnce(t, srv, brandRequest(tt.path, tt.host))
			if resp.StatusCode != http.StatusBadGateway && tt.path != "/404" || markerOf(t, resp, body) != tt.want {
				t.Errorf("%s %s: %d, page of %q; want the page of %q", tt.host, tt.path, resp.StatusCode, markerOf(t, resp, body), tt.want)
			}
		}
	}
	if n := metric(t, srv, `ouchie_brand_fallbacks_total{brand="acme"}`); n != 3 {
		t.Errorf("acme fell back %d times, want 3", n)
	}
	if n := metric(t, srv, `ouchie_brand_fallbacks_total{brand="globex"}`); n != 3 {
		t.Errorf("globex fell back %d times, want 3", n)
	}
	if n := metric(t, srv, "ouchie_brand_cache_failures_total"); n != 2 {
		t.Errorf("%d failures, want 2: each tried once until retryAfterFailure", n)
	}
	if got := logs.String(); strings.Count(got, "brand's pages unreadable") != 1 || !strings.Contains(got, "502.html does not match its size or checksum") {
		t.Errorf("want one log line naming the file; log:\n%s", got)
	}
}

// TestBrandConcurrentFirstRequests: a burst of first requests for one
// output reads it once, and every request gets it.
func TestBrandConcurrentFirstRequests(t *testing.T) {
	srv, _ := brandServer(t, Config{})
	const n = 32
	var start, done sync.WaitGroup
	start.Add(1)
	markers := make([]string, n)
	for i := range n {
		done.Go(func() {
			start.Wait()
			resp, body := serveOnce(t, srv, brandRequest("/502", "acme.test"))
			markers[i] = markerOf(t, resp, body)
		})
	}
	start.Done()
	done.Wait()
	for i, m := range markers {
		if m != "brand acme" {
			t.Errorf("request %d: page of %q", i, m)
		}
	}
	if got := metric(t, srv, "ouchie_brand_cache_misses_total"); got != 1 {
		t.Errorf("%d reads, want 1", got)
	}
}

// TestBrandReload: a reload reads brands again: a brand's changed pages
// are served, and a brand gone gets the default's.
func TestBrandReload(t *testing.T) {
	dir := t.TempDir()
	first := brandDist(t, dir, testBrands, testPages, nil)
	var list []Brand
	brands := func() ([]Brand, error) { return list, nil }
	list, _ = first()
	srv, err := New(Config{Load: fixed(makeBundle(t, "A", testPages)), Brands: brands})
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := serveOnce(t, srv, brandRequest("/502", "acme.test")); markerOf(t, resp, body) != "brand acme" {
		t.Fatal("before the reload: not acme's page")
	}
	next := brandDist(t, dir, testBrands[:1], testPages, func(id string, b *bundle.Bundle) {
		*b = *makeBundle(t, "acme again", testPages)
	})
	list, _ = next()
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"acme.test": "acme again", "globex.test": "A"} {
		if resp, body := serveOnce(t, srv, brandRequest("/502", host)); markerOf(t, resp, body) != want {
			t.Errorf("after the reload, %s: page of %q, want %q", host, markerOf(t, resp, body), want)
		}
	}
	list = append(list, Brand{Brand: bundle.Brand{ID: "gone"}, Bundle: os.DirFS(filepath.Join(dir, "gone"))})
	if err := srv.Reload(); err == nil || !strings.Contains(err.Error(), "brand gone: no manifest.json") {
		t.Errorf("a brand without its bundle: %v", err)
	}
	if resp, body := serveOnce(t, srv, brandRequest("/502", "acme.test")); markerOf(t, resp, body) != "acme again" {
		t.Error("a failed reload changed what is served")
	}
}

// waitCompressed waits until the cache has no output waiting for its
// compressed forms.
func (c *brandCache) waitCompressed() {
	for {
		c.mu.Lock()
		busy := c.compressing
		c.mu.Unlock()
		if !busy {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
