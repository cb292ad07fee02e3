package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gorilla/handlers"

	"github.com/ouchie/ouchie/generator/bundle"
)

// Access log formats.
const (
	LogCombined = "combined"
	LogJSON     = "json"
)

// wrap puts the middleware around h, outermost first:
// Logging(forwarded?(Recovery(h))). Recovery sits inside everything that
// writes, so a panic is answered 500 and logged as 500, never as 200.
func (s *Server) wrap(h http.Handler) http.Handler {
	h = handlers.RecoveryHandler(handlers.RecoveryLogger(panicLogger{s}), handlers.PrintRecoveryStack(false))(h)
	if len(s.cfg.TrustedProxies) > 0 {
		h = s.forwarded(h)
	}
	if s.accessLog == nil {
		return h
	}
	if s.cfg.LogFormat == LogJSON {
		return handlers.CustomLoggingHandler(s.accessLog, h, s.writeJSONLog)
	}
	return handlers.CustomLoggingHandler(s.accessLog, h, writeCombinedLog)
}

// writeCombinedLog writes one access log line in the Combined Log Format.
// Every value a request supplies is quoted and escaped (Go syntax: \" \n
// \x1b \u202e), capped like the JSON log's, and the client address is one
// net/http or X-Forwarded-For parsing produced, so no request can forge a
// line or a field. The user field is always "-": the pages take no login.
func writeCombinedLog(w io.Writer, p handlers.LogFormatterParams) {
	r := p.Request
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	buf := make([]byte, 0, 256)
	buf = appendBare(buf, capped(host, maxContext))
	buf = append(buf, " - - ["...)
	buf = p.TimeStamp.AppendFormat(buf, "02/Jan/2006:15:04:05 -0700")
	buf = append(buf, "] "...)
	buf = strconv.AppendQuote(buf, capped(r.Method, maxContext)+" "+capped(r.RequestURI, maxContextURI)+" "+capped(r.Proto, maxContext))
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(p.StatusCode), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(p.Size), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendQuote(buf, capped(r.Referer(), maxContextURI))
	buf = append(buf, ' ')
	buf = strconv.AppendQuote(buf, capped(r.UserAgent(), maxContext))
	_, _ = w.Write(append(buf, '\n'))
}

// appendBare appends s, a value that should need no quoting, quoted and
// escaped if it does after all.
func appendBare(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return strconv.AppendQuote(buf, s)
		}
	}
	return append(buf, s...)
}

// guard asks clients to close their connections while the server drains
// (see Drain), and refuses what the pages never take: a request with a
// chunked body is answered 400 and its connection closed. net/http drops a
// Content-Length sent beside Transfer-Encoding before a handler sees it, so
// the shape of request smuggling (both headers, RFC 9112 section 6.1) looks
// like any chunked request here, and pages read no body.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			w.Header()["Connection"] = hClose
		}
		if len(r.TransferEncoding) > 0 {
			w.Header()["Connection"] = hClose
			http.Error(w, "bad request: the pages take no chunked body (Transfer-Encoding)", http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var hClose = []string{"close"}

// panicLogger receives the recovered panic value from the recovery handler.
type panicLogger struct{ s *Server }

// Println logs the panic with the stack of the panicking goroutine (it is
// called from the recovering deferred function, still on that stack).
func (p panicLogger) Println(v ...any) {
	p.s.metrics.panics.Add(1)
	p.s.log.Error("panic serving a request; answered 500", "panic", fmt.Sprint(v...), "stack", string(debug.Stack()))
}

// accessEntry is one line of the JSON access log. Every request-supplied
// value is capped; encoding/json escapes quotes, control characters and
// markup and replaces invalid UTF-8, so a hostile header cannot forge lines.
type accessEntry struct {
	Time        string  `json:"time"`
	Remote      string  `json:"remote"`
	Method      string  `json:"method"`
	URI         string  `json:"uri"`
	Proto       string  `json:"proto"`
	Status      int     `json:"status"`
	Size        int     `json:"size"`
	DurationMS  float64 `json:"duration_ms"`
	Referer     string  `json:"referer,omitempty"`
	UserAgent   string  `json:"user_agent,omitempty"`
	RequestID   string  `json:"request_id,omitempty"`
	Code        string  `json:"code,omitempty"`
	Format      string  `json:"format,omitempty"`
	OriginalURI string  `json:"original_uri,omitempty"`
	Namespace   string  `json:"namespace,omitempty"`
	Ingress     string  `json:"ingress,omitempty"`
	Service     string  `json:"service,omitempty"`
	ServicePort string  `json:"service_port,omitempty"`
	App         string  `json:"app,omitempty"`
}

// writeJSONLog writes one access log line as a JSON object.
func (s *Server) writeJSONLog(w io.Writer, p handlers.LogFormatterParams) {
	r := p.Request
	h := r.Header
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ns := first(h, "X-Namespace")
	if ns == "" {
		ns = first(h, "X-Namespaces")
	}
	e := accessEntry{
		Time:        p.TimeStamp.UTC().Format(time.RFC3339Nano),
		Remote:      capped(host, maxContext),
		Method:      capped(r.Method, maxContext),
		URI:         capped(r.RequestURI, maxContextURI),
		Proto:       capped(r.Proto, maxContext),
		Status:      p.StatusCode,
		Size:        p.Size,
		DurationMS:  float64(time.Since(p.TimeStamp).Microseconds()) / 1000,
		Referer:     capped(r.Referer(), maxContextURI),
		UserAgent:   capped(r.UserAgent(), maxContext),
		RequestID:   capped(first(h, headerRequestID), bundle.MaxRequestID),
		Code:        capped(first(h, headerCode), maxContext),
		Format:      capped(first(h, headerFormat), maxContext),
		OriginalURI: capped(first(h, "X-Original-Uri"), maxContextURI),
		Namespace:   capped(ns, maxContext),
		Ingress:     capped(first(h, "X-Ingress-Name"), maxContext),
		Service:     capped(first(h, "X-Service-Name"), maxContext),
		ServicePort: capped(first(h, "X-Service-Port"), maxContext),
		App:         capped(first(h, s.appHeader), maxContext),
	}
	line, err := json.Marshal(e)
	if err != nil {
		return
	}
	_, _ = w.Write(append(line, '\n'))
}

// Caps on what a request may put in an access log line.
const (
	maxContext    = 256
	maxContextURI = 1024
)

// capped cuts s to at most n bytes, at a character boundary.
func capped(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
