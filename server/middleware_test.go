package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// panicSource is a crashlog source that panics on a lookup of app "boom".
type panicSource struct{}

func (panicSource) Lookup(app string) ([]byte, bool) {
	if app == "boom" {
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

func TestTrustProxy(t *testing.T) {
	for _, trust := range []bool{false, true} {
		ts := open(t, Config{TrustProxy: trust, LogFormat: LogJSON})
		ts.get(t, "/502", "X-Forwarded-For", "203.0.113.9")
		var e struct{ Remote string }
		if err := json.Unmarshal([]byte(ts.access.String()), &e); err != nil {
			t.Fatal(err)
		}
		if got := e.Remote == "203.0.113.9"; got != trust {
			t.Errorf("trust %v: remote %q", trust, e.Remote)
		}
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
