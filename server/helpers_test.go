package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/internal/testkit"
	"github.com/ouchie/ouchie/server/crashlog"
)

// tpage describes a page of a test bundle.
type tpage struct {
	id       string
	status   int
	variant  string
	fallback bool
	aliases  []string
	crashlog bool
	retry    int
}

// testPages is the catalog of the test bundle: statuses, variants with
// aliases, crashlog pages, fallbacks and Retry-After.
var testPages = []tpage{
	{id: "400", status: 400},
	{id: "404", status: 404},
	{id: "422-maintenance-mode", status: 422, variant: "maintenance-mode", aliases: []string{"H80", "maintenance"}, retry: 600},
	{id: "4xx", status: 400, fallback: true},
	{id: "500", status: 500},
	{id: "502", status: 502},
	{id: "502-app-crashed", status: 502, variant: "app-crashed", aliases: []string{"H10", "crashed"}, crashlog: true},
	{id: "502-app-failed-to-boot", status: 502, variant: "app-failed-to-boot", aliases: []string{"H20"}, crashlog: true},
	{id: "503", status: 503, retry: 120},
	{id: "5xx", status: 500, fallback: true},
}

// slotWriter builds a file, recording where its slots are.
type slotWriter struct {
	buf   bytes.Buffer
	slots []bundle.Slot
}

func (w *slotWriter) lit(s string) { w.buf.WriteString(s) }

func (w *slotWriter) slot(name, def string) {
	w.slots = append(w.slots, bundle.Slot{Name: name, Offset: w.buf.Len(), Len: len(def)})
	w.buf.WriteString(def)
}

// makeBundle builds a valid bundle of pages in every served format. Each
// page shows its id and marker, so tests can tell pages and bundles apart.
func makeBundle(t testing.TB, marker string, pages []tpage) *bundle.Bundle {
	t.Helper()
	b := &bundle.Bundle{
		Manifest: bundle.Manifest{Version: bundle.Version, Theme: "test",
			Site: bundle.Settings{Name: "Test", DefaultStatus: 404, DefaultTheme: "test"}},
		Files: map[string][]byte{},
	}
	filler := strings.Repeat("Something went wrong, and this sentence pads the page so it compresses. ", 30)
	for _, p := range pages {
		shown := strconv.Itoa(p.status)
		if p.fallback {
			shown = p.id
		}
		bp := bundle.Page{ID: p.id, Status: p.status, Variant: p.variant, Fallback: p.fallback, Aliases: p.aliases,
			Source: "app", Title: "Title " + p.id, Summary: "Summary", Crashlog: p.crashlog, RetryAfter: p.retry,
			Files: map[string]bundle.File{}}
		add := func(format string, w *slotWriter) {
			name := p.id + "." + format
			data := w.buf.Bytes()
			b.Files[name] = data
			bp.Files[format] = bundle.File{Name: name, Size: len(data), SHA256: bundle.Sum(data), Slots: w.slots}
		}

		h := &slotWriter{}
		h.lit("<!doctype html><title>")
		h.slot(bundle.SlotStatus, shown)
		h.lit("</title><p class=\"id\">" + p.id + "</p><p class=\"marker\">" + marker + "</p><p>" + filler + "</p><code>")
		h.slot(bundle.SlotRequestID, "")
		h.lit("</code>")
		if p.crashlog {
			h.lit("<pre>")
			h.slot(bundle.SlotCrashlog, "")
			h.lit("</pre>")
		}
		h.lit("\n")
		add(bundle.HTML, h)

		j := &slotWriter{}
		j.lit(`{"status": `)
		j.slot(bundle.SlotStatus, strconv.Itoa(p.status))
		j.lit(`, "id": "` + p.id + `", "marker": "` + marker + `", "summary": "` + filler + `", "request_id": "`)
		j.slot(bundle.SlotRequestID, "")
		j.lit(`"`)
		if p.crashlog {
			j.lit(`, "crashlog": "`)
			j.slot(bundle.SlotCrashlog, "")
			j.lit(`"`)
		}
		j.lit("}\n")
		add(bundle.JSON, j)

		x := &slotWriter{}
		x.slot(bundle.SlotStatus, shown)
		x.lit(" " + p.id + "\n" + marker + "\n" + filler + "\nRequest ID: ")
		x.slot(bundle.SlotRequestID, "")
		x.lit("\n")
		if p.crashlog {
			x.lit("Log:\n")
			x.slot(bundle.SlotCrashlog, "")
			x.lit("\n")
		}
		add(bundle.Text, x)

		m := &slotWriter{}
		m.lit("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<error><status>")
		m.slot(bundle.SlotStatus, strconv.Itoa(p.status))
		m.lit("</status><id>" + p.id + "</id><marker>" + marker + "</marker><summary>" + filler + "</summary><request-id>")
		m.slot(bundle.SlotRequestID, "")
		m.lit("</request-id>")
		if p.crashlog {
			m.lit("<crashlog>")
			m.slot(bundle.SlotCrashlog, "")
			m.lit("</crashlog>")
		}
		m.lit("</error>\n")
		add(bundle.XML, m)

		b.Manifest.Pages = append(b.Manifest.Pages, bp)
	}
	if err := b.Validate(); err != nil {
		t.Fatalf("test bundle: %v", err)
	}
	return b
}

type bundleT = bundle.Bundle

// fixed returns a loader that always returns b.
func fixed(b *bundle.Bundle) func() (*bundle.Bundle, error) {
	return func() (*bundle.Bundle, error) { return b, nil }
}

// testServer is an open server with a client that never decompresses.
type testServer struct {
	*Server
	url    string
	client *http.Client
	log    *testkit.Buffer // the server's own log
	access *testkit.Buffer // the access log
}

