package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ouchie/ouchie/generator/bundle"
)

// testBrands are the brands of the matching tests: rules of every kind,
// and wildcards nested in each other.
var testBrands = []bundle.Brand{
	{ID: "acme", Match: bundle.Match{Hosts: []string{"acme.test", "*.acme.test"}, Ingresses: []string{"acme-web"},
		Services: []string{"acme-api"}, Namespaces: []string{"acme"}, Apps: []string{"acme-app"}}},
	{ID: "shop", Match: bundle.Match{Hosts: []string{"*.shop.acme.test"}}},
	{ID: "globex", Match: bundle.Match{Hosts: []string{"globex.test"}, Namespaces: []string{"globex"}, Apps: []string{"globex-app"}}},
	{ID: "initech", Match: bundle.Match{Hosts: []string{"*.initech.test"}, Services: []string{"initech-api"}}},
}

// manifestOnly stands for a bundle folder when only its manifest's
// presence is looked at.
var manifestOnly = fstest.MapFS{bundle.ManifestName: {Data: []byte("{}")}}

func TestBrandMatch(t *testing.T) {
	var list []Brand
	for _, b := range testBrands {
		list = append(list, Brand{Brand: b, Bundle: manifestOnly})
	}
	bs, err := newBrandSet(list, &prepareOptions{}, newMetrics())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, host string
		headers    []string
		want       string // "" for the default
	}{
		{"exact", "acme.test", nil, "acme"},
		{"wildcard", "www.acme.test", nil, "acme"},
		{"wildcard, deeper", "a.b.acme.test", nil, "acme"},
		{"most specific wildcard", "eu.shop.acme.test", nil, "shop"},
		{"most specific wildcard, deeper", "x.eu.shop.acme.test", nil, "shop"},
		{"a wildcard's own name is not below it", "shop.acme.test", nil, "acme"},
		{"a wildcard without the exact name", "initech.test", nil, ""},
		{"port", "acme.test:8443", nil, "acme"},
		{"wildcard and port", "www.initech.test:80", nil, "initech"},
		{"case", "ACME.Test", nil, "acme"},
		{"wildcard, case", "WWW.Initech.TEST", nil, "initech"},
		{"trailing dot", "globex.test.", nil, "globex"},
		{"trailing dot and port", "globex.test.:80", nil, "globex"},
		{"no match", "example.test", nil, ""},
		{"suffix that is not a label", "notacme.test", nil, ""},
		{"IPv6 literal", "[::1]:8080", nil, ""},
		{"empty host", "", nil, ""},
		{"too long", strings.Repeat("a.", 200) + "acme.test", nil, ""},
		{"X-Ingress-Name", "example.test", []string{"X-Ingress-Name", "acme-web"}, "acme"},
		{"X-Service-Name", "example.test", []string{"X-Service-Name", "initech-api"}, "initech"},
		{"X-Namespace", "example.test", []string{"X-Namespace", "globex"}, "globex"},
		{"X-Namespace, case and blanks", "example.test", []string{"X-Namespace", " Globex "}, "globex"},
		{"app header", "example.test", []string{"X-App", "globex-app"}, "globex"},
		{"unknown values", "example.test", []string{"X-Namespace", "other", "X-App", "other", "X-Ingress-Name", "x"}, ""},
		{"Host before the ingress headers", "acme.test", []string{"X-Namespace", "globex"}, "acme"},
		{"ingress before service", "", []string{"X-Service-Name", "initech-api", "X-Ingress-Name", "acme-web"}, "acme"},
		{"service before namespace", "", []string{"X-Namespace", "acme", "X-Service-Name", "initech-api"}, "initech"},
		{"namespace before app", "", []string{"X-App", "acme-app", "X-Namespace", "globex"}, "globex"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Host = tt.host
		r.Header = headers(tt.headers...)
		got := ""
		if b := bs.pick(r, "X-App"); b != nil {
			got = b.id
		}
		if got != tt.want {
			t.Errorf("%s: Host %q %v: brand %q, want %q", tt.name, tt.host, tt.headers, got, tt.want)
		}
	}
}

func TestBrandSetRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		list []Brand
		want string
	}{
		"same host": {[]Brand{{bundle.Brand{ID: "a", Match: bundle.Match{Hosts: []string{"x.test"}}}, manifestOnly},
			{bundle.Brand{ID: "b", Match: bundle.Match{Hosts: []string{"x.test"}}}, manifestOnly}}, `brands a and b both match host "x.test"`},
		"same app": {[]Brand{{bundle.Brand{ID: "a", Match: bundle.Match{Apps: []string{"web"}}}, manifestOnly},
			{bundle.Brand{ID: "b", Match: bundle.Match{Apps: []string{"web"}}}, manifestOnly}}, `brands a and b both match app "web"`},
		"bad id":      {[]Brand{{bundle.Brand{ID: "../a"}, manifestOnly}}, `bad brand id "../a"`},
		"twice":       {[]Brand{{bundle.Brand{ID: "a"}, manifestOnly}, {bundle.Brand{ID: "a"}, manifestOnly}}, "brand a listed twice"},
		"no manifest": {[]Brand{{bundle.Brand{ID: "a"}, fstest.MapFS{}}}, "brand a: no manifest.json in its bundle folder"},
	} {
		if _, err := newBrandSet(tc.list, &prepareOptions{}, newMetrics()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// brandDist writes the test bundle once per brand, each marked with its
// id, into dir/<id>/test/, and returns the brands for Config.Brands. edit,
// when set, may change a brand's bundle before it is written.
func brandDist(t testing.TB, dir string, brands []bundle.Brand, pages []tpage, edit func(id string, b *bundle.Bundle)) func() ([]Brand, error) {
	t.Helper()
	var list []Brand
	for _, br := range brands {
		b := makeBundle(t, "brand "+br.ID, pages)
		if edit != nil {
			edit(br.ID, b)
		}
		bdir := filepath.Join(dir, br.ID, "test")
		if err := b.WriteDir(bdir); err != nil {
			t.Fatal(err)
		}
		list = append(list, Brand{Brand: br, Bundle: os.DirFS(bdir)})
	}
	return func() ([]Brand, error) { return list, nil }
}

// brandRequest builds a request for path with the given Host and headers.
func brandRequest(path, host string, kv ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Host = host
	r.Header = headers(kv...)
	return r
}

// serveOnce sends r through srv's handler and returns the response.
func serveOnce(t testing.TB, srv *Server, r *http.Request) (*http.Response, []byte) {
	t.Helper()
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	resp := w.Result()
	return resp, w.Body.Bytes()
}

// markerOf returns the marker of the page a response holds.
func markerOf(t testing.TB, resp *http.Response, body []byte) string {
	t.Helper()
	return parse(t, resp.Header.Get("Content-Type"), body).marker
}

// metric returns the value of one sample of srv's /metrics, or -1.
func metric(t testing.TB, srv *Server, sample string) int {
	t.Helper()
	_, body := serveOnce(t, srv, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return -1
}
