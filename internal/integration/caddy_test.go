package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// requireCaddy returns Caddy's path, or skips (fails under CI=true).
func requireCaddy(t testing.TB) string {
	t.Helper()
	return requireTool(t, "caddy", "caddy", "/usr/bin/caddy")
}

// startCaddy runs one Caddy with the given sites (Caddyfile text whose
// site address is "example.com", or ":80" for every host), each on its own free loopback port,
// returned in order. Caddy's admin endpoint is off and its config and data
// folders are in the test's temp folder.
func startCaddy(t testing.TB, sites ...string) []string {
	t.Helper()
	bin := requireCaddy(t)
	dir := t.TempDir()
	// The test's frame: global options a server would not need.
	var cfg strings.Builder
	cfg.WriteString("{\n\tadmin off\n}\n\n")
	var addrs []string
	for _, s := range sites {
		addr := freePort(t)
		switch {
		case strings.Contains(s, "example.com {"):
			cfg.WriteString(strings.Replace(s, "example.com {", "http://"+addr+" {", 1) + "\n")
		case strings.Contains(s, ":80 {"):
			// Every host, on the test's port of loopback only.
			host, port, _ := strings.Cut(addr, ":")
			cfg.WriteString(strings.Replace(s, ":80 {", "http://:"+port+" {\n\tbind "+host, 1) + "\n")
		default:
			t.Fatalf("Caddy site has no \"example.com {\" or \":80 {\" address:\n%s", s)
		}
		addrs = append(addrs, addr)
	}
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data")}
	if out, code := run(t, env, nil, bin, "validate", "--config", path, "--adapter", "caddyfile"); code != 0 {
		t.Fatalf("caddy validate rejects the configuration (exit %d):\n%s\n%s", code, out, cfg.String())
	}
	p := start(t, "caddy", env, bin, "run", "--config", path, "--adapter", "caddyfile")
	for _, a := range addrs {
		p.waitListening(t, a)
	}
	return addrs
}

// TestCaddyStatic runs Caddy with handle_errors and file_server over a built
// bundle (testdata/caddy-static.Caddyfile, shown in docs/caddy.md). The
// client gets the error's status and the bundle's file byte for byte: the
// status's page, or the 4xx/5xx fallback for a status without one.
func TestCaddyStatic(t *testing.T) {
	requireCaddy(t)
	t.Parallel()
	pg := loadPages(t)
	app := failingApp(t)
	addrs := startCaddy(t,
		config(t, "caddy-static.Caddyfile", docApp, app, docBundle, pg.dir),
		config(t, "caddy-static.Caddyfile", docApp, closedPort(t), docBundle, pg.dir))
	up, down := "http://"+addrs[0], "http://"+addrs[1]

	if r := get(t, up+"/ok"); r.status != 200 || string(r.body) != appOK {
		t.Errorf("/ok: %d %q, want the app's own 200", r.status, r.body)
	}
	cases := []struct {
		name, url string
		id        string
		status    int
	}{
		{"app 500", up + "/status/500", "500", 500},
		{"app 503", up + "/status/503", "503", 503},
		{"app 507 (no page: the 5xx fallback)", up + "/status/507", "5xx", 507},
		{"app resets (Caddy's 502)", up + "/reset", "502", 502},
		{"app down (Caddy's 502)", down + "/", "502", 502},
	}
	for _, c := range cases {
		r := get(t, c.url, "Accept", acceptBrowser)
		pg.check(t, c.name, r, page{c.id, c.status, bundle.HTML, ""})
		pg.checkFile(t, c.name, r, c.id, bundle.HTML)
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", c.name, got)
		}
	}
}

