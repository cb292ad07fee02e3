package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// bootLog is what the failing app writes before it exits: secrets a
// crashlog must never show, and markup it must show only escaped.
const bootLog = `#!/bin/sh
echo "web.1: starting process with command bin/server"
echo "DATABASE_URL=postgres://u:hunter2secret@db/x"
echo "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"
echo "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
echo '<script>alert("xss")</script> Error: could not connect to the database' >&2
exit 1
`

// secrets must not appear anywhere a visitor or an operator looks.
var secrets = []string{"hunter2secret", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

// paasRouter is a PaaS-style router: it proxies each request to the app
// named by the Host header's first label, and when the app cannot be
// reached asks ouchie serve for /app-failed-to-boot, naming the app in
// X-App (ouchie's default --app-header) and passing on the request id, the
// client's Accept and its cookies (one of which may carry the viewing
// token).
func paasRouter(t testing.TB, apps map[string]string, ouchie string) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app, _, _ := strings.Cut(r.Host, ".")
		rid := fmt.Sprintf("paas-%04d", n.Add(1))
		r.Header.Set("X-Request-ID", rid)
		proxy := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(&url.URL{Scheme: "http", Host: apps[app]})
			},
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, _ error) {
				req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://"+ouchie+"/app-failed-to-boot", nil)
				req.Header.Set("X-App", app)
				req.Header.Set("X-Request-ID", rid)
				for _, h := range []string{"Accept", "Cookie"} {
					if v := r.Header.Get(h); v != "" {
						req.Header.Set(h, v)
					}
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("router: asking ouchie: %v", err)
					http.Error(w, "no error page", http.StatusBadGateway)
					return
				}
				defer resp.Body.Close()
				for k, v := range resp.Header {
					w.Header()[k] = v
				}
				w.WriteHeader(resp.StatusCode)
				_, _ = io.Copy(w, resp.Body)
			},
		}
		proxy.ServeHTTP(w, r)
	})
}

// TestPaaSCrashlog plays a PaaS: an app that fails to boot (it logs, with
// secrets, and exits without listening), a supervisor that pipes its output
// to `ouchie crashlog push`, and a router that answers for the dead app
// with ouchie's app-failed-to-boot page. The visitor holding the viewing
// token sees the crashlog, secrets [redacted] and markup escaped, in HTML or
// JSON; other visitors see the page without it.
func TestPaaSCrashlog(t *testing.T) {
	t.Parallel()
	pg := loadPages(t)
	bin, _ := ouchieBuild(t)
	const viewToken = "view-token-fedcba9876543210"
	adminToken := writeFile(t, "admin.token", "admin-token-0123456789abcdef\n")
	ouchie := startOuchie(t, "--admin-listen", "127.0.0.1:0", "--admin-token-file", adminToken,
		"--crashlog-token-file", writeFile(t, "view.token", viewToken+"\n"))

	// The supervisor starts the app and pipes everything it writes to ouchie.
	app := writeFile(t, "app.sh", bootLog)
	supervisor := fmt.Sprintf("sh %s 2>&1 | %s crashlog push --admin http://%s --token-file %s web -", app, bin, ouchie.admin, adminToken)
	out, code := run(t, nil, nil, "sh", "-c", supervisor)
	if code != 0 || !strings.Contains(out, "crashlog of web stored") {
		t.Fatalf("supervisor pipeline exited %d:\n%s", code, out)
	}

	router := httptest.NewServer(paasRouter(t, map[string]string{"web": closedPort(t), "other": closedPort(t)}, ouchie.addr))
	t.Cleanup(router.Close)
	const host = "web.apps.example"
	cookie := "ouchie_crashlog=" + viewToken

	// A visitor with the viewing token: the crashlog, redacted and escaped.
	r := get(t, router.URL+"/", "Host", host, "Accept", acceptBrowser, "Cookie", cookie)
	pg.check(t, "owner, HTML", r, page{"502-app-failed-to-boot", 502, bundle.HTML, "paas-0001"})
	body := string(r.body)
	for _, want := range []string{
		"DATABASE_URL=postgres://u:[redacted]@db/x",
		"AWS_SECRET_ACCESS_KEY=[redacted]",
		"&lt;script&gt;alert(",
		"Error: could not connect to the database",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("owner, HTML: crashlog lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("owner, HTML: the log's <script> reached the page unescaped")
	}

	r = get(t, router.URL+"/", "Host", host, "Accept", acceptJSON, "Cookie", cookie)
	doc := pg.check(t, "owner, JSON", r, page{"502-app-failed-to-boot", 502, bundle.JSON, "paas-0002"})
	log, _ := doc["crashlog"].(string)
	if !strings.Contains(log, "postgres://u:[redacted]@db/x") || !strings.Contains(log, `<script>alert("xss")</script>`) {
		t.Errorf("owner, JSON: crashlog %q, want the redacted log", log)
	}
	if strings.Contains(string(r.body), "<script>") {
		t.Errorf("owner, JSON: raw <script> in the JSON body (want it \\u003c-escaped)")
	}

	// Without the token, or for another app: the page, no log.
	for _, c := range []struct{ name, host, cookie string }{
		{"visitor without the token", host, ""},
		{"visitor with a wrong token", host, "ouchie_crashlog=guess"},
		{"another app", "other.apps.example", cookie},
	} {
		r := get(t, router.URL+"/", "Host", c.host, "Accept", acceptBrowser, "Cookie", c.cookie)
		pg.check(t, c.name, r, page{"502-app-failed-to-boot", 502, bundle.HTML, ""})
		if strings.Contains(string(r.body), "DATABASE_URL") {
			t.Errorf("%s: the crashlog is shown", c.name)
		}
	}

	// The operator's view through the CLI is sanitized too.
	out, code = run(t, nil, nil, bin, "crashlog", "get", "--admin", "http://"+ouchie.admin, "--token-file", adminToken, "web")
	if code != 0 || !strings.Contains(out, "postgres://u:[redacted]@db/x") {
		t.Errorf("ouchie crashlog get exited %d:\n%s", code, out)
	}

	for _, s := range secrets {
		if strings.Contains(ouchie.output(), s) {
			t.Errorf("ouchie's own log holds the secret %q", s)
		}
		for _, seen := range []string{body, string(r.body), out} {
			if strings.Contains(seen, s) {
				t.Errorf("secret %q shown", s)
			}
		}
	}
}
