package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ouchie/ouchie/server/crashlog"
)

// hostileLog is a sanitized crashlog that still holds markup and quotes:
// the sanitizer makes logs safe to show, escaping is the server's job.
const hostileLog = "Error: boom <script>alert(\"x\")</script> & 'q'\n\tat main.go:12\nback\\slash"

// TestCrashlog: a log shows only on a crashlog page, only with a valid app
// header, only with the viewing token when one is configured, and always
// escaped for the format.
func TestCrashlog(t *testing.T) {
	src := fakeSource{"web": []byte(hostileLog), "empty": nil}
	open200 := open(t, Config{Crashlogs: src})
	guarded := open(t, Config{Crashlogs: src, CrashlogToken: []byte("s3cret"), AppHeader: "X-Heroku-App"})
	none := open(t, Config{})

	escapedHTML := "Error: boom &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;\n\tat main.go:12\nback\\slash"
	tests := []struct {
		name    string
		ts      *testServer
		path    string
		headers []string
		want    string // the log as read back from the page; "" for none
	}{
		{"html escaped", open200, "/H10", []string{"X-App", "web"}, escapedHTML},
		{"json escaped", open200, "/H10.json", []string{"X-App", "web"}, hostileLog},
		{"xml escaped", open200, "/H10.xml", []string{"X-App", "web"}, escapedHTML},
		{"text as is", open200, "/H10.txt", []string{"X-App", "web"}, hostileLog},
		{"other crashlog page", open200, "/502/app-failed-to-boot", []string{"X-App", "web"}, escapedHTML},
		{"via X-Code", open200, "/", []string{"X-Code", "H20", "X-App", "web"}, escapedHTML},
		{"page without a crashlog slot", open200, "/502", []string{"X-App", "web"}, ""},
		{"no app header", open200, "/H10", nil, ""},
		{"unknown app", open200, "/H10", []string{"X-App", "api"}, ""},
		{"empty log", open200, "/H10", []string{"X-App", "empty"}, ""},
		{"traversal app name", open200, "/H10", []string{"X-App", "../web"}, ""},
		{"upper-case app name", open200, "/H10", []string{"X-App", "WEB"}, ""},
		{"app name with slash", open200, "/H10", []string{"X-App", "web/../../etc/passwd"}, ""},
		{"no source configured", none, "/H10", []string{"X-App", "web"}, ""},
		{"token required: none given", guarded, "/H10.txt", []string{"X-Heroku-App", "web"}, ""},
		{"token required: wrong header", guarded, "/H10.txt", []string{"X-Heroku-App", "web", "X-Crashlog-Token", "s3cre"}, ""},
		{"token required: longer", guarded, "/H10.txt", []string{"X-Heroku-App", "web", "X-Crashlog-Token", "s3cret!"}, ""},
		{"token required: wrong cookie", guarded, "/H10.txt", []string{"X-Heroku-App", "web", "Cookie", "ouchie_crashlog=nope"}, ""},
		{"token header", guarded, "/H10.txt", []string{"X-Heroku-App", "web", "X-Crashlog-Token", "s3cret"}, hostileLog},
		{"token cookie", guarded, "/H10.txt", []string{"X-Heroku-App", "web", "Cookie", "a=b; ouchie_crashlog=s3cret"}, hostileLog},
		{"configured app header only", guarded, "/H10.txt", []string{"X-App", "web", "X-Crashlog-Token", "s3cret"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := tt.ts.get(t, tt.path, tt.headers...)
			checkPageHeaders(t, resp, data, false)
			p := parse(t, resp.Header.Get("Content-Type"), data)
			if p.crashlog != tt.want {
				t.Errorf("crashlog %q, want %q", p.crashlog, tt.want)
			}
			if strings.Contains(string(data), "<script>") && p.format != "txt" {
				t.Error("unescaped markup on the page")
			}
		})
	}
}

