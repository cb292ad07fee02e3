package server

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server/crashlog"
)

// Request headers the server reads, in canonical form.
const (
	headerCode      = "X-Code"
	headerFormat    = "X-Format"
	headerRequestID = "X-Request-Id"
	headerToken     = "X-Crashlog-Token"
	headerNamespace = "X-Namespace"
	headerService   = "X-Service-Name"
	cookieToken     = "ouchie_crashlog"
)

// route serves the reserved paths and hands everything else to the pages.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		s.serveHealth(w, r)
	case "/metrics":
		s.serveMetrics(w, r)
	default:
		s.servePage(w, r)
	}
}

var (
	hTextPlain = []string{"text/plain; charset=utf-8"}
	hMetrics   = []string{"text/plain; version=0.0.4; charset=utf-8"}
	hLenOK     = []string{"3"}
	hNosniff   = []string{"nosniff"}
	okBody     = []byte("ok\n")

	hLenDraining = []string{"9"}
	drainingBody = []byte("draining\n")
)

// serveHealth answers 200 ok, or 503 draining once Drain was called.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = hTextPlain
	h["Cache-Control"] = hNoStore
	h["X-Content-Type-Options"] = hNosniff
	code, body, clen := http.StatusOK, okBody, hLenOK
	if s.draining.Load() {
		code, body, clen = http.StatusServiceUnavailable, drainingBody, hLenDraining
	}
	h["Content-Length"] = clen
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = hMetrics
	h["Cache-Control"] = hNoStore
	h["X-Content-Type-Options"] = hNosniff
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_ = s.metrics.write(w, s.current.Load())
	}
}

// servePage answers with an error page: resolve the request to a brand, a
// page, a status and a format; gather the slot values it brings; write. The static
// case (every slot at its default) writes prepared bytes and prepared header
// values; otherwise the page is assembled in a pooled buffer, from its gzip
// pieces and the slot values (see stitched) when the client takes gzip,
// else by bundle.Layout. No path allocates once warm.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	// Resolve: the brand, then the page (the crashlog page for a 502, 503
	// or 504 whose crashlog is found), language and format. A brand whose
	// pages cannot be read gets the default brand's.
	st := s.current.Load()
	var out *output
	var a answer
	var lg logLookup
	if st.brands != nil {
		if b := st.brands.pick(r, s.appHeader); b != nil {
			b.counts.requests.Add(1)
			if out, a = s.brandOutput(b, r, &lg); out == nil {
				b.counts.fallbacks.Add(1)
			}
		} else {
			st.defaultRequests.Add(1)
		}
	}
	if out == nil {
		out, a = st.resolve(s, r, &lg)
	}

	// Fill: the values this request brings for the page's slots.
	vals := bundle.Values{Status: a.statusValue()}
	if out.Has(bundle.KindRequestID) {
		vals.RequestID = first(r.Header, headerRequestID)
	}
	if lg.raw != nil && out.Has(bundle.KindCrashlog) {
		vals.Crashlog = s.logs.escaped(lg.q, out.Format, lg.raw)
	}
	if !out.Has(bundle.KindStatus) {
		vals.Status = 0
	}

	// Write.
	code := a.status
	if s.cfg.Always200 {
		code = http.StatusOK
	}
	out.counts.inc(code)
	s.write(w, r, out, code, &vals)
}

