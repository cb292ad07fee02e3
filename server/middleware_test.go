package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/server/crashlog"
)

// panicSource is a crashlog source that panics on a lookup of app "boom".
type panicSource struct{}

func (panicSource) Lookup(q crashlog.Query) ([]byte, bool) {
	if q.App == "boom" {
		panic("kaboom")
	}
	return nil, false
}

// TestPanicRecovery: a panic anywhere in a request (here in a crashlog
// source) answers 500, is logged with its stack and counted, and the server
// goes on serving.
func TestPanicRecovery(t *testing.T) {
	ts := open(t, Config{Crashlogs: panicSource{}})
	resp, _ := ts.get(t, "/boom", "X-Code", "H10", "X-App", "boom")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	if log := ts.log.String(); !strings.Contains(log, "kaboom") || !strings.Contains(log, "panic") || !strings.Contains(log, "middleware_test.go") {
		t.Errorf("panic not logged with its stack:\n%s", log)
	}
	if !strings.Contains(ts.access.String(), `"GET /boom HTTP/1.1" 500 `) {
		t.Errorf("access log does not record the 500:\n%s", ts.access.String())
	}
	_, m := ts.get(t, "/metrics")
	if !strings.Contains(string(m), "ouchie_panics_total 1\n") {
		t.Errorf("metrics:\n%s", m)
	}
	// The server goes on serving.
	if resp, _ := ts.get(t, "/502"); resp.StatusCode != 502 {
		t.Errorf("after panic: %d", resp.StatusCode)
	}
}

// TestHostileContext: context headers are never trusted; in the JSON access
// log they are capped and escaped so a line stays one valid JSON object.
func TestHostileContext(t *testing.T) {
	ts := open(t, Config{LogFormat: LogJSON})
	evil := "/x\"}, {\"forged\": 1 <script>alert(1)</script>\t\u202e" + strings.Repeat("A", 10<<10)
	resp, data := ts.get(t, "/", "X-Code", "502", "X-Original-URI", evil, "X-Namespace", evil[:600], "X-Service-Name", evil[:600],
		"X-Request-ID", "rid<script>", "X-App", "web\u2028x")
	if resp.StatusCode != 502 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if strings.Contains(string(data), "<script>") || strings.Contains(string(data), "AAAA") {
		t.Error("a context header reached the page unescaped")
	}
	// A raw request smuggling a line break is refused by net/http itself.
	raw := rawRequest(t, ts, "GET / HTTP/1.1\r\nHost: x\r\nX-Original-URI: /a\rb\r\nConnection: close\r\n\r\n")
	if raw.StatusCode != http.StatusBadRequest {
		t.Errorf("raw CR in header: %d", raw.StatusCode)
	}

	lines := strings.Split(strings.TrimSpace(ts.access.String()), "\n")
	var e map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil {
		t.Fatalf("access log line is not JSON: %v\n%s", err, lines[0])
	}
	if _, forged := e["forged"]; forged {
		t.Error("forged field")
	}
	orig, _ := e["original_uri"].(string)
	if len(orig) != maxContextURI || !strings.HasPrefix(orig, "/x\"}") {
		t.Errorf("original_uri %d bytes: %.60q", len(orig), orig)
	}
	if ns, _ := e["namespace"].(string); len(ns) != maxContext {
		t.Errorf("namespace %d bytes", len(ns))
	}
	if strings.Contains(lines[0], "<script>") || strings.Contains(lines[0], "\t") {
		t.Error("markup or control characters unescaped in the log line")
	}
	if e["status"] != 502.0 || e["request_id"] != "rid<script>" || e["code"] != "502" {
		t.Errorf("entry %v", e)
	}
}

func TestCombinedLog(t *testing.T) {
	ts := open(t, Config{})
	ts.get(t, `/502?q="x"`, "User-Agent", `evil" "agent`, "Referer", "http://r/")
	line := ts.access.String()
	for _, want := range []string{`"GET /502?q=\"x\" HTTP/1.1" 502 `, `"http://r/" "evil\" \"agent"`} {
		if !strings.Contains(line, want) {
			t.Errorf("combined log lacks %s:\n%s", want, line)
		}
	}
}

