package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// requireNginx returns nginx's path, or skips (fails under CI=true).
func requireNginx(t testing.TB) string {
	t.Helper()
	return requireTool(t, "nginx", "nginx-light", "/usr/sbin/nginx")
}

// startNginx runs nginx in the foreground, in one process, with site (a
// snippet for http {}) and every path it writes in a temp folder. It
// returns the address nginx listens on, which replaces "listen 80;".
func startNginx(t testing.TB, site string) string {
	t.Helper()
	bin := requireNginx(t)
	dir := t.TempDir()
	addr := freePort(t)
	site = strings.Replace(site, "listen 80;", "listen "+addr+";", 1)
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	// The test's frame around the documented snippet: what a stock
	// nginx.conf provides (mime types), plus every path nginx writes.
	main := strings.ReplaceAll(`daemon off;
master_process off;
worker_processes 1;
pid DIR/nginx.pid;
error_log DIR/error.log info;
events { worker_connections 256; }
http {
    types {
        text/html        html;
        application/json json;
        text/plain       txt;
        application/xml  xml;
    }
    default_type application/octet-stream;
    access_log DIR/access.log;
    client_body_temp_path DIR/client_body;
    proxy_temp_path DIR/proxy;
    fastcgi_temp_path DIR/fastcgi;
    uwsgi_temp_path DIR/uwsgi;
    scgi_temp_path DIR/scgi;
    include DIR/site.conf;
}
`, "DIR", dir)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log")}
	if out, code := run(t, nil, nil, bin, append([]string{"-t"}, args...)...); code != 0 {
		t.Fatalf("nginx -t rejects the configuration:\n%s\n%s", out, site)
	}
	p := start(t, "nginx", nil, bin, args...)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", log)
		}
	})
	p.waitListening(t, addr)
	return addr
}

// TestNginxIngress runs nginx configured as ingress-nginx configures itself
// for custom-http-errors (testdata/nginx-ingress.conf, shown in
// docs/ingress-nginx.md and docs/nginx.md) in front of a failing app, with
// ouchie serve as the default backend. The client gets the upstream's
// status and ouchie's page for it, in the format its Accept asked for, with
// the request id on the page, in the language of the client's
// Accept-Language; ouchie sees every context header.
func TestNginxIngress(t *testing.T) {
	requireNginx(t)
	t.Parallel()
	pg := loadPages(t)
	ouchie := startOuchie(t)
	app := failingApp(t)
	up := "http://" + startNginx(t, config(t, "nginx-ingress.conf", docOuchie, ouchie.addr, docApp, app))
	down := "http://" + startNginx(t, config(t, "nginx-ingress.conf", docOuchie, ouchie.addr, docApp, closedPort(t)))

	if r := get(t, up+"/ok"); r.status != 200 || string(r.body) != appOK {
		t.Errorf("/ok: %d %q, want the app's own 200", r.status, r.body)
	}
	cases := []struct {
		name, url, accept, rid string
		want                   page
	}{
		{"app 500, browser", up + "/status/500", acceptBrowser, "rid-500-html", page{"500", 500, bundle.HTML, ""}},
		{"app 500, API client", up + "/status/500", acceptJSON, "rid-500-json", page{"500", 500, bundle.JSON, ""}},
		{"app 503, terminal", up + "/status/503", acceptText, "rid-503-txt", page{"503", 503, bundle.Text, ""}},
		{"app 404, browser", up + "/status/404", acceptBrowser, "rid-404", page{"404", 404, bundle.HTML, ""}},
		{"app 504, API client", up + "/status/504", acceptJSON, "rid-504", page{"504", 504, bundle.JSON, ""}},
		{"app resets, browser", up + "/reset", acceptBrowser, "rid-reset", page{"502", 502, bundle.HTML, ""}},
		{"app down, browser", down + "/anything", acceptBrowser, "rid-down-html", page{"502", 502, bundle.HTML, ""}},
		{"app down, API client", down + "/anything?x=1", acceptJSON, "rid-down-json", page{"502", 502, bundle.JSON, ""}},
	}
	for _, c := range cases {
		c.want.requestID = c.rid
		r := get(t, c.url, "Accept", c.accept, "X-Request-ID", c.rid)
		pg.check(t, c.name, r, c.want)
	}

	// nginx passes Accept-Language on: ouchie answers in the visitor's language.
	if r := get(t, up+"/status/500", "Accept", acceptBrowser, "Accept-Language", "de-DE,de;q=0.9"); !strings.Contains(string(r.body), `<html lang="de"`) {
		t.Errorf("app 500, German browser: not the German page:\n%s", excerpt(r.body))
	}

	// No X-Request-ID from the client: nginx's own $request_id is on the page.
	r := get(t, down+"/", "Accept", acceptJSON)
	doc := pg.check(t, "app down, no request id", r, page{"502", 502, bundle.JSON, ""})
	if rid, _ := doc["request_id"].(string); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(rid) {
		t.Errorf("app down, no request id: request_id %q, want nginx's $request_id (32 hex digits)", rid)
	}

	// ouchie received the context ingress-nginx sends (its JSON access log
	// records each header).
	entry := accessEntry(t, ouchie, "rid-down-json")
	for k, v := range map[string]string{
		"code": "502", "format": acceptJSON, "original_uri": "/anything?x=1", "uri": "/?x=1",
		"namespace": "shop", "ingress": "web", "service": "web", "service_port": "8000",
	} {
		if entry[k] != v {
			t.Errorf("ouchie's access log %s = %v, want %q (entry %v)", k, entry[k], v, entry)
		}
	}
}