// write sends out with its slots filled from vals.
func (s *Server) write(w http.ResponseWriter, r *http.Request, out *output, code int, vals *bundle.Values) {
	h := w.Header()
	h["Content-Type"] = out.hType
	h["Cache-Control"] = hNoStore
	for _, ph := range pageHeaders {
		h[ph.key] = ph.value
	}
	h["Vary"] = out.hVary
	if out.hLang != nil {
		h["Content-Language"] = out.hLang
	}
	if out.hRetry != nil {
		h["Retry-After"] = out.hRetry
	}

	br, gz := acceptEncoding(first(r.Header, "Accept-Encoding"))
	zs := out.z.Load() // nil until the forms are made
	if zs == nil {
		zs = &noForms
	}
	if vals.Status == 0 && vals.RequestID == "" && vals.Crashlog == nil {
		body, clen := out.body, out.hLen
		switch {
		case br > 0 && zs.br != nil && (br >= gz || zs.gz == nil):
			body, clen = zs.br, zs.hLenBr
			h["Content-Encoding"] = hBrotli
		case gz > 0 && zs.gz != nil:
			body, clen = zs.gz, zs.hLenGz
			h["Content-Encoding"] = hGzip
		}
		h["Content-Length"] = clen
		w.WriteHeader(code)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
		return
	}

	// A filled page goes out gzipped when the client takes it (its brotli
	// form would have to be compressed per request), except with a
	// crashlog: 64 KiB of log as stored blocks would gain nothing.
	z := zs.own
	if vals.Status != 0 {
		z = zs.fill
	}
	bp := bufPool.Get().(*[]byte)
	var buf []byte
	if z != nil && gz > 0 && vals.Crashlog == nil {
		buf = z.fill((*bp)[:0], out.Format, vals)
		h["Content-Encoding"] = hGzip
	} else {
		buf = out.Append((*bp)[:0], vals)
	}
	h["Content-Length"] = contentLength(len(buf))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf)
	}
	if cap(buf) <= maxPooled {
		*bp = buf
		bufPool.Put(bp)
	}
}

// noForms stands for the compressed forms of an output not yet compressed.
var noForms zset

// lengths caches the Content-Length values of filled pages by length, so a
// response allocates one only the first time its length is served. Each
// value is a slice of len == cap, like the other shared header values.
// 1 MiB of pointers, filled only where used: lengths are close to the pages'
// own (a request id adds at most a few hundred bytes; a crashlog page is
// under 128 KiB).
var lengths [1 << 17]atomic.Pointer[[1]string]

// contentLength returns the Content-Length header value for n bytes.
func contentLength(n int) []string {
	if n >= len(lengths) {
		return []string{strconv.Itoa(n)}
	}
	v := lengths[n].Load()
	if v == nil {
		v = &[1]string{strconv.Itoa(n)}
		lengths[n].Store(v) // a racing store writes the same value
	}
	return v[:]
}

// Pooled page buffers; big ones (a long crashlog) are left to the collector.
const maxPooled = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// first returns the first value of a canonical header key.
func first(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// crashlog decides whether this request may see a crashlog and returns
// what it asked for and the log (sanitized by the source), or a nil log. The
// app comes from the app header; with CrashlogByService, the namespace and
// Service from X-Namespace and X-Service-Name too. A name that is not valid
// asks for nothing. With a viewing token configured, app logs need it; a
// Service's log is also shown where its owner opted in (the source decides).
func (s *Server) crashlog(r *http.Request) (crashlog.Query, []byte) {
	q := crashlog.Query{App: first(r.Header, s.appHeader)}
	if s.cfg.CrashlogByService {
		q.Namespace, q.Service = first(r.Header, headerNamespace), first(r.Header, headerService)
	}
	res := logShown
	asked := q.App != "" || q.Service != "" || q.Namespace != ""
	if q.App != "" && !crashlog.ValidApp(q.App) {
		q.App = ""
	}
	if !crashlog.ValidLabel(q.Namespace) || !crashlog.ValidLabel(q.Service) {
		q.Namespace, q.Service = "", ""
	}
	q.Viewer = s.token.IsSet() && s.authorized(r)
	var log []byte
	switch {
	case !asked:
		res = logNoApp
	case q.App == "" && q.Service == "":
		res = logBadApp
	case s.token.IsSet() && !q.Viewer && q.Service == "":
		res = logUnauthorized
	default:
		if s.token.IsSet() && !q.Viewer {
			q.App = ""
		}
		var ok bool
		if log, ok = s.crashlogs.Lookup(q); !ok || len(log) == 0 {
			log, res = nil, logMissing
		}
	}
	s.metrics.logs[res].Add(1)
	return q, log
}

// upstreamFailed reports whether a router answers status when the app did
// not (502, 503, 504): the statuses whose page a found crashlog replaces
// with the site's crashlog page.
func upstreamFailed(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// authorized reports whether the request carries the viewing token, in the
// X-Crashlog-Token header or the ouchie_crashlog cookie.
func (s *Server) authorized(r *http.Request) bool {
	got := first(r.Header, headerToken)
	if got == "" {
		if c, err := r.Cookie(cookieToken); err == nil {
			got = c.Value
		}
	}
	return s.token.Matches(got)
}