// TestCrashlogVary: pages that may show a log vary by the headers that
// decide it.
func TestCrashlogVary(t *testing.T) {
	ts := open(t, Config{Crashlogs: fakeSource{}, CrashlogToken: []byte("t"), AppHeader: "x-heroku-app"})
	resp, _ := ts.get(t, "/H10")
	if got, want := resp.Header.Get("Vary"), "Accept, Accept-Encoding, X-Format, X-Code, X-Heroku-App, X-Crashlog-Token, Cookie"; got != want {
		t.Errorf("crashlog page Vary %q, want %q", got, want)
	}
	resp, _ = ts.get(t, "/502")
	if got, want := resp.Header.Get("Vary"), "Accept, Accept-Encoding, X-Format, X-Code"; got != want {
		t.Errorf("page Vary %q, want %q", got, want)
	}
}

// TestCrashlogLarge: a 64 KiB log is shown whole, Content-Length exact.
func TestCrashlogLarge(t *testing.T) {
	log := strings.Repeat("panic: runtime error: index out of range [5] with length 3 <x>\n", 1100)[:64<<10]
	ts := open(t, Config{Crashlogs: fakeSource{"web": []byte(log)}})
	for _, path := range []string{"/H10.txt", "/H10.json", "/H10"} {
		resp, data := ts.get(t, path, "X-App", "web")
		checkPageHeaders(t, resp, data, false)
		p := parse(t, resp.Header.Get("Content-Type"), data)
		want := log
		if p.format == "html" {
			want = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(log)
		}
		if p.format == "txt" {
			want = strings.TrimSuffix(log, "\n")
		}
		if p.crashlog != want {
			t.Errorf("%s: crashlog %d bytes, want %d", path, len(p.crashlog), len(want))
		}
	}
}

func TestCrashlogMetrics(t *testing.T) {
	ts := open(t, Config{Crashlogs: fakeSource{"web": []byte("x")}})
	ts.get(t, "/H10", "X-App", "web")
	ts.get(t, "/H10", "X-App", "api")
	ts.get(t, "/H10", "X-App", "-bad")
	ts.get(t, "/H10")
	_, m := ts.do(t, http.MethodGet, "/metrics", nil, nil)
	for _, line := range []string{
		`ouchie_crashlog_requests_total{result="shown"} 1`,
		`ouchie_crashlog_requests_total{result="missing"} 1`,
		`ouchie_crashlog_requests_total{result="bad_app"} 1`,
		`ouchie_crashlog_requests_total{result="no_app"} 1`,
		`ouchie_crashlogs_shown_total 1`,
	} {
		if !strings.Contains(string(m), line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
}

// recordingSource answers every query with the same log and keeps the last
// query it was asked.
type recordingSource struct {
	mu   sync.Mutex
	last crashlog.Query
	n    int
}

func (s *recordingSource) Lookup(q crashlog.Query) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last, s.n = q, s.n+1
	return []byte("boom\n"), true
}

// TestCrashlogQuery: the query carries the app header and, with
// CrashlogByService, ingress-nginx's namespace and Service when they are DNS
// labels; the viewing token is the viewer's flag, and app logs need it.
func TestCrashlogQuery(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		headers []string
		want    crashlog.Query
		asked   bool
	}{
		{"app", Config{}, []string{"X-App", "web"}, crashlog.Query{App: "web"}, true},
		{"service ignored without CrashlogByService", Config{},
			[]string{"X-Namespace", "shop", "X-Service-Name", "cart"}, crashlog.Query{}, false},
		{"service", Config{CrashlogByService: true},
			[]string{"X-Namespace", "shop", "X-Service-Name", "cart"}, crashlog.Query{Namespace: "shop", Service: "cart"}, true},
		{"app and service", Config{CrashlogByService: true},
			[]string{"X-App", "web", "X-Namespace", "shop", "X-Service-Name", "cart"}, crashlog.Query{App: "web", Namespace: "shop", Service: "cart"}, true},
		{"bad namespace", Config{CrashlogByService: true},
			[]string{"X-Namespace", "Shop", "X-Service-Name", "cart"}, crashlog.Query{}, false},
		{"bad service", Config{CrashlogByService: true},
			[]string{"X-Namespace", "shop", "X-Service-Name", "cart/../x"}, crashlog.Query{}, false},
		{"service too long", Config{CrashlogByService: true},
			[]string{"X-Namespace", "shop", "X-Service-Name", strings.Repeat("a", 64)}, crashlog.Query{}, false},
		{"service without namespace", Config{CrashlogByService: true},
			[]string{"X-Service-Name", "cart"}, crashlog.Query{}, false},
		{"bad app, good service", Config{CrashlogByService: true},
			[]string{"X-App", "../x", "X-Namespace", "shop", "X-Service-Name", "cart"}, crashlog.Query{Namespace: "shop", Service: "cart"}, true},
		{"token: no viewer, service asked without the app", Config{CrashlogByService: true, CrashlogToken: []byte("t")},
			[]string{"X-App", "web", "X-Namespace", "shop", "X-Service-Name", "cart"}, crashlog.Query{Namespace: "shop", Service: "cart"}, true},
		{"token: no viewer, app only", Config{CrashlogByService: true, CrashlogToken: []byte("t")},
			[]string{"X-App", "web"}, crashlog.Query{}, false},
		{"token: viewer", Config{CrashlogByService: true, CrashlogToken: []byte("t")},
			[]string{"X-App", "web", "X-Namespace", "shop", "X-Service-Name", "cart", "X-Crashlog-Token", "t"},
			crashlog.Query{App: "web", Namespace: "shop", Service: "cart", Viewer: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &recordingSource{}
			tt.cfg.Crashlogs = src
			ts := open(t, tt.cfg)
			resp, data := ts.get(t, "/H10.txt", tt.headers...)
			p := parse(t, resp.Header.Get("Content-Type"), data)
			src.mu.Lock()
			defer src.mu.Unlock()
			if asked := src.n > 0; asked != tt.asked || src.last != tt.want {
				t.Errorf("asked %v for %+v, want %v for %+v", asked, src.last, tt.asked, tt.want)
			}
			if shown := p.crashlog != ""; shown != tt.asked {
				t.Errorf("log shown: %v, want %v", shown, tt.asked)
			}
		})
	}
}