// accessEntry returns the line of ouchie's JSON access log for a request id,
// waiting for it: ouchie writes its access log in batches, every 250 ms.
func accessEntry(t testing.TB, s *ouchieServer, rid string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		sc := bufio.NewScanner(strings.NewReader(s.output()))
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) == nil && e["request_id"] == rid {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ouchie logged no request with id %q within %s", rid, startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNginxStatic runs nginx with ouchie's pages as static files
// (testdata/nginx-static.conf, shown in docs/nginx.md): error_page to an
// internal location over a built bundle. The client gets the upstream's
// status and the bundle's file byte for byte, HTML or JSON by Accept.
func TestNginxStatic(t *testing.T) {
	requireNginx(t)
	t.Parallel()
	pg := loadPages(t)
	app := failingApp(t)
	up := "http://" + startNginx(t, config(t, "nginx-static.conf", docApp, app, docBundle, pg.dir))
	down := "http://" + startNginx(t, config(t, "nginx-static.conf", docApp, closedPort(t), docBundle, pg.dir))

	if r := get(t, up+"/ok"); r.status != 200 || string(r.body) != appOK {
		t.Errorf("/ok: %d %q, want the app's own 200", r.status, r.body)
	}
	if r := get(t, up+"/_errors/502.html"); r.status != 404 {
		t.Errorf("/_errors/502.html asked for directly: %d, want 404 (the location is internal)", r.status)
	}
	cases := []struct {
		name, url, accept string
		id                string
		status            int
		format            string
	}{
		{"app 500, browser", up + "/status/500", acceptBrowser, "500", 500, bundle.HTML},
		{"app 503, API client", up + "/status/503", acceptJSON, "503", 503, bundle.JSON},
		{"app 404, browser", up + "/status/404", acceptBrowser, "404", 404, bundle.HTML},
		{"app resets, browser", up + "/reset", acceptBrowser, "502", 502, bundle.HTML},
		{"app down, browser", down + "/", acceptBrowser, "502", 502, bundle.HTML},
		{"app down, API client", down + "/", acceptJSON, "502", 502, bundle.JSON},
	}
	for _, c := range cases {
		r := get(t, c.url, "Accept", c.accept)
		pg.check(t, c.name, r, page{c.id, c.status, c.format, ""})
		pg.checkFile(t, c.name, r, c.id, c.format)
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", c.name, got)
		}
	}
}

// TestNginxLanguages runs nginx with the static pages in the visitor's
// language (testdata/nginx-languages.conf, shown in docs/nginx.md): a map
// on Accept-Language, then try_files from the translation to the default
// language's page. Bodies are the bundle's files byte for byte; the site's
// 503 has no German translation, so a German visitor gets the English 503.
func TestNginxLanguages(t *testing.T) {
	requireNginx(t)
	t.Parallel()
	pg := partialPages(t)
	app := failingApp(t)
	up := "http://" + startNginx(t, config(t, "nginx-languages.conf", docApp, app, docBundle, pg.dir))
	down := "http://" + startNginx(t, config(t, "nginx-languages.conf", docApp, closedPort(t), docBundle, pg.dir))

	if r := get(t, up+"/_errors/"); r.status != 404 {
		t.Errorf("/_errors/ asked for directly: %d, want 404 (the location is internal)", r.status)
	}
	pg.checkLangRequests(t, "Accept, Accept-Language", langRequests(up))
	pg.checkLangRequests(t, "Accept, Accept-Language", []langRequest{
		{"app 404, German browser", up + "/status/404", acceptBrowser, "de-DE", "404", "de", 404, bundle.HTML},
		{"app 503, German browser: no German 503, the English one", up + "/status/503", acceptBrowser, "de-DE", "503", "", 503, bundle.HTML},
		{"app 503, German API client: the English JSON", up + "/status/503", acceptJSON, "de", "503", "", 503, bundle.JSON},
		{"app 503, French browser", up + "/status/503", acceptBrowser, "fr-FR", "503", "fr", 503, bundle.HTML},
		{"app 504, Japanese API client", up + "/status/504", acceptJSON, "ja-JP", "504", "ja", 504, bundle.JSON},
		{"app down, Hebrew browser", down + "/", acceptBrowser, "he-IL", "502", "he", 502, bundle.HTML},
		{"app down, Ukrainian API client", down + "/", acceptJSON, "uk", "502", "uk", 502, bundle.JSON},
	})
}
