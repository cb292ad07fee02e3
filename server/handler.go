package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ouchie/ouchie/server/crashlog"
)

// Request headers the server reads, in canonical form.
const (
	headerCode      = "X-Code"
	headerFormat    = "X-Format"
	headerRequestID = "X-Request-Id"
	headerToken     = "X-Crashlog-Token"
	cookieToken     = "ouchie_crashlog"
)

// route serves the reserved paths and hands everything else to the pages.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if h := s.hook.Load(); h != nil {
		(*h)(w, r)
		return
	}
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
	okBody     = []byte("ok\n")
)

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = hTextPlain
	h["Cache-Control"] = hNoStore
	h["X-Content-Type-Options"] = hNosniff
	h["Content-Length"] = hLenOK
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(okBody)
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = hMetrics
	h["Cache-Control"] = hNoStore
	h["X-Content-Type-Options"] = hNosniff
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_ = s.metrics.write(w, s.site.Load())
	}
}

// servePage answers with an error page. The static case (every slot at its
// default) writes prepared bytes and prepared header values; otherwise the
// page is assembled in a pooled buffer, from its gzip pieces and the slot
// values (see stitched) when the client takes gzip, else from its segments
// and the escaped values. No path allocates once warm.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	st := s.site.Load()
	t, ext := st.keys.resolve(r.URL.Path, first(r.Header, headerCode), r.URL.RawQuery)
	p := st.pages[t.page]
	v := p.out[pickFormat(p.has, ext, r.Header)]

	code := t.status
	if s.cfg.Always200 {
		code = http.StatusOK
	}
	v.counts.inc(code)

	var log []byte // escaped for the format
	if v.hasSlot[slotCrashlog] && s.crashlogs != nil {
		if app, raw := s.crashlog(r); raw != nil {
			log = s.logs.escaped(app, v.format, raw)
		}
	}
	rid := ""
	if v.hasSlot[slotRequestID] {
		rid = first(r.Header, headerRequestID)
	}

	h := w.Header()
	h["Content-Type"] = v.hType
	h["Cache-Control"] = hNoStore
	h["X-Content-Type-Options"] = hNosniff
	h["X-Robots-Tag"] = hNoIndex
	h["Content-Security-Policy"] = hCSP
	h["Vary"] = v.hVary
	if v.hRetry != nil {
		h["Retry-After"] = v.hRetry
	}

	filled := t.fillStatus && v.hasSlot[slotStatus]
	br, gz := acceptEncoding(first(r.Header, "Accept-Encoding"))
	if !filled && rid == "" && log == nil {
		body, clen := v.body, v.hLen
		switch {
		case br > 0 && v.br != nil && (br >= gz || v.gz == nil):
			body, clen = v.br, v.hLenBr
			h["Content-Encoding"] = hBrotli
		case gz > 0 && v.gz != nil:
			body, clen = v.gz, v.hLenGz
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
	z := v.gzOwn
	if filled {
		z = v.gzFill
	}
	bp := bufPool.Get().(*[]byte)
	var buf []byte
	if z != nil && gz > 0 && log == nil {
		buf = z.fill((*bp)[:0], v.format, t, rid)
		h["Content-Encoding"] = hGzip
	} else {
		buf = fill((*bp)[:0], v, t, rid, log)
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

// fill appends the page with its slots filled: the status a fallback page
// answers for, the request id escaped for the format, and the crashlog
// already escaped (nil for the slot's default).
func fill(buf []byte, v *variant, t target, rid string, log []byte) []byte {
	for i, seg := range v.segs {
		buf = append(buf, seg...)
		if i == len(v.slots) {
			break
		}
		switch v.slots[i] {
		case slotStatus:
			if t.fillStatus {
				buf = strconv.AppendInt(buf, int64(t.status), 10)
			} else {
				buf = append(buf, v.defaults[i]...)
			}
		case slotRequestID:
			if rid == "" {
				buf = append(buf, v.defaults[i]...)
			} else {
				buf = appendSlot(buf, v.format, rid, contextValue, maxRequestID)
			}
		case slotCrashlog:
			if log == nil {
				buf = append(buf, v.defaults[i]...)
			} else {
				buf = append(buf, log...)
			}
		}
	}
	return buf
}

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

// pickFormat chooses the format: the path's extension, then X-Format (an
// Accept list, as ingress-nginx forwards it, or a bare name), then Accept,
// then HTML, always among the formats the page has.
func pickFormat(have formatSet, ext int, h http.Header) int {
	if have.has(ext) {
		return ext
	}
	if xf := first(h, headerFormat); xf != "" {
		if f, ok := negotiate(xf, have); ok {
			return f
		}
	}
	if f, ok := negotiate(first(h, "Accept"), have); ok {
		return f
	}
	return have.first()
}

// crashlog decides whether this request may see the app's crashlog and
// returns the app and its log (sanitized by the source), or a nil log.
func (s *Server) crashlog(r *http.Request) (string, []byte) {
	app := first(r.Header, s.appHeader)
	res := logShown
	var log []byte
	switch {
	case app == "":
		res = logNoApp
	case !crashlog.ValidApp(app):
		res = logBadApp
	case s.tokenSum != nil && !s.authorized(r):
		res = logUnauthorized
	default:
		var ok bool
		if log, ok = s.crashlogs.Lookup(app); !ok || len(log) == 0 {
			log, res = nil, logMissing
		}
	}
	s.metrics.logs[res].Add(1)
	return app, log
}

// authorized reports whether the request carries the viewing token, in the
// X-Crashlog-Token header or the ouchie_crashlog cookie. Tokens are compared
// as SHA-256 sums in constant time, so neither content nor length leaks.
func (s *Server) authorized(r *http.Request) bool {
	got := first(r.Header, headerToken)
	if got == "" {
		if c, err := r.Cookie(cookieToken); err == nil {
			got = c.Value
		}
	}
	if got == "" {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum) == 1
}
