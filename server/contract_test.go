package server

import (
	"github.com/ouchie/ouchie/generator/bundle"

	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/andybalholm/brotli"
)

// browserAccept is what browsers send, and what ingress-nginx forwards in X-Format.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// ingress returns ingress-nginx's custom-error headers (its default backend
// gets path "/" and these).
func ingress(code, format string) []string {
	return []string{
		"X-Code", code,
		"X-Format", format,
		"X-Original-URI", "/api/orders?id=7",
		"X-Namespace", "shop",
		"X-Ingress-Name", "shop-web",
		"X-Service-Name", "web",
		"X-Service-Port", "8080",
		"X-Request-ID", "5f1c0a<b>&'\"",
		"Accept", format,
	}
}

// TestRouterContract is the router contract of DESIGN.md as a table: a
// request in, the status, format, page and headers out.
func TestRouterContract(t *testing.T) {
	ts := open(t, Config{})
	tests := []struct {
		name    string
		method  string
		path    string
		headers []string
		body    string
		status  int
		format  string // html, json, txt, xml
		page    string
		shows   string // the status slot's value (the page's own when "")
		rid     string // the request id as read back from the page
		retry   string
	}{
		{name: "status", path: "/502", status: 502, format: "html", page: "502"},
		{name: "status with extension", path: "/502.json", status: 502, format: "json", page: "502"},
		{name: "extension any case", path: "/502.JSON", status: 502, format: "json", page: "502"},
		{name: "trailing slash", path: "/502/", status: 502, format: "html", page: "502"},
		{name: "status and variant", path: "/502/app-failed-to-boot", status: 502, format: "html", page: "502-app-failed-to-boot"},
		{name: "status and variant with extension", path: "/502/app-failed-to-boot.txt", status: 502, format: "txt", page: "502-app-failed-to-boot"},
		{name: "status and unknown variant", path: "/502/no-such-thing", status: 502, format: "html", page: "502"},
		{name: "status and another status's variant", path: "/503/app-crashed", status: 503, format: "html", page: "503", retry: "120"},
		{name: "variant", path: "/app-failed-to-boot", status: 502, format: "html", page: "502-app-failed-to-boot"},
		{name: "page id", path: "/502-app-crashed.xml", status: 502, format: "xml", page: "502-app-crashed"},
		{name: "alias", path: "/H10", status: 502, format: "html", page: "502-app-crashed"},
		{name: "alias any case", path: "/h10.json", status: 502, format: "json", page: "502-app-crashed"},
		{name: "alias with retry-after", path: "/maintenance", status: 422, format: "html", page: "422-maintenance-mode", retry: "600"},
		{name: "fallback page by name", path: "/4xx", status: 400, format: "html", page: "4xx"},
		{name: "status without a page: 4xx", path: "/418", status: 418, format: "html", page: "4xx", shows: "418"},
		{name: "status without a page: 4xx json", path: "/418.json", status: 418, format: "json", page: "4xx", shows: "418"},
		{name: "status without a page: 5xx", path: "/599", status: 599, format: "html", page: "5xx", shows: "599"},
		{name: "retry-after", path: "/503", status: 503, format: "html", page: "503", retry: "120"},

		{name: "ingress-nginx html", path: "/", headers: ingress("503", browserAccept),
			status: 503, format: "html", page: "503", rid: "5f1c0a&lt;b&gt;&amp;&#39;&#34;", retry: "120"},
		{name: "ingress-nginx json", path: "/", headers: ingress("502", "application/json"),
			status: 502, format: "json", page: "502", rid: "5f1c0a<b>&'\""},
		{name: "ingress-nginx unknown status", path: "/", headers: ingress("504", "*/*"),
			status: 504, format: "html", page: "5xx", shows: "504", rid: "5f1c0a&lt;b&gt;&amp;&#39;&#34;"},
		{name: "ingress-nginx keeps POST", method: "POST", path: "/", headers: ingress("502", "text/plain"), body: "a=1",
			status: 502, format: "txt", page: "502", rid: "5f1c0a<b>&'\""},
		{name: "X-Code alias", path: "/", headers: []string{"X-Code", "H20"}, status: 502, format: "html", page: "502-app-failed-to-boot"},
		{name: "X-Code with spaces", path: "/", headers: []string{"X-Code", " 500 "}, status: 500, format: "html", page: "500"},
		{name: "traefik: path wins over a forged X-Code", path: "/502", headers: []string{"X-Code", "404"}, status: 502, format: "html", page: "502"},
		{name: "query code", path: "/?code=503", status: 503, format: "html", page: "503", retry: "120"},
		{name: "query code escaped", path: "/?x=1&code=%35%30%30", status: 500, format: "html", page: "500"},
		{name: "X-Code beats query", path: "/?code=503", headers: []string{"X-Code", "500"}, status: 500, format: "html", page: "500"},
		{name: "unknown path falls to X-Code", path: "/favicon.ico", headers: []string{"X-Code", "500"}, status: 500, format: "html", page: "500"},

		{name: "nothing named", path: "/", status: 404, format: "html", page: "404"},
		{name: "traversal", path: "/../etc/passwd", status: 404, format: "html", page: "404"},
		{name: "encoded traversal", path: "/%2e%2e/etc", status: 404, format: "html", page: "404"},
		{name: "too many digits", path: "/99999", status: 404, format: "html", page: "404"},
		{name: "not an error status", path: "/200", status: 404, format: "html", page: "404"},
		{name: "unknown extension", path: "/502.php", status: 404, format: "html", page: "404"},
		{name: "deep path", path: "/502/app-crashed/x", status: 404, format: "html", page: "404"},
		{name: "long key", path: "/" + strings.Repeat("a", 500), status: 404, format: "html", page: "404"},
		{name: "X-Code not a number", path: "/", headers: []string{"X-Code", "abc"}, status: 404, format: "html", page: "404"},
		{name: "X-Code 200", path: "/", headers: []string{"X-Code", "200"}, status: 404, format: "html", page: "404"},
		{name: "X-Code 302", path: "/", headers: []string{"X-Code", "302"}, status: 404, format: "html", page: "404"},
		{name: "query code junk", path: "/?code=%zz", status: 404, format: "html", page: "404"},

		{name: "accept json", path: "/502", headers: []string{"Accept", "application/json"}, status: 502, format: "json", page: "502"},
		{name: "accept problem+json", path: "/502", headers: []string{"Accept", "application/problem+json"}, status: 502, format: "json", page: "502"},
		{name: "accept text", path: "/502", headers: []string{"Accept", "text/plain"}, status: 502, format: "txt", page: "502"},
		{name: "accept xml", path: "/502", headers: []string{"Accept", "application/xml"}, status: 502, format: "xml", page: "502"},
		{name: "accept browser", path: "/502", headers: []string{"Accept", browserAccept}, status: 502, format: "html", page: "502"},
		{name: "accept any", path: "/502", headers: []string{"Accept", "*/*"}, status: 502, format: "html", page: "502"},
		{name: "accept q-values", path: "/502", headers: []string{"Accept", "application/json;q=0.5, text/plain"}, status: 502, format: "txt", page: "502"},
		{name: "accept q=0 refuses", path: "/502", headers: []string{"Accept", "application/json;q=0, text/plain;q=0.1"}, status: 502, format: "txt", page: "502"},
		{name: "accept specific beats wildcard", path: "/502", headers: []string{"Accept", "*/*, application/json"}, status: 502, format: "json", page: "502"},
		{name: "accept nothing we have", path: "/502", headers: []string{"Accept", "image/png"}, status: 502, format: "html", page: "502"},
		{name: "X-Format bare name", path: "/502", headers: []string{"X-Format", "json"}, status: 502, format: "json", page: "502"},
		{name: "X-Format beats Accept", path: "/502", headers: []string{"X-Format", "text/plain", "Accept", "application/json"}, status: 502, format: "txt", page: "502"},
		{name: "X-Format junk falls to Accept", path: "/502", headers: []string{"X-Format", "video/mp4", "Accept", "application/json"}, status: 502, format: "json", page: "502"},
		{name: "extension beats X-Format", path: "/502.xml", headers: []string{"X-Format", "application/json"}, status: 502, format: "xml", page: "502"},

		{name: "request id", path: "/502.json", headers: []string{"X-Request-ID", "req-1"}, status: 502, format: "json", page: "502", rid: "req-1"},
		{name: "request id in text as is", path: "/502.txt", headers: []string{"X-Request-ID", "<a href='x'>"}, status: 502, format: "txt", page: "502", rid: "<a href='x'>"},
		{name: "request id in xml", path: "/502.xml", headers: []string{"X-Request-ID", "<a>&"}, status: 502, format: "xml", page: "502", rid: "&lt;a&gt;&amp;"},
		{name: "request id capped", path: "/502.txt", headers: []string{"X-Request-ID", strings.Repeat("r", 5000)}, status: 502, format: "txt", page: "502", rid: strings.Repeat("r", bundle.MaxRequestID)},
		{name: "request id controls dropped", path: "/502.txt", headers: []string{"X-Request-ID", "a\tb\u0085c\u202ed\u2066"}, status: 502, format: "txt", page: "502", rid: "abcd"},

		{name: "PUT", method: "PUT", path: "/503", body: "x", status: 503, format: "html", page: "503", retry: "120"},
		{name: "DELETE", method: "DELETE", path: "/500", status: 500, format: "html", page: "500"},
		{name: "OPTIONS", method: "OPTIONS", path: "/500", status: 500, format: "html", page: "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			resp, data := ts.do(t, method, tt.path, headers(tt.headers...), body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			checkPageHeaders(t, resp, data, false)
			p := parse(t, resp.Header.Get("Content-Type"), data)
			if p.format != tt.format {
				t.Errorf("format %s, want %s", p.format, tt.format)
			}
			if p.id != tt.page {
				t.Errorf("page %q, want %q", p.id, tt.page)
			}
			shows := tt.shows
			if shows == "" {
				shows = tt.page[:3] // the slot's default: "502", or "4xx" in HTML and text
				if p.format == "json" || p.format == "xml" {
					shows = fmt.Sprint(tt.status)
				}
			}
			if p.status != shows {
				t.Errorf("page shows status %q, want %q", p.status, shows)
			}
			if p.requestID != tt.rid {
				t.Errorf("request id %q, want %q", p.requestID, tt.rid)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retry {
				t.Errorf("Retry-After %q, want %q", got, tt.retry)
			}
			if p.marker != "A" {
				t.Errorf("marker %q", p.marker)
			}
		})
	}
}

