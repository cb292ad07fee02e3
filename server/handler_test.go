package server

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
)

// handlerCases are requests down each path of servePage, as a router sends
// them, through a reusable ResponseWriter (see discardWriter).
var handlerCases = []struct {
	name    string
	path    string
	headers []string
}{
	{"static, brotli", "/502", []string{"Accept", browserAccept, "Accept-Encoding", "gzip, deflate, br, zstd"}},
	{"static, gzip", "/502.json", []string{"Accept-Encoding", "gzip"}},
	{"static, identity", "/502.txt", nil},
	{"request id, gzip", "/", append(ingress("502", browserAccept), "Accept-Encoding", "gzip, deflate, br, zstd")},
	{"request id, identity", "/", ingress("502", "application/json")},
	{"fallback status, gzip", "/418", []string{"Accept-Encoding", "gzip"}},
	{"crashlog", "/H10", []string{"X-App", "web", "X-Request-ID", "r-1", "Accept-Encoding", "gzip, br"}},
}

func handlerServer(t testing.TB) *Server {
	t.Helper()
	srv, err := New(Config{Load: fixed(makeBundle(t, "A", testPages)), Crashlogs: fakeSource{"web": []byte(benchLog)}})
	if err != nil {
		t.Fatal(err)
	}
	<-srv.Compressed()
	return srv
}

// TestResponseHeaderKeys: a page response sets at most eight header keys
// (Retry-After pages aside). net/http keeps a header map of up to eight keys
// in its small form; a ninth grows it, and makes the copy net/http takes at
// WriteHeader a full map too: about nine allocations per request.
func TestResponseHeaderKeys(t *testing.T) {
	srv := handlerServer(t)
	for _, tt := range handlerCases {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		req.Header = headers(tt.headers...)
		w := &discardWriter{h: http.Header{}}
		srv.route(w, req)
		if len(w.h) > 8 {
			t.Errorf("%s: %d header keys, want at most 8: %v", tt.name, len(w.h), w.h)
		}
		if _, ok := w.h["Referrer-Policy"]; ok {
			t.Errorf("%s: Referrer-Policy set", tt.name)
		}
	}
}

// TestHandlerAllocs: no path of the page handler allocates once warm, the
// filled ones included (their Content-Length values are cached by length),
// whether the bundle has one language or several; with several, each
// request carries a browser's Accept-Language, matched once and then
// remembered; and with brands, whichever header picks the brand (the
// brand's outputs loaded by the warming request).
func TestHandlerAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under the race detector")
	}
	multi, err := New(Config{Load: fixed(translated(t, []string{"de", "fr"})), Crashlogs: fakeSource{"web": []byte(benchLog)}})
	if err != nil {
		t.Fatal(err)
	}
	<-multi.Compressed()
	brands, _ := brandServer(t, Config{Crashlogs: fakeSource{"web": []byte(benchLog)}})
	<-brands.Compressed()
	for _, s := range []struct {
		name  string
		srv   *Server
		host  string
		extra []string
	}{
		{"one language", handlerServer(t), "", nil},
		{"languages, Accept-Language", multi, "", []string{"Accept-Language", "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7"}},
		{"brand by Host", brands, "WWW.Acme.test:8080", nil},
		{"brand by wildcard", brands, "a.b.eu.shop.acme.test", nil},
		{"brand by X-Namespace", brands, "other.test", []string{"X-Namespace", "globex"}},
		{"brands, the default", brands, "other.test", []string{"X-Namespace", "other", "X-Service-Name", "other"}},
	} {
		for _, tt := range handlerCases {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Host = s.host
			req.Header = headers(append(slices.Clone(tt.headers), s.extra...)...)
			w := &discardWriter{h: http.Header{}}
			s.srv.route(w, req) // warm: the crashlog escaped, the length cached, the language matched, the brand's output read
			s.srv.brandCache.waitCompressed()
			s.srv.route(w, req) // and its compressed forms
			if s.srv == multi && w.h.Get("Content-Language") != "de" {
				t.Fatalf("%s, %s: Content-Language %q, want de", s.name, tt.name, w.h.Get("Content-Language"))
			}
			if n := testing.AllocsPerRun(100, func() {
				clear(w.h)
				s.srv.route(w, req)
			}); n != 0 {
				t.Errorf("%s, %s: %.1f allocations per request, want 0", s.name, tt.name, n)
			}
		}
	}
}

func TestContentLength(t *testing.T) {
	for _, n := range []int{0, 7, 6928, len(lengths) - 1, len(lengths), 1 << 20} {
		a, b := contentLength(n), contentLength(n)
		if len(a) != 1 || cap(a) != 1 || a[0] != strconv.Itoa(n) || b[0] != a[0] {
			t.Errorf("contentLength(%d) = %q (cap %d)", n, a, cap(a))
		}
	}
}