// open starts a server on 127.0.0.1:0 with the test bundle unless cfg says
// otherwise, and closes it when the test ends.
func open(t testing.TB, cfg Config) *testServer {
	t.Helper()
	ts := &testServer{log: &testkit.Buffer{}, access: &testkit.Buffer{}}
	if cfg.Load == nil {
		cfg.Load = fixed(makeBundle(t, "A", testPages))
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(ts.log, nil))
	}
	if cfg.AccessLog == nil {
		cfg.AccessLog = ts.access
	}
	if cfg.HTTPServer == "" {
		cfg.HTTPServer = *httpServer
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	<-srv.Compressed() // the tests check compressed forms
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	ts.Server = srv
	ts.url = "http://" + srv.Addr()
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}
	ts.client = &http.Client{Transport: tr}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return ts
}

// do sends a request and returns the response with its whole body.
func (ts *testServer) do(t testing.TB, method, path string, h http.Header, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, path, err)
	}
	return resp, data
}

func (ts *testServer) get(t testing.TB, path string, kv ...string) (*http.Response, []byte) {
	t.Helper()
	return ts.do(t, http.MethodGet, path, headers(kv...), nil)
}

// headers builds a header from key, value pairs, keys canonicalized.
func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

var (
	htmlID   = regexp.MustCompile(`<p class="id">([^<]*)</p>`)
	xmlID    = regexp.MustCompile(`<id>([^<]*)</id>`)
	htmlRID  = regexp.MustCompile(`<code>([^<]*)</code>`)
	htmlStat = regexp.MustCompile(`<title>([^<]*)</title>`)
)

// parsed is what a test page says about itself.
type parsed struct {
	format, id, status, requestID, crashlog, marker string
}

// parse reads a test page back, in whatever format it came.
func parse(t testing.TB, contentType string, body []byte) parsed {
	t.Helper()
	var p parsed
	switch {
	case strings.HasPrefix(contentType, "text/html"):
		p.format = bundle.HTML
		p.id = sub(htmlID, body)
		p.status = sub(htmlStat, body)
		p.requestID = sub(htmlRID, body)
		if i, j := bytes.Index(body, []byte("<pre>")), bytes.Index(body, []byte("</pre>")); i >= 0 && j > i {
			p.crashlog = string(body[i+5 : j])
		}
		p.marker = sub(regexp.MustCompile(`<p class="marker">([^<]*)</p>`), body)
	case strings.HasPrefix(contentType, "application/json"):
		p.format = bundle.JSON
		var v struct {
			Status    json.Number `json:"status"`
			ID        string      `json:"id"`
			Marker    string      `json:"marker"`
			RequestID string      `json:"request_id"`
			Crashlog  string      `json:"crashlog"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("json page: %v\n%s", err, body)
		}
		p.id, p.status, p.requestID, p.crashlog, p.marker = v.ID, v.Status.String(), v.RequestID, v.Crashlog, v.Marker
	case strings.HasPrefix(contentType, "text/plain"):
		p.format = bundle.Text
		lines := strings.Split(string(body), "\n")
		p.status, p.id, _ = strings.Cut(lines[0], " ")
		p.marker = lines[1]
		for i, l := range lines {
			if rid, ok := strings.CutPrefix(l, "Request ID: "); ok {
				p.requestID = rid
			}
			if l == "Log:" {
				p.crashlog = strings.Join(lines[i+1:len(lines)-1], "\n")
			}
		}
	case strings.HasPrefix(contentType, "application/xml"):
		p.format = bundle.XML
		p.id = sub(xmlID, body)
		p.status = sub(regexp.MustCompile(`<status>([^<]*)</status>`), body)
		p.requestID = sub(regexp.MustCompile(`<request-id>([^<]*)</request-id>`), body)
		p.crashlog = sub(regexp.MustCompile(`(?s)<crashlog>(.*)</crashlog>`), body)
		p.marker = sub(regexp.MustCompile(`<marker>([^<]*)</marker>`), body)
	default:
		t.Fatalf("unexpected content type %q", contentType)
	}
	return p
}

func sub(re *regexp.Regexp, body []byte) string {
	m := re.FindSubmatch(body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// fakeSource is a crashlog.Source holding logs in a map, by app or by
// "namespace/service".
type fakeSource map[string][]byte

func (f fakeSource) Lookup(q crashlog.Query) ([]byte, bool) {
	if b, ok := f[q.App]; ok && q.App != "" {
		return b, true
	}
	if q.Service == "" {
		return nil, false
	}
	b, ok := f[q.Namespace+"/"+q.Service]
	return b, ok
}

// checkPageHeaders asserts the headers every page response carries.
func checkPageHeaders(t testing.TB, resp *http.Response, body []byte, head bool) {
	t.Helper()
	h := resp.Header
	for k, want := range map[string]string{
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"X-Robots-Tag":           "noindex",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "frame-ancestors") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if !strings.Contains(h.Get("Vary"), "Accept") {
		t.Errorf("Vary = %q", h.Get("Vary"))
	}
	if h.Get("Content-Type") == "" {
		t.Error("no Content-Type")
	}
	cl, err := strconv.Atoi(h.Get("Content-Length"))
	if err != nil {
		t.Errorf("Content-Length = %q", h.Get("Content-Length"))
	}
	if !head && cl != len(body) {
		t.Errorf("Content-Length %d, body %d bytes", cl, len(body))
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return v
}

// benchLog is a 64 KiB crashlog: log lines with markup and an ampersand to
// escape.
var benchLog = strings.Repeat("2026-01-02T03:04:05Z app[web.1]: Error: <connect> ECONNREFUSED 127.0.0.1:5432 & retrying\n", 800)[:64<<10]
