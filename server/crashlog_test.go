package server

import (
	"net/http"
	"strings"
	"testing"
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
