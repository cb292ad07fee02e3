package server

import (
	"github.com/ouchie/ouchie/generator/bundle"

	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a reusable ResponseWriter, so a benchmark measures the
// handler and not net/http's per-request allocations.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func benchRoute(b *testing.B, cfg Config, req *http.Request, wantCode int) {
	if cfg.Load == nil {
		cfg.Load = fixed(makeBundle(b, "A", testPages))
	}
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	<-srv.Compressed()
	w := &discardWriter{h: http.Header{}}
	srv.route(w, req)
	if w.code != wantCode {
		b.Fatalf("status %d, want %d", w.code, wantCode)
	}
	b.SetBytes(int64(w.n))
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		srv.route(w, req)
	}
}

// BenchmarkStatic: a browser asks for a page by path, brotli accepted.
func BenchmarkStatic(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/502", nil)
	req.Header.Set("Accept", browserAccept)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	benchRoute(b, Config{}, req, 502)
}

// BenchmarkStaticLanguage: the same from a German browser, to a bundle in
// six languages: the language is chosen by Accept-Language.
func BenchmarkStaticLanguage(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/502", nil)
	req.Header.Set("Accept", browserAccept)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7")
	benchRoute(b, Config{Load: fixed(translated(b, []string{"de", "fr", "es", "ja", "ar"}))}, req, 502)
}

// BenchmarkXCode: ingress-nginx's request from a browser, with a request
// id to fill in: the gzip form, stitched.
func BenchmarkXCode(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	h := headers(ingress("503", browserAccept)...)
	h.Set("X-Request-ID", "8c2f4e0a-5b1d-4c7e-9f3a-2d6b8e1c0f47")
	h.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	req.Header = h
	benchRoute(b, Config{}, req, 503)
}

// BenchmarkXCodeIdentity: the same from a client taking no gzip, the page
// assembled as is.
func BenchmarkXCodeIdentity(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	h := headers(ingress("503", browserAccept)...)
	h.Set("X-Request-ID", "8c2f4e0a-5b1d-4c7e-9f3a-2d6b8e1c0f47")
	req.Header = h
	benchRoute(b, Config{}, req, 503)
}

// BenchmarkCrashlog64K: an app-crashed page with a 64 KiB log, HTML-escaped.
func BenchmarkCrashlog64K(b *testing.B) {
	log := benchLog
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header = headers("X-Code", "H10", "X-App", "web", "X-Request-ID", "r-1", "Accept", browserAccept)
	benchRoute(b, Config{Crashlogs: fakeSource{"web": []byte(log)}}, req, 502)
}

// BenchmarkResolve: page and format resolution alone.
func BenchmarkResolve(b *testing.B) {
	k, _ := testKeys(b)
	h := headers("X-Format", browserAccept, "Accept", browserAccept)
	all := formatSet(1<<bundle.NumFormats - 1)
	b.ReportAllocs()
	for b.Loop() {
		t, ext := k.resolve("/H10", "", "")
		_ = pickFormat(all, ext, h)
		_ = t
	}
}

// BenchmarkStack: the whole handler with middleware (access log to
// io.Discard, recovery), still without the network.
func BenchmarkStack(b *testing.B) {
	cfg := Config{Load: fixed(makeBundle(b, "A", testPages)), AccessLog: io.Discard}
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	<-srv.Compressed()
	var h http.Handler = srv
	req := httptest.NewRequest(http.MethodGet, "/502", nil)
	req.Header.Set("Accept-Encoding", "br")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}