// TestCaddyProxy runs Caddy with reverse_proxy to ouchie serve and
// replace_status (testdata/caddy-proxy.Caddyfile, shown in docs/caddy.md):
// the app's 5xx through handle_response, Caddy's own errors through
// handle_errors. ouchie runs with --always-200, so the statuses the client
// gets are replace_status's doing. Pages come in the format the client's
// Accept asks for, with its request id, in the language its Accept-Language
// asks for.
func TestCaddyProxy(t *testing.T) {
	requireCaddy(t)
	t.Parallel()
	pg := loadPages(t)
	ouchie := startOuchie(t, "--always-200")
	app := failingApp(t)
	addrs := startCaddy(t,
		config(t, "caddy-proxy.Caddyfile", docOuchie, ouchie.addr, docApp, app),
		config(t, "caddy-proxy.Caddyfile", docOuchie, ouchie.addr, docApp, closedPort(t)))
	up, down := "http://"+addrs[0], "http://"+addrs[1]

	if r := get(t, up+"/ok"); r.status != 200 || string(r.body) != appOK {
		t.Errorf("/ok: %d %q, want the app's own 200", r.status, r.body)
	}
	cases := []struct {
		name, url, accept, rid string
		want                   page
	}{
		{"app 500, browser", up + "/status/500", acceptBrowser, "caddy-500", page{"500", 500, bundle.HTML, ""}},
		{"app 503, API client", up + "/status/503", acceptJSON, "caddy-503", page{"503", 503, bundle.JSON, ""}},
		{"app 507, browser (the 5xx fallback)", up + "/status/507", acceptBrowser, "caddy-507", page{"5xx", 507, bundle.HTML, ""}},
		{"app resets, terminal", up + "/reset", acceptText, "caddy-reset", page{"502", 502, bundle.Text, ""}},
		{"app down, browser", down + "/x", acceptBrowser, "caddy-down-html", page{"502", 502, bundle.HTML, ""}},
		{"app down, API client", down + "/some/path?q=1", acceptJSON, "caddy-down-json", page{"502", 502, bundle.JSON, ""}},
	}
	for _, c := range cases {
		c.want.requestID = c.rid
		r := get(t, c.url, "Accept", c.accept, "X-Request-ID", c.rid)
		pg.check(t, c.name, r, c.want)
	}
	// reverse_proxy passes Accept-Language on: ouchie's page in that language.
	if r := get(t, up+"/status/500", "Accept", acceptBrowser, "Accept-Language", "de-DE"); !strings.Contains(string(r.body), `<html lang="de"`) {
		t.Errorf("app 500, German browser: not the German page:\n%s", excerpt(r.body))
	}
	if e := accessEntry(t, ouchie, "caddy-down-json"); e["original_uri"] != "/some/path?q=1" || e["uri"] != "/502?q=1" {
		t.Errorf("ouchie saw uri %v, X-Original-URI %v; want /502?q=1 (the query stays) and /some/path?q=1", e["uri"], e["original_uri"])
	}
}

// TestCaddyLanguages runs Caddy with the static pages in the visitor's
// language (testdata/caddy-languages.Caddyfile, shown in docs/caddy.md): a
// map matching Accept-Language, then try_files from the translation to the
// default language's page, then to the class's fallback. Bodies are the
// bundle's files byte for byte; the site's 503 has no German translation.
func TestCaddyLanguages(t *testing.T) {
	requireCaddy(t)
	t.Parallel()
	pg := partialPages(t)
	app := failingApp(t)
	addrs := startCaddy(t,
		config(t, "caddy-languages.Caddyfile", docApp, app, docBundle, pg.dir),
		config(t, "caddy-languages.Caddyfile", docApp, closedPort(t), docBundle, pg.dir))
	up, down := "http://"+addrs[0], "http://"+addrs[1]

	pg.checkLangRequests(t, "Accept-Language", langRequests(up))
	pg.checkLangRequests(t, "Accept-Language", []langRequest{
		{"app 503, German browser: no German 503, the English one", up + "/status/503", acceptBrowser, "de-DE", "503", "", 503, bundle.HTML},
		{"app 503, French browser", up + "/status/503", acceptBrowser, "fr-FR", "503", "fr", 503, bundle.HTML},
		{"app 507 (no page), German browser: the German 5xx fallback", up + "/status/507", acceptBrowser, "de", "5xx", "de", 507, bundle.HTML},
		{"app 507 (no page), English browser: the 5xx fallback", up + "/status/507", acceptBrowser, "en", "5xx", "", 507, bundle.HTML},
		{"app down (Caddy's 502), Hebrew browser", down + "/", acceptBrowser, "he-IL", "502", "he", 502, bundle.HTML},
	})
}
