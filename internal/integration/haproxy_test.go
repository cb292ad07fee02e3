package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// requireHAProxy returns HAProxy's path, or skips (fails under CI=true).
func requireHAProxy(t testing.TB) string {
	t.Helper()
	return requireTool(t, "haproxy", "haproxy", "/usr/sbin/haproxy")
}

// startHAProxy checks cfg with haproxy -c, then runs it in the foreground.
// "bind :80" becomes a free loopback port, returned.
func startHAProxy(t testing.TB, cfg string) string {
	t.Helper()
	bin := requireHAProxy(t)
	addr := freePort(t)
	cfg = strings.Replace(cfg, "bind :80", "bind "+addr, 1)
	// The test's frame: a global section with nothing in it (no chroot, no
	// user switch, no daemon: -db keeps it in the foreground).
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte("global\n\n"+cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, nil, nil, bin, "-c", "-f", path); code != 0 {
		t.Fatalf("haproxy -c rejects the configuration (exit %d):\n%s", code, out)
	}
	p := start(t, "haproxy", nil, bin, "-db", "-f", path)
	p.waitListening(t, addr)
	return addr
}

// TestHAProxy runs HAProxy with the errorfiles of a bundle built with
// --format http (testdata/haproxy.cfg, shown in docs/haproxy.md). The
// configuration passes haproxy -c; HAProxy's own errors (no server: 503; a
// reset connection: 502) are answered with the errorfile; the app's own
// 5xx responses are replaced through http-response return ... errorfiles,
// or with the JSON page for an API client. Bodies are the bundle's files
// byte for byte.
func TestHAProxy(t *testing.T) {
	requireHAProxy(t)
	t.Parallel()
	pg := loadPages(t)
	app := failingApp(t)
	up := "http://" + startHAProxy(t, config(t, "haproxy.cfg", docApp, app, docBundle, pg.dir))
	down := "http://" + startHAProxy(t, config(t, "haproxy.cfg", docApp, closedPort(t), docBundle, pg.dir))

	if r := get(t, up+"/ok"); r.status != 200 || string(r.body) != appOK {
		t.Errorf("/ok: %d %q, want the app's own 200", r.status, r.body)
	}
	cases := []struct {
		name, url, accept string
		id                string
		status            int
		format            string
	}{
		{"app 500, browser", up + "/status/500", acceptBrowser, "500", 500, bundle.HTML},
		{"app 500, API client", up + "/status/500", acceptJSON, "500", 500, bundle.JSON},
		{"app 503, browser", up + "/status/503", acceptBrowser, "503", 503, bundle.HTML},
		{"app 504, API client", up + "/status/504", acceptJSON, "504", 504, bundle.JSON},
		{"app resets (HAProxy's 502)", up + "/reset", acceptBrowser, "502", 502, bundle.HTML},
		// Connection refused: HAProxy retries (about 3 s) before its 503.
		{"app down (HAProxy's 503)", down + "/", acceptBrowser, "503", 503, bundle.HTML},
	}
	for _, c := range cases {
		r := get(t, c.url, "Accept", c.accept)
		pg.check(t, c.name, r, page{c.id, c.status, c.format, ""})
		pg.checkFile(t, c.name, r, c.id, c.format)
		if c.format == bundle.HTML {
			// Headers come from the errorfile itself.
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options %q, want nosniff (from the errorfile)", c.name, got)
			}
		}
	}
}

// TestHAProxyLanguages runs HAProxy with one http-errors section per
// language chosen by the first language of Accept-Language
// (testdata/haproxy-languages.cfg, shown in docs/haproxy.md), over the
// default site's bundle built without its German 503: the German section's
// 503 line names 503.http instead of 503.de.http, as the docs say to do for
// a page a language lacks (a missing line gets an empty body). HAProxy's
// own errors are in the default language.
func TestHAProxyLanguages(t *testing.T) {
	requireHAProxy(t)
	t.Parallel()
	pg := partialPages(t)
	app := failingApp(t)
	de503 := docBundle + "/503.de.http" // replaced before docBundle
	up := "http://" + startHAProxy(t, config(t, "haproxy-languages.cfg", de503, pg.dir+"/503.http", docApp, app, docBundle, pg.dir))
	down := "http://" + startHAProxy(t, config(t, "haproxy-languages.cfg", de503, pg.dir+"/503.http", docApp, closedPort(t), docBundle, pg.dir))

	pg.checkLangRequests(t, "", langRequests(up))
	cases := []langRequest{
		{"app 502, German browser", up + "/status/502", acceptBrowser, "de-CH", "502", "de", 502, bundle.HTML},
		{"app 503, German browser: no German 503, the English one", up + "/status/503", acceptBrowser, "de-DE", "503", "", 503, bundle.HTML},
		{"app 504, Arabic browser", up + "/status/504", acceptBrowser, "ar", "504", "ar", 504, bundle.HTML},
		{"app 503, French API client: the default language's JSON", up + "/status/503", acceptJSON, "fr", "503", "", 503, bundle.JSON},
		{"app resets (HAProxy's 502), German browser: the default language", up + "/reset", acceptBrowser, "de", "502", "", 502, bundle.HTML},
		{"app down (HAProxy's 503), German browser: the default language", down + "/", acceptBrowser, "de", "503", "", 503, bundle.HTML},
	}
	for i, r := range pg.checkLangRequests(t, "", cases) {
		c := cases[i]
		if c.format == bundle.HTML && c.lang != "" && r.header.Get("Content-Language") != c.lang {
			t.Errorf("%s: Content-Language %q, want %q (from the errorfile)", c.name, r.header.Get("Content-Language"), c.lang)
		}
	}
}
