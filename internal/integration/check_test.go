package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
)

// client talks to the routers: no redirects followed, no transparent
// decompression, no connection reuse between requests, bounded in time.
var client = &http.Client{
	Timeout: 10 * time.Second,
	Transport: &http.Transport{
		DisableCompression: true,
		DisableKeepAlives:  true,
		Proxy:              nil,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// response is what a client got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// Accept headers as a browser, an API client and a terminal send them.
const (
	acceptBrowser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	acceptJSON    = "application/json"
	acceptText    = "text/plain"
)

// get requests url with the given headers (name, value pairs).
func get(t testing.TB, url string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// pages knows the bundle under test: what each page looks like in each
// format, to recognise it in a response.
type pages struct {
	dir string
	b   *bundle.Bundle
}

func loadPages(t testing.TB) *pages {
	t.Helper()
	dir := bundleDir(t)
	b, err := bundle.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &pages{dir: dir, b: b}
}

// file returns the bytes of a page's file in a format.
func (p *pages) file(t testing.TB, id, format string) []byte {
	t.Helper()
	pg, ok := p.b.Page(id)
	if !ok {
		t.Fatalf("bundle has no page %q", id)
	}
	f, ok := pg.Files[format]
	if !ok {
		t.Fatalf("page %q has no %s file", id, format)
	}
	data, err := os.ReadFile(filepath.Join(p.dir, f.Name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var h1 = regexp.MustCompile(`<h1[^>]*>.*?</h1>`)

// heading returns the page's <h1> element as its HTML file has it: the
// distinctive string that identifies the page in an HTML response.
func (p *pages) heading(t testing.TB, id string) string {
	t.Helper()
	m := h1.Find(p.file(t, id, bundle.HTML))
	if m == nil {
		t.Fatalf("page %q: no <h1> in its HTML", id)
	}
	return string(m)
}

// page is what a response must be: a page of the bundle, with a status, in
// a format, showing a request id when one is given.
type page struct {
	id        string
	status    int
	format    string // bundle.HTML, bundle.JSON, bundle.Text
	requestID string // "" when not checked
}

// check asserts the response is the page: its status, its Content-Type, the
// page's identity (the JSON body's id; the HTML's <h1>; the text's title
// line) and the request id where asked. It returns the JSON body's fields
// for JSON responses.
func (p *pages) check(t testing.TB, where string, r response, want page) map[string]any {
	t.Helper()
	if r.status != want.status {
		t.Errorf("%s: status %d, want %d\n%s", where, r.status, want.status, excerpt(r.body))
	}
	if ct, wantCT := r.header.Get("Content-Type"), bundle.ContentType(want.format); ct != wantCT {
		t.Errorf("%s: Content-Type %q, want %q", where, ct, wantCT)
	}
	if bytes.Contains(r.body, []byte(appBody)) {
		t.Errorf("%s: the app's own error body reached the client", where)
	}
	switch want.format {
	case bundle.JSON:
		var doc map[string]any
		if err := json.Unmarshal(r.body, &doc); err != nil {
			t.Errorf("%s: body is not JSON (%v):\n%s", where, err, excerpt(r.body))
			return nil
		}
		if doc["id"] != want.id {
			t.Errorf("%s: page id %v, want %q", where, doc["id"], want.id)
		}
		if want.requestID != "" && doc["request_id"] != want.requestID {
			t.Errorf("%s: request_id %v, want %q", where, doc["request_id"], want.requestID)
		}
		return doc
	case bundle.HTML:
		if hd := p.heading(t, want.id); !bytes.Contains(r.body, []byte(hd)) {
			t.Errorf("%s: body is not page %s (no %s):\n%s", where, want.id, hd, excerpt(r.body))
		}
		if want.requestID != "" && !bytes.Contains(r.body, []byte(want.requestID)) {
			t.Errorf("%s: request id %q not on the page", where, want.requestID)
		}
	case bundle.Text:
		title, _, _ := bytes.Cut(p.file(t, want.id, bundle.Text), []byte("\n"))
		if !bytes.HasPrefix(r.body, title) {
			t.Errorf("%s: body is not page %s (does not start %q):\n%s", where, want.id, title, excerpt(r.body))
		}
		if want.requestID != "" && !bytes.Contains(r.body, []byte(want.requestID)) {
			t.Errorf("%s: request id %q not in the text", where, want.requestID)
		}
	default:
		t.Fatalf("check: format %q", want.format)
	}
	return nil
}

// checkFile asserts the response body is the bundle's file byte for byte, as
// static setups serve it (slots at their defaults).
func (p *pages) checkFile(t testing.TB, where string, r response, id, format string) {
	t.Helper()
	if want := p.file(t, id, format); !bytes.Equal(r.body, want) {
		t.Errorf("%s: body is not %s's %s file byte for byte (%d bytes, want %d)", where, id, format, len(r.body), len(want))
	}
}

// excerpt shortens a body for a failure message.
func excerpt(b []byte) string {
	const max = 600
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