// TestRawPaths sends request lines a client library would clean up or refuse.
func TestRawPaths(t *testing.T) {
	ts := open(t, Config{})
	for _, target := range []string{"/../../etc/passwd", "/502/../../x", "//502", "/%00", "/502%0d%0aX-Evil:%201", "/%ff%fe"} {
		t.Run(target, func(t *testing.T) {
			resp := rawRequest(t, ts, "GET "+target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			if resp.StatusCode != 404 && resp.StatusCode != 400 {
				t.Errorf("status %d", resp.StatusCode)
			}
			if resp.Header.Get("X-Evil") != "" {
				t.Error("header injected")
			}
		})
	}
}

func rawRequest(t testing.TB, ts *testServer, raw string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestHead(t *testing.T) {
	ts := open(t, Config{})
	for _, h := range [][]string{nil, {"X-Request-ID", "abc"}, {"Accept-Encoding", "gzip"}} {
		get, body := ts.get(t, "/503", h...)
		head, empty := ts.do(t, http.MethodHead, "/503", headers(h...), nil)
		if len(empty) != 0 {
			t.Errorf("HEAD body %d bytes", len(empty))
		}
		if head.StatusCode != 503 || head.Header.Get("Content-Length") != get.Header.Get("Content-Length") ||
			head.Header.Get("Content-Length") != fmt.Sprint(len(body)) {
			t.Errorf("HEAD %d Content-Length %q, GET %q (%d bytes)", head.StatusCode,
				head.Header.Get("Content-Length"), get.Header.Get("Content-Length"), len(body))
		}
		checkPageHeaders(t, head, nil, true)
	}
}

// TestLargeBody: a POST with 1 MB gets its page; the body is never read.
// The server closes the connection with most of the body unsent, and its
// client must still get the response: it is sent twenty times, as a close
// that resets the connection too soon loses it now and then.
func TestLargeBody(t *testing.T) {
	ts := open(t, Config{})
	body := bytes.Repeat([]byte("x"), 1<<20)
	for range 20 {
		resp, data := ts.do(t, http.MethodPost, "/502.json", headers("Content-Type", "application/octet-stream"), bytes.NewReader(body))
		if resp.StatusCode != 502 || parse(t, resp.Header.Get("Content-Type"), data).id != "502" {
			t.Fatalf("status %d body %q", resp.StatusCode, data)
		}
	}
	// The server stays healthy for the next request.
	resp, _ := ts.get(t, "/healthz")
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
}

func TestOversizedHeaders(t *testing.T) {
	ts := open(t, Config{})
	resp, _ := ts.get(t, "/502", "X-Junk", strings.Repeat("j", 64<<10))
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
	resp, _ = ts.get(t, "/502", "X-Junk", strings.Repeat("j", 8<<10))
	if resp.StatusCode != 502 {
		t.Fatalf("8 KiB header: status %d, want 502", resp.StatusCode)
	}
}

func TestAlways200(t *testing.T) {
	ts := open(t, Config{Always200: true})
	resp, data := ts.get(t, "/418.json")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if p := parse(t, resp.Header.Get("Content-Type"), data); p.status != "418" || p.id != "4xx" {
		t.Fatalf("page %+v", p)
	}
}

func TestDefaultStatus(t *testing.T) {
	ts := open(t, Config{DefaultStatus: 503})
	resp, data := ts.get(t, "/nothing-here")
	if p := parse(t, resp.Header.Get("Content-Type"), data); resp.StatusCode != 503 || p.id != "503" {
		t.Fatalf("status %d page %s", resp.StatusCode, p.id)
	}
	ts = open(t, Config{DefaultStatus: 410})
	resp, data = ts.get(t, "/")
	if p := parse(t, resp.Header.Get("Content-Type"), data); resp.StatusCode != 410 || p.id != "4xx" || p.status != "410" {
		t.Fatalf("status %d page %+v", resp.StatusCode, p)
	}
	if _, err := New(Config{Load: fixed(makeBundle(t, "A", testPages)), DefaultStatus: 200}); err == nil {
		t.Fatal("default status 200 accepted")
	}
}

// TestCompression: the static path answers with the prepared gzip or brotli
// form when the client accepts it, and each decodes to the page's bytes.
func TestCompression(t *testing.T) {
	b := makeBundle(t, "A", testPages)
	ts := open(t, Config{Load: fixed(b)})
	want := b.Files["502.html"]
	tests := []struct {
		accept, encoding string
	}{
		{"", ""},
		{"identity", ""},
		{"gzip", "gzip"},
		{"gzip, deflate, br, zstd", "br"},
		{"br;q=0, gzip", "gzip"},
		{"gzip;q=0.5, br;q=0.4", "gzip"},
		{"*", "br"},
		{"*;q=0, gzip", "gzip"},
		{"br;q=0, gzip;q=0", ""},
		{"x-gzip", "gzip"},
	}
	for _, tt := range tests {
		resp, data := ts.get(t, "/502", "Accept-Encoding", tt.accept)
		if got := resp.Header.Get("Content-Encoding"); got != tt.encoding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.encoding)
			continue
		}
		checkPageHeaders(t, resp, data, false)
		var r io.Reader = bytes.NewReader(data)
		switch tt.encoding {
		case "gzip":
			r = must(gzip.NewReader(r))
		case "br":
			r = brotli.NewReader(r)
		}
		if got := must(io.ReadAll(r)); !bytes.Equal(got, want) {
			t.Errorf("Accept-Encoding %q: decoded body differs from the page", tt.accept)
		}
		if tt.encoding != "" && len(data) >= len(want) {
			t.Errorf("%s body %d bytes, plain %d", tt.encoding, len(data), len(want))
		}
	}
	// A page with filled slots is assembled per request: gzipped when the
	// client takes gzip (never brotli), else as is.
	for _, tt := range []struct{ accept, encoding string }{
		{"br, gzip", "gzip"}, {"gzip;q=0.1", "gzip"}, {"br", ""}, {"", ""}, {"gzip;q=0", ""},
	} {
		resp, data := ts.get(t, "/502", "Accept-Encoding", tt.accept, "X-Request-ID", "r1")
		checkPageHeaders(t, resp, data, false)
		if got := resp.Header.Get("Content-Encoding"); got != tt.encoding {
			t.Errorf("filled page, Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.encoding)
			continue
		}
		if tt.encoding == "gzip" {
			data = must(io.ReadAll(must(gzip.NewReader(bytes.NewReader(data)))))
		}
		if p := parse(t, resp.Header.Get("Content-Type"), data); p.requestID != "r1" || p.id != "502" {
			t.Errorf("filled page, Accept-Encoding %q: page %+v", tt.accept, p)
		}
	}
}

func TestHealthz(t *testing.T) {
	ts := open(t, Config{})
	for _, m := range []string{"GET", "HEAD"} {
		resp, data := ts.do(t, m, "/healthz", nil, nil)
		if resp.StatusCode != 200 || (m == "GET" && string(data) != "ok\n") {
			t.Errorf("%s /healthz: %d %q", m, resp.StatusCode, data)
		}
	}
}

func TestBusyPort(t *testing.T) {
	ts := open(t, Config{})
	srv, err := New(Config{Load: fixed(makeBundle(t, "A", testPages)), Addr: ts.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	<-srv.Compressed()
	err = srv.Open()
	if err == nil {
		t.Fatal("second Open on a busy port succeeded")
	}
	want := "listen " + ts.Addr() + ": address already in use"
	if err.Error() != want || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("error %q, want %q wrapping EADDRINUSE", err, want)
	}
}

func TestBadConfig(t *testing.T) {
	b := makeBundle(t, "A", testPages)
	for name, cfg := range map[string]Config{
		"no loader":          {},
		"bad log format":     {Load: fixed(b), LogFormat: "xml"},
		"bad app header":     {Load: fixed(b), AppHeader: "X App"},
		"admin without api":  {Load: fixed(b), AdminAddr: "127.0.0.1:0"},
		"loader fails":       {Load: func() (*bundleT, error) { return nil, errors.New("boom") }},
		"bad default status": {Load: fixed(b), DefaultStatus: 99},
		"bad http server":    {Load: fixed(b), HTTPServer: "nginx"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