// TestCrashlogPage: with the site's crashlog page set, a 502, 503 or 504
// whose crashlog is found is answered by that page, in the negotiated
// format, with the router's status; without a log, or for other statuses,
// the status's own page.
func TestCrashlogPage(t *testing.T) {
	b := makeBundle(t, "A", testPages)
	b.Manifest.Site.CrashlogPage = "502-app-crashed"
	src := fakeSource{"shop/cart": []byte("panic: <boom>\n")}
	ts := open(t, Config{Load: fixed(b), Crashlogs: src, CrashlogByService: true})
	svc := []string{"X-Namespace", "shop", "X-Service-Name", "cart"}
	tests := []struct {
		name      string
		path      string
		headers   []string
		status    int
		page, log string
	}{
		{"503 with a log", "/", append([]string{"X-Code", "503"}, svc...), 503, "502-app-crashed", "panic: &lt;boom&gt;\n"},
		{"503 json", "/", append([]string{"X-Code", "503", "Accept", "application/json"}, svc...), 503, "502-app-crashed", "panic: <boom>\n"},
		{"502 txt", "/502.txt", svc, 502, "502-app-crashed", "panic: <boom>\n"},
		{"504 from the fallback", "/504.txt", svc, 504, "502-app-crashed", "panic: <boom>\n"},
		{"503 without a log", "/", []string{"X-Code", "503", "X-Namespace", "shop", "X-Service-Name", "web"}, 503, "503", ""},
		{"503 without headers", "/", []string{"X-Code", "503"}, 503, "503", ""},
		{"500 keeps its page", "/500", svc, 500, "500", ""},
		{"404 keeps its page", "/404", svc, 404, "404", ""},
		{"crashlog page itself", "/H20.txt", svc, 502, "502-app-failed-to-boot", "panic: <boom>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, data := ts.get(t, tt.path, tt.headers...)
			checkPageHeaders(t, resp, data, false)
			p := parse(t, resp.Header.Get("Content-Type"), data)
			if resp.StatusCode != tt.status || p.id != tt.page || p.crashlog != tt.log {
				t.Errorf("%d, page %s, log %q; want %d, page %s, log %q", resp.StatusCode, p.id, p.crashlog, tt.status, tt.page, tt.log)
			}
			if tt.log != "" && p.status != strconv.Itoa(tt.status) {
				t.Errorf("page shows status %s, want %d", p.status, tt.status)
			}
			if got := resp.Header.Get("Vary"); tt.status >= 500 && !strings.Contains(got, "X-Service-Name") {
				t.Errorf("Vary %q lacks X-Service-Name", got)
			}
		})
	}
}
