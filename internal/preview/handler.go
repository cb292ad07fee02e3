package preview

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/ouchie/ouchie/generator/bundle"
)

// Handler serves the gallery at / (a brand's at /?brand=ID), pages at
// /THEME/ID.FORMAT (a brand's at /BRAND/THEME/ID.FORMAT) and the event stream
// at EventsPath.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+EventsPath, s.serveEvents)
	mux.HandleFunc("GET /{$}", s.serveGallery)
	mux.HandleFunc("GET /{theme}/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/#theme-"+r.PathValue("theme"), http.StatusFound)
	})
	mux.HandleFunc("GET /{theme}/{file}", s.servePage)
	mux.HandleFunc("GET /{brand}/{theme}/{file}", s.servePage)
	return mux
}

// servePage serves one file of one theme's bundle as the server would, with
// slots filled on request: ?crashlog=1 fills in SampleCrashlog, ?request_id=X
// the id X (SampleRequestID when X is empty).
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	st, _ := s.current()
	brand, theme, file := r.PathValue("brand"), r.PathValue("theme"), r.PathValue("file")
	if st.good == nil {
		s.serveNoBuild(w, st)
		return
	}
	b, ok := st.good.bundle(brand, theme)
	if !ok {
		what := "theme " + theme
		if brand != "" {
			what = "brand " + brand + " or " + what
		}
		http.Error(w, "no "+what+" in this preview; see the gallery at /", http.StatusNotFound)
		return
	}
	if path.Ext(file) == "" {
		file += "." + bundle.HTML
	}
	// 404.html, or a translation: 404.de.html.
	id, lang, _ := strings.Cut(strings.TrimSuffix(file, path.Ext(file)), ".")
	format := strings.TrimPrefix(path.Ext(file), ".")
	page, ok := b.Translation(id, lang)
	if !ok && lang != "" && slices.Contains(b.Manifest.Site.Languages, lang) {
		page, ok = b.Page(id) // not translated: the default language's page, as served
	}
	if !ok {
		http.Error(w, "no page "+id+" in theme "+theme+"; see the gallery at /", http.StatusNotFound)
		return
	}
	f, ok := page.Files[format]
	if !ok {
		http.Error(w, "page "+id+" has no "+format+" file; see the gallery at /", http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	var log string
	var vals bundle.Values
	if v := q.Get("crashlog"); v != "" && v != "0" {
		log = SampleCrashlog
	}
	if q.Has("request_id") {
		vals.RequestID = cmp.Or(q.Get("request_id"), SampleRequestID)
	}
	fi, _ := bundle.ParseFormat(format) // a file of the manifest: a known format
	data, err := Fill(b.Files[f.Name], f, fi, log, vals)
	if err != nil {
		http.Error(w, "page "+id+": "+err.Error(), http.StatusInternalServerError)
		return
	}

	h := w.Header()
	h.Set("Cache-Control", "no-store")
	for _, ph := range bundle.Headers {
		h.Set(ph.Name, ph.Value)
	}
	if page.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(page.RetryAfter))
	}
	h.Set("Content-Language", cmp.Or(page.Lang, b.Manifest.Site.Lang))
	switch format {
	case bundle.HTML:
		if q.Has(thumbQuery) { // a gallery thumbnail: the page as built, under the pages' own policy
			h.Set("Content-Type", bundle.ContentType(format))
			break
		}
		nonce := newNonce()
		data = inject(data, st, nonce)
		h.Set("Content-Security-Policy", csp(nonce))
		h.Set("Content-Type", bundle.ContentType(format))
	case bundle.HTTP:
		// An HAProxy errorfile is a whole HTTP response: show it as text.
		h.Set("Content-Type", bundle.ContentType(bundle.Text))
	default:
		h.Set("Content-Type", bundle.ContentType(format))
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	status := page.Status
	if q.Has(thumbQuery) {
		status = http.StatusOK // a view of the page in the gallery, not an error answered
	}
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// serveNoBuild answers a page request before any build has succeeded.
func (s *Server) serveNoBuild(w http.ResponseWriter, st *state) {
	nonce := newNonce()
	page := []byte("<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width\">" +
		"<title>ouchie preview</title><body><p>ouchie preview: waiting for a good build of the site.</p></body></html>")
	data := inject(page, st, nonce)
	h := w.Header()
	h.Set("Content-Security-Policy", csp(nonce))
	h.Set("Content-Type", bundle.ContentType(bundle.HTML))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(data)
}

// csp is the policy of a previewed page: the server's (no scripts, no
// requests), plus the preview's own script and its event stream, so a theme
// that breaks the rules breaks here too.
func csp(nonce string) string {
	return bundle.CSP + "; script-src 'nonce-" + nonce + "'; connect-src 'self'"
}

func newNonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
