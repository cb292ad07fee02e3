package generator

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// snapshot records every file under dir with its bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteOutReplacesAndAFailedBuildLeavesItAlone(t *testing.T) {
	out := t.TempDir()
	site := baseSite(t)
	bundles, err := Build(site, Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteOut(out, bundles); err != nil {
		t.Fatal(err)
	}
	// A theme not built this time must survive a rebuild.
	if err := os.MkdirAll(filepath.Join(out, "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "other", "keep.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)
	if _, ok := before["plain/404.html"]; !ok {
		t.Fatalf("first build wrote %v", keys(before))
	}

	// A broken page: Build fails, so nothing reaches WriteOut and out is as it was.
	site["content/404.md"].Data = []byte("---\nstatsu: 404\n---\n")
	if _, err := Build(site, Options{Formats: bundle.Formats}); err == nil {
		t.Fatal("broken site built")
	}
	if after := snapshot(t, out); !equalMaps(before, after) {
		t.Fatal("a failed build changed the output")
	}

	// A good build with different content replaces the theme's folder whole:
	// a file the old bundle had and the new one lacks is gone.
	site = baseSite(t)
	delete(site, "content/503-platform-error.md")
	site["content/404.md"].Data = bytes.Replace(site["content/404.md"].Data, []byte("Page not found"), []byte("Lost"), 1)
	bundles, err = Build(site, Options{Formats: []string{"html"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteOut(out, bundles); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, out)
	if !strings.Contains(after["plain/404.html"], "Lost") {
		t.Error("404.html not replaced")
	}
	for _, gone := range []string{"plain/503-platform-error.html", "plain/404.json"} {
		if _, ok := after[gone]; ok {
			t.Errorf("%s from the old build survived", gone)
		}
	}
	if after["other/keep.txt"] != "keep" {
		t.Error("another theme's folder was touched")
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}
	if _, err := bundle.Open(filepath.Join(out, "plain")); err != nil {
		t.Errorf("written bundle does not read back: %v", err)
	}
}

func TestWriteOutFailureKeepsOldOutput(t *testing.T) {
	out := t.TempDir()
	bundles, err := Build(baseSite(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteOut(out, bundles); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)
	// The first bundle writes fine, the second cannot (a file in a missing
	// folder): neither may replace anything.
	changed := &bundle.Bundle{Manifest: bundles[0].Manifest, Files: map[string][]byte{"404.html": []byte("new")}}
	broken := &bundle.Bundle{Manifest: bundle.Manifest{Theme: "broken"}, Files: map[string][]byte{"no/such/dir": nil}}
	if _, err := WriteOut(out, []*bundle.Bundle{changed, broken}); err == nil {
		t.Fatal("write of a broken bundle succeeded")
	}
	if !equalMaps(before, snapshot(t, out)) {
		t.Fatal("a failed write changed the output")
	}
}

func TestReadBack(t *testing.T) {
	out := t.TempDir()
	bundles, err := Build(baseSite(t), Options{Formats: bundle.Formats, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteOut(out, bundles); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Open(filepath.Join(out, "plain"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Files) != len(bundles[0].Files) {
		t.Errorf("read %d files, wrote %d", len(b.Files), len(bundles[0].Files))
	}
	// A tampered file is refused.
	p := filepath.Join(out, "plain", "404.html")
	if err := os.WriteFile(p, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Open(filepath.Join(out, "plain")); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("tampered bundle: err = %v", err)
	}
}

// TestSlots checks every slot of every file holds its default, and that
// filling one by its offsets gives the page with the value in place.
func TestSlots(t *testing.T) {
	bundles, err := Build(baseSite(t), Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(err)
	}
	b := bundles[0]
	p, _ := b.Page("502-app-failed-to-boot")
	f := p.Files["html"]
	names := map[string]int{}
	for _, s := range f.Slots {
		names[s.Name]++
	}
	if names["crashlog"] != 1 || names["request_id"] != 1 || names["status"] != 1 {
		t.Fatalf("slots %v", f.Slots)
	}
	data := b.Files[f.Name]
	parts := bundle.Segments(data, f)
	var filled []byte
	for i, part := range parts {
		filled = append(filled, part...)
		if i < len(f.Slots) {
			filled = append(filled, f.Slots[i].Before+"<<"+f.Slots[i].Name+">>"+f.Slots[i].After...)
		}
	}
	s := string(filled)
	for _, want := range []string{"<title><<status>> This app", "<pre><<crashlog>></pre>", "<code><<request_id>></code>"} {
		if !strings.Contains(s, want) {
			t.Errorf("filled page lacks %q", want)
		}
	}
	// The 4xx page's status slot shows nothing where people read it (no
	// "4xx" headline on a static copy) and a number in JSON and XML.
	fb, _ := b.Page("4xx")
	for format, want := range map[string]string{"html": "", "json": "400", "txt": "", "xml": "400"} {
		ff := fb.Files[format]
		for _, sl := range ff.Slots {
			if sl.Name == "status" {
				if got := string(b.Files[ff.Name][sl.Offset : sl.Offset+sl.Len]); got != want {
					t.Errorf("4xx.%s status slot default %q, want %q", format, got, want)
				}
			}
		}
	}
	// Pages without crashlog: true never get the slot, even if a theme has one.
	nf, _ := b.Page("404")
	for _, sl := range nf.Files["html"].Slots {
		if sl.Name == "crashlog" {
			t.Error("404 has a crashlog slot")
		}
	}
}

// TestEmptySlotsLeaveNoTrace: a static file (every slot at its default)
// holds no empty request id line or field in any format, and no "4xx" or
// "5xx" headline; filled, each shows its value with the words around it.
func TestEmptySlotsLeaveNoTrace(t *testing.T) {
	bundles, err := Build(baseSite(t), Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(err)
	}
	b := bundles[0]
	for _, p := range b.Manifest.Pages {
		for format, f := range p.Files {
			data := string(b.Files[f.Name])
			for _, trace := range []string{"Request ID", "request_id", "request-id", "<title>4xx", "<title>5xx", "4xx Bad", "5xx Server"} {
				if strings.Contains(data, trace) {
					t.Errorf("%s holds %q:\n%s", f.Name, trace, data)
				}
			}
			fi, _ := bundle.ParseFormat(format)
			if fi == bundle.FormatHTTP {
				continue
			}
			l, err := bundle.NewLayout(b.Files[f.Name], f, fi)
			if err != nil {
				t.Fatal(err)
			}
			filled := string(l.Append(nil, &bundle.Values{RequestID: "r-1", Status: p.Status + 2}))
			want := map[string]string{
				"html": "Request ID: <code>r-1</code>", "txt": "\n\nRequest ID: r-1\n-- Acme",
				"json": `",` + "\n" + `  "request_id": "r-1"`, "xml": "</source>\n  <request-id>r-1</request-id>\n",
			}[format]
			if !strings.Contains(filled, want) {
				t.Errorf("%s filled lacks %q:\n%s", f.Name, want, filled)
			}
			if p.Fallback && format == "html" && !strings.Contains(filled, fmt.Sprintf("<title>%d ", p.Status+2)) {
				t.Errorf("%s filled has no status in its title:\n%s", f.Name, filled)
			}
		}
	}
}

// TestErrorfile parses every .http file as an HTTP response.
func TestErrorfile(t *testing.T) {
	bundles, err := Build(baseSite(t), Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(err)
	}
	b := bundles[0]
	for _, p := range b.Manifest.Pages {
		raw := b.Files[p.Files["http"].Name]
		if !bytes.Contains(raw[:bytes.Index(raw, []byte("\r\n\r\n"))], []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(raw[:bytes.Index(raw, []byte("\r\n\r\n"))], []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("%s.http: header lines must end in CRLF", p.ID)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatalf("%s.http: %v", p.ID, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != p.Status || resp.Proto != "HTTP/1.0" {
			t.Errorf("%s.http: %s %d", p.ID, resp.Proto, resp.StatusCode)
		}
		if !bytes.Equal(body, b.Files[p.Files["html"].Name]) || resp.ContentLength != int64(len(body)) {
			t.Errorf("%s.http: body or Content-Length differs from the HTML page", p.ID)
		}
		for h, want := range map[string]string{"Cache-Control": "no-store", "Connection": "close", "Content-Type": "text/html; charset=utf-8"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s.http: %s %q", p.ID, h, got)
			}
		}
		if p.RetryAfter > 0 && resp.Header.Get("Retry-After") != "30" {
			t.Errorf("%s.http: Retry-After %q", p.ID, resp.Header.Get("Retry-After"))
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestIndexMarker: indexMarker finds what bytes.IndexAny finds, in text
// around, before and after the markers, slotClose and other private-use
// characters that share their first bytes included.
func TestIndexMarker(t *testing.T) {
	for _, s := range []string{"", "plain", slotOpen, "a" + slotClose + "b" + slotOpen + "c", "\uE004\uE00F" + wrapClose,
		"é" + wrapOpen, "\xee\x80", "x\xee", "\xee\x80\x81\xee\x80", "\xe0\xee\x80\x80", slotClose + "\ue0ff" + slotOpen} {
		if got, want := indexMarker([]byte(s)), bytes.IndexAny([]byte(s), slotOpen+wrapOpen+wrapClose); got != want {
			t.Errorf("indexMarker(%q) = %d, want %d", s, got, want)
		}
	}
}
