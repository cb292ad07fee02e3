package server

import (
	"github.com/ouchie/ouchie/generator/bundle"

	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func testKeys(t testing.TB) (*keys, []tpage) {
	t.Helper()
	b := makeBundle(t, "A", testPages)
	k, err := newKeys(b.Manifest.Pages, 404)
	if err != nil {
		t.Fatal(err)
	}
	return k, testPages
}

func TestResolve(t *testing.T) {
	k, pages := testKeys(t)
	tests := []struct {
		path, xcode, query string
		page               string
		status             int
		fill               bool
		ext                formatSet
	}{
		{"/502", "", "", "502", 502, false, 0},
		{"/502.json", "", "", "502", 502, false, setOf(bundle.FormatJSON)},
		{"/502.HTM", "", "", "502", 502, false, setOf(bundle.FormatHTML)},
		{"/502.text", "", "", "502", 502, false, setOf(bundle.FormatText)},
		{"/502/app-crashed", "", "", "502-app-crashed", 502, false, 0},
		{"/502/App-Crashed.xml", "", "", "502-app-crashed", 502, false, setOf(bundle.FormatXML)},
		{"/500/app-crashed", "", "", "500", 500, false, 0},
		{"/418/app-crashed", "", "", "4xx", 418, true, 0},
		{"/H10", "", "", "502-app-crashed", 502, false, 0},
		{"/crashed.txt", "", "", "502-app-crashed", 502, false, setOf(bundle.FormatText)},
		{"/4xx", "", "", "4xx", 400, false, 0},
		{"/5XX", "", "", "5xx", 500, false, 0},
		{"/400", "", "", "400", 400, false, 0},
		{"/401", "", "", "4xx", 401, true, 0},
		{"/422", "", "", "4xx", 422, true, 0},
		{"/", "502", "", "502", 502, false, 0},
		{"", "502", "", "502", 502, false, 0},
		{"/", "", "code=503", "503", 503, false, 0},
		{"/", "", "code=5%30%33", "503", 503, false, 0},
		{"/", "", "a=b&code=H10&code=500", "502-app-crashed", 502, false, 0},
		{"/", "nope", "code=500", "500", 500, false, 0},
		{"/502", "404", "code=500", "502", 502, false, 0},
		{"/.json", "502", "", "502", 502, false, setOf(bundle.FormatJSON)},
		{"/", "", "", "404", 404, false, 0},
		{"/x/y/z", "", "", "404", 404, false, 0},
		{"/200", "", "", "404", 404, false, 0},
		{"/600", "", "", "404", 404, false, 0},
		{"/099", "", "", "404", 404, false, 0},
		{"/5O2", "", "", "404", 404, false, 0},
		{"/502/", "", "", "502", 502, false, 0},
		{"//502", "", "", "404", 404, false, 0},
		{"/502//", "", "", "404", 404, false, 0},
		{"/abc/app-crashed", "", "", "404", 404, false, 0},
	}
	for _, tt := range tests {
		got, ext := k.resolve(tt.path, tt.xcode, tt.query)
		if id := pages[got.page].id; id != tt.page || got.status != tt.status || got.fillStatus != tt.fill || ext != tt.ext {
			t.Errorf("resolve(%q, %q, %q) = %s %d fill=%v ext=%b, want %s %d fill=%v ext=%b",
				tt.path, tt.xcode, tt.query, id, got.status, got.fillStatus, ext, tt.page, tt.status, tt.fill, tt.ext)
		}
	}
}

func TestDefaultPage(t *testing.T) {
	b := makeBundle(t, "A", testPages)
	for _, tt := range []struct {
		status int
		page   string
		fill   bool
	}{{404, "404", false}, {410, "4xx", true}, {503, "503", false}, {504, "5xx", true}} {
		k, err := newKeys(b.Manifest.Pages, tt.status)
		if err != nil {
			t.Fatal(err)
		}
		if id := testPages[k.def.page].id; id != tt.page || k.def.status != tt.status || k.def.fillStatus != tt.fill {
			t.Errorf("default %d: page %s fill %v", tt.status, id, k.def.fillStatus)
		}
	}
	// Without a page or fallback for the default status: the other fallback.
	only5 := makeBundle(t, "A", []tpage{{id: "502", status: 502}, {id: "5xx", status: 500, fallback: true}})
	k, err := newKeys(only5.Manifest.Pages, 404)
	if err != nil {
		t.Fatal(err)
	}
	if k.def.page != 1 || k.def.status != 404 || !k.def.fillStatus {
		t.Errorf("default %+v", k.def)
	}
	if _, err := newKeys(only5.Manifest.Pages, 302); err == nil {
		t.Error("default status 302 accepted")
	}
}

func TestNegotiate(t *testing.T) {
	all := formatSet(1<<bundle.NumFormats - 1)
	htmlJSON := formatSet(1<<bundle.FormatHTML | 1<<bundle.FormatJSON)
	textOnly := formatSet(1 << bundle.FormatText)
	tests := []struct {
		list   string
		have   formatSet
		format bundle.Format
		ok     bool
	}{
		{browserAccept, all, bundle.FormatHTML, true},
		{"application/json", all, bundle.FormatJSON, true},
		{"application/json; charset=utf-8", all, bundle.FormatJSON, true},
		{"Application/JSON", all, bundle.FormatJSON, true},
		{"application/vnd.api+json", all, bundle.FormatJSON, true},
		{"text/plain", all, bundle.FormatText, true},
		{"text/xml", all, bundle.FormatXML, true},
		{"application/atom+xml", all, bundle.FormatXML, true},
		{"*/*", all, bundle.FormatHTML, true},
		{"*/*", textOnly, bundle.FormatText, true},
		{"text/*", all, bundle.FormatHTML, true},
		{"text/*", textOnly, bundle.FormatText, true},
		{"application/*", all, bundle.FormatJSON, true},
		{"application/json, text/plain, */*", all, bundle.FormatJSON, true},
		{"text/plain;q=0.9, application/json", all, bundle.FormatJSON, true},
		{"application/json;q=0.9, text/plain;q=0.91", all, bundle.FormatText, true},
		{"*/*;q=0.1, text/plain;q=0.1", all, bundle.FormatText, true},
		{"text/plain", htmlJSON, 0, false},
		{"text/plain, */*;q=0.5", htmlJSON, bundle.FormatHTML, true},
		{"application/json;q=0", all, 0, false},
		{"application/json;q=2", all, 0, false},
		{"application/json;q=abc", all, 0, false},
		{"application/json;q=0.0001", all, 0, false},
		{"application/json;level=1;q=1.000", all, bundle.FormatJSON, true},
		{"json", all, bundle.FormatJSON, true},
		{"HTML", all, bundle.FormatHTML, true},
		{"txt", all, bundle.FormatText, true},
		{"image/png", all, 0, false},
		{"", all, 0, false},
		{",,, ;;;", all, 0, false},
	}
	for _, tt := range tests {
		f, ok := negotiate(tt.list, tt.have)
		if ok != tt.ok || (ok && f != tt.format) {
			t.Errorf("negotiate(%q) = %d %v, want %d %v", tt.list, f, ok, tt.format, tt.ok)
		}
	}
}

func TestPickFormat(t *testing.T) {
	all := formatSet(1<<bundle.NumFormats - 1)
	for _, tt := range []struct {
		ext     formatSet
		headers []string
		have    formatSet
		want    bundle.Format
	}{
		{setOf(bundle.FormatJSON), []string{"Accept", "text/plain"}, all, bundle.FormatJSON},
		{setOf(bundle.FormatXML), nil, formatSet(1 << bundle.FormatHTML), bundle.FormatHTML},
		{0, []string{"X-Format", "json", "Accept", "text/plain"}, all, bundle.FormatJSON},
		{0, []string{"X-Format", "nothing/here", "Accept", "text/plain"}, all, bundle.FormatText},
		{0, nil, all, bundle.FormatHTML},
		{0, nil, formatSet(1 << bundle.FormatJSON), bundle.FormatJSON},
	} {
		if got := pickFormat(tt.have, tt.ext, http.Header(headers(tt.headers...))); got != tt.want {
			t.Errorf("pickFormat(%b, %v) = %d, want %d", tt.ext, tt.headers, got, tt.want)
		}
	}
}

func TestParseQ(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "1": 1000, "0.5": 500, "0.25": 250, "0.125": 125, "1.0": 1000, "1.000": 1000, "0.": 0} {
		if got, ok := parseQ(in); !ok || got != want {
			t.Errorf("parseQ(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "2", "1.5", "1.001", "0.1234", "-1", ".5", "0,5", "q"} {
		if _, ok := parseQ(in); ok {
			t.Errorf("parseQ(%q) accepted", in)
		}
	}
}

// FuzzResolve: any path, X-Code, query, X-Format and Accept resolve to a
// page the bundle has, an error status, and a format that page has, without
// panicking; and escaping any request id yields valid UTF-8 free of markup.
func FuzzResolve(f *testing.F) {
	for _, seed := range [][5]string{
		{"/502", "", "", "", ""},
		{"/", "503", "", browserAccept, browserAccept},
		{"/502/app-crashed.json", "404", "code=500", "json", "*/*"},
		{"/../etc/passwd", "abc", "code=%zz", "", "text/plain;q=0.5"},
		{"/H10.TXT", "", "", "", "application/json;q=0"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4])
	}
	k, pages := testKeys(f)
	f.Fuzz(func(t *testing.T, path, xcode, query, xformat, accept string) {
		got, ext := k.resolve(path, xcode, query)
		if got.page < 0 || got.page >= len(pages) {
			t.Fatalf("page %d out of range", got.page)
		}
		if got.status < minStatus || got.status > maxStatus {
			t.Fatalf("status %d", got.status)
		}
		if !got.fillStatus && got.status != pages[got.page].status {
			t.Fatalf("page %s answers %d without showing it", pages[got.page].id, got.status)
		}
		if ext&(ext-1) != 0 || ext >= 1<<bundle.FormatHTTP {
			t.Fatalf("extension formats %b", ext)
		}
		if again, ext2 := k.resolve(path, xcode, query); again != got || ext2 != ext {
			t.Fatal("not deterministic")
		}
		// A path naming a page by its id always gets that page.
		if id := strings.TrimPrefix(path, "/"); !strings.ContainsAny(id, "/.") {
			for i, p := range pages {
				if strings.EqualFold(p.id, id) && !p.fallback && got.page != i && !(len(id) == 3 && got.status != p.status) {
					t.Fatalf("path %q got page %s", path, pages[got.page].id)
				}
			}
		}
		have := formatSet(1<<bundle.FormatHTML | 1<<bundle.FormatText)
		f := pickFormat(have, ext, http.Header{"X-Format": {xformat}, "Accept": {accept}})
		if !have.has(f) {
			t.Fatalf("format %d not available", f)
		}
		for format := range bundle.NumFormats {
			out := bundle.AppendValue(nil, format, bundle.KindRequestID, xformat, bundle.MaxRequestID)
			var s string
			switch {
			case !utf8.Valid(out),
				(format == bundle.FormatHTML || format == bundle.FormatXML) && strings.ContainsAny(string(out), "<>\"'"),
				format == bundle.FormatJSON && (strings.ContainsAny(string(out), "<>") || json.Unmarshal([]byte(`"`+string(out)+`"`), &s) != nil):
				t.Fatalf("escaped %q as %q for format %d", xformat, out, format)
			}
			if len(bundle.AppendValue(nil, bundle.FormatText, bundle.KindRequestID, xformat, bundle.MaxRequestID)) > bundle.MaxRequestID {
				t.Fatal("cap exceeded")
			}
		}
	})
}

func TestAcceptEncoding(t *testing.T) {
	for _, tt := range []struct {
		in     string
		br, gz int
	}{
		{"", 0, 0},
		{"gzip", 0, 1000},
		{"gzip, deflate, br, zstd", 1000, 1000},
		{"br;q=0.5, gzip;q=0.6", 500, 600},
		{"*", 1000, 1000},
		{"*;q=0.3, br", 1000, 300},
		{"br, gzip;q=0", 1000, 0},
		{"X-GZIP, BR;Q=0.2", 200, 1000},
		{"br;q=junk, gzip", 0, 1000},
	} {
		if br, gz := acceptEncoding(tt.in); br != tt.br || gz != tt.gz {
			t.Errorf("acceptEncoding(%q) = %d %d, want %d %d", tt.in, br, gz, tt.br, tt.gz)
		}
	}
}