// TestTrustedProxies: behind trusted proxies the client is the rightmost
// X-Forwarded-For address that is not a proxy's; an entry that is not an
// IP address (a forged log line) voids the header and is counted; a peer
// that is not trusted is the client whatever it sends.
func TestTrustedProxies(t *testing.T) {
	const forged = `6.6.6.6 - admin [01/Jan/2000:00:00:00 +0000] "GET /forged HTTP/1.1" 200 1 "-" "-", 10.0.0.1`
	private, err := ParseTrustedProxies("private")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1")
	for _, tt := range []struct {
		proxies []netip.Prefix
		xff     []string
		want    string
	}{
		{nil, []string{"203.0.113.9"}, "127.0.0.1"},
		{private, []string{"203.0.113.9"}, "203.0.113.9"},
		{private, []string{"1.2.3.4, 203.0.113.9, 10.0.0.1"}, "203.0.113.9"},
		{private, []string{"1.2.3.4", "203.0.113.9 ,10.0.0.1,"}, "203.0.113.9"},
		{private, []string{"::ffff:203.0.113.9, 192.168.1.1"}, "203.0.113.9"},
		{private, []string{"10.1.1.1, 10.0.0.1"}, "10.1.1.1"},
		{private, []string{forged}, "127.0.0.1"},
		{private, []string{"203.0.113.9:443"}, "127.0.0.1"},
		{other, []string{"203.0.113.9"}, "127.0.0.1"}, // the peer, 127.0.0.1, is no trusted proxy
	} {
		ts := open(t, Config{TrustedProxies: tt.proxies})
		h := []string{}
		for _, v := range tt.xff {
			h = append(h, "X-Forwarded-For", v)
		}
		req, _ := http.NewRequest("GET", ts.url+"/502", nil)
		for i := 0; i < len(h); i += 2 {
			req.Header.Add(h[i], h[i+1])
		}
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		line := ts.access.String()
		if !strings.HasPrefix(line, tt.want+" - - [") || strings.Count(line, "\n") != 1 || strings.Contains(line, "forged") {
			t.Errorf("trusted %v, X-Forwarded-For %q: log line %q, want it to start with %s", tt.proxies, tt.xff, line, tt.want)
		}
	}
	ts := open(t, Config{TrustedProxies: private, LogFormat: LogJSON})
	ts.get(t, "/502", "X-Forwarded-For", forged)
	ts.get(t, "/502", "X-Forwarded-For", "not-an-ip, 10.0.0.1")
	var e struct{ Remote string }
	if err := json.Unmarshal([]byte(strings.SplitN(ts.access.String(), "\n", 2)[0]), &e); err != nil || e.Remote != "127.0.0.1" {
		t.Errorf("JSON log: remote %q, %v", e.Remote, err)
	}
	if _, m := ts.get(t, "/metrics"); !strings.Contains(string(m), "ouchie_forwarded_for_ignored_total 2\n") {
		t.Errorf("ignored headers not counted:\n%s", m)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies("loopback, 10.0.0.0/8,192.0.2.7,2001:db8::/32, 10.1.2.3/8")
	if err != nil {
		t.Fatal(err)
	}
	want := "[127.0.0.0/8 ::1/128 10.0.0.0/8 192.0.2.7/32 2001:db8::/32 10.0.0.0/8]"
	if fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "fe80::1%eth0", "privat"} {
		if _, err := ParseTrustedProxies(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v, want an error naming it", bad, err)
		}
	}
}

// TestCombinedLogEscapes: in the combined log, no request value can start
// a line or a field: the absolute-form URI's user name is not logged, and
// control and bidi characters are escaped.
func TestCombinedLogEscapes(t *testing.T) {
	ts := open(t, Config{})
	// net/http refuses control characters in header values; bidi
	// overrides and invalid UTF-8 pass.
	resp := rawRequest(t, ts, "GET http://x%0a6.6.6.6%20-%20admin@h/502 HTTP/1.1\r\nHost: h\r\nUser-Agent: a\u202e\xff\r\nReferer: r\"\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != 502 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	line := ts.access.String()
	if strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, "127.0.0.1 - - [") || strings.Contains(line, "\u202e") {
		t.Errorf("log line %q", line)
	}
	if !strings.Contains(line, `"r\"" "a\u202e\xff"`) {
		t.Errorf("referer and user agent not escaped: %q", line)
	}
}

func TestMetrics(t *testing.T) {
	ts := open(t, Config{})
	ts.get(t, "/418")
	ts.get(t, "/418")
	ts.get(t, "/502.json")
	ts.get(t, "/", "X-Code", "503", "Accept", "text/plain")
	resp, m := ts.get(t, "/metrics")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, line := range []string{
		"# TYPE ouchie_requests_total counter",
		`ouchie_requests_total{status="418",page="4xx",format="html"} 2`,
		`ouchie_requests_total{status="502",page="502",format="json"} 1`,
		`ouchie_requests_total{status="503",page="503",format="txt"} 1`,
		"ouchie_reloads_total 0",
		"ouchie_reload_failures_total 0",
		"ouchie_bundle_pages 10",
	} {
		if !strings.Contains(string(m), line+"\n") {
			t.Errorf("metrics lack %q:\n%s", line, m)
		}
	}
	if strings.Contains(string(m), `page="5xx"`) {
		t.Error("a page nobody asked for is listed")
	}
}
