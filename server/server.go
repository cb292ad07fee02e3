// Package server serves a bundle's error pages to routers (ingress-nginx,
// Traefik, nginx, Caddy, HAProxy, Envoy, PaaS routers): it resolves each
// request to a page, a status and a format, fills the page's slots (status,
// request id, the app's crashlog) and writes bytes prepared at load time.
//
// It reads bundles through generator/bundle only; where the bundle comes from
// (a directory, a site built in memory) is the caller's Config.Load.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server/crashlog"
	"github.com/ouchie/ouchie/server/http1"
)

// Config configures a Server. Zero values take the defaults noted.
type Config struct {
	// Load returns the bundle to serve. New calls it once; every reload
	// (Reload, SIGHUP in the command, Watch) calls it again. Required.
	Load func() (*bundle.Bundle, error)
	// Origin says where bundles come from, for logs ("dist/classic").
	Origin string

	// Addr is the listen address of the page server; default 127.0.0.1:8080.
	Addr string
	// AdminAddr, when set, opens a second listener serving Admin (the
	// crashlog admin API).
	AdminAddr string
	Admin     http.Handler

	// DefaultStatus answers requests that name no page (400-599); default
	// the manifest's site.default_status, else 404.
	DefaultStatus int
	// Always200 answers 200 whatever the page's status.
	Always200 bool
	// TrustedProxies lists the proxies whose X-Forwarded-For is believed
	// (see ParseTrustedProxies): when a request's peer is in one of them,
	// its client address (for the access log) is the rightmost address in
	// X-Forwarded-For that is not. Empty: the peer is the client.
	TrustedProxies []netip.Prefix
	// AccessLog receives one line per request; nil logs none.
	AccessLog io.Writer
	// AccessLogDelay, when positive, buffers the access log: lines are
	// written together, at most this long after they are logged (or once
	// 64 KiB wait), and Close writes the rest. Zero writes each line as it
	// is logged, one write per request.
	AccessLogDelay time.Duration
	// LogFormat is the access log format: LogCombined (default) or LogJSON.
	LogFormat string
	// Log receives the server's own messages; default discards them.
	Log *slog.Logger

	// Crashlogs is where an app's crashlog comes from; nil shows none.
	Crashlogs crashlog.Source
	// CrashlogByService also asks Crashlogs for the log of the Service that
	// ingress-nginx names in X-Namespace and X-Service-Name (the Kubernetes
	// source finds logs that way).
	CrashlogByService bool
	// AppHeader names the request header that says which app; default X-App.
	AppHeader string
	// LangHeader names a request header a router may set to choose the
	// page's language (over Accept-Language; ?lang= wins over both);
	// default X-Lang. It matters only for bundles with several languages.
	LangHeader string
	// CrashlogToken, when set, shows logs only to requests carrying it in
	// X-Crashlog-Token or the ouchie_crashlog cookie.
	CrashlogToken []byte

	// Watch lists directories whose changes trigger a reload (recursively,
	// and through their parent so a directory replaced by a rename is seen).
	Watch []string
	// WatchDelay is how long changes must settle before a reload; default 250ms.
	WatchDelay time.Duration

	// Timeouts and limits of the page listener; defaults in parentheses:
	// ReadHeaderTimeout (5s), ReadTimeout (15s), WriteTimeout (15s),
	// IdleTimeout (60s), MaxHeaderBytes (16 KiB, more than 4 KiB: the
	// request line, the headers and the blank line after them; a larger
	// head is answered 431).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int

	// BrotliQuality (0-11, default 11) for bodies the bundle did not
	// precompress.
	BrotliQuality int

	// HTTPServer chooses the page listener's HTTP server: HTTPFast
	// (default; server/http1) or HTTPStd (net/http's). The admin API is
	// always served by net/http.
	HTTPServer string
	// Brands, when set, returns the brands served beside Load's bundle (the
	// default brand), each with its bundle folder; none is fine. It is
	// called with Load, at start and on every reload. A request matching a
	// brand's rules gets the brand's pages, read on its first request.
	Brands func() ([]Brand, error)
	// BrandCacheBytes bounds the memory the brands' pages take (outputs
	// and their compressed forms; those the same as another brand's or the
	// default's held once); default DefaultBrandCacheBytes.
	BrandCacheBytes int64
}

// Page listener servers, for Config.HTTPServer.
const (
	HTTPFast = "fast"
	HTTPStd  = "std"
)

// Server serves one bundle at a time; Reload swaps in a new one atomically.
type Server struct {
	cfg        Config
	log        *slog.Logger
	current    atomic.Pointer[prepared]
	metrics    *metrics
	zip        *compressor
	crashlogs  crashlog.Source
	logs       *logCache
	appHeader  string
	langHeader string
	token      crashlog.Token // the viewing token
	vary       string
	varyLog    string
	varyBrand  string // the headers that choose a brand
	brandCache *brandCache
	accessLog  io.Writer  // cfg.AccessLog, or the buffer in front of it
	logBuf     *logBuffer // the buffer, or nil
	handler    http.Handler

	reloadMu sync.Mutex
	draining atomic.Bool // set by Drain

	mu         sync.Mutex
	page       pageServer
	admin      *http.Server
	ln, adminL net.Listener
	errc       chan error
	stopWatch  context.CancelFunc
	running    sync.WaitGroup
}

// pageServer is the page listener's server: *http.Server or
// *http1.Server.
type pageServer interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
	Close() error
}

// New loads and prepares the first bundle. It does not listen; see Open.
func New(cfg Config) (*Server, error) {
	if cfg.Load == nil {
		return nil, errors.New("server: no bundle loader")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.AppHeader == "" {
		cfg.AppHeader = "X-App"
	}
	if !http1.IsToken(cfg.AppHeader) {
		return nil, fmt.Errorf("app header %q is not a header name", cfg.AppHeader)
	}
	if cfg.LangHeader == "" {
		cfg.LangHeader = "X-Lang"
	}
	if !http1.IsToken(cfg.LangHeader) {
		return nil, fmt.Errorf("language header %q is not a header name", cfg.LangHeader)
	}
	switch cfg.LogFormat {
	case "":
		cfg.LogFormat = LogCombined
	case LogCombined, LogJSON:
	default:
		return nil, fmt.Errorf("log format %q: want %s or %s", cfg.LogFormat, LogCombined, LogJSON)
	}
	if cfg.DefaultStatus != 0 && (cfg.DefaultStatus < minStatus || cfg.DefaultStatus > maxStatus) {
		return nil, fmt.Errorf("default status %d: want %d-%d", cfg.DefaultStatus, minStatus, maxStatus)
	}
	if cfg.AdminAddr != "" && cfg.Admin == nil {
		return nil, errors.New("admin address set without an admin handler")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	setDefault(&cfg.ReadHeaderTimeout, 5*time.Second)
	setDefault(&cfg.ReadTimeout, 15*time.Second)
	setDefault(&cfg.WriteTimeout, 15*time.Second)
	setDefault(&cfg.IdleTimeout, 60*time.Second)
	setDefault(&cfg.WatchDelay, 250*time.Millisecond)
	setDefault(&cfg.MaxHeaderBytes, 16<<10)
	if cfg.MaxHeaderBytes <= headerSlop {
		return nil, fmt.Errorf("header cap %d bytes: want more than %d", cfg.MaxHeaderBytes, headerSlop)
	}
	switch cfg.HTTPServer {
	case "":
		cfg.HTTPServer = HTTPFast
	case HTTPFast, HTTPStd:
	default:
		return nil, fmt.Errorf("http server %q: want %s or %s", cfg.HTTPServer, HTTPFast, HTTPStd)
	}
	if cfg.BrotliQuality <= 0 || cfg.BrotliQuality > 11 {
		cfg.BrotliQuality = 11
	}

	s := &Server{
		cfg:        cfg,
		log:        cfg.Log,
		metrics:    newMetrics(),
		zip:        newCompressor(cfg.BrotliQuality),
		crashlogs:  cfg.Crashlogs,
		logs:       newLogCache(logCacheEntries, LogCacheBytes),
		appHeader:  textproto.CanonicalMIMEHeaderKey(cfg.AppHeader),
		langHeader: textproto.CanonicalMIMEHeaderKey(cfg.LangHeader),
		errc:       make(chan error, 2),
	}
	s.metrics.source, _ = cfg.Crashlogs.(crashlog.FailureCounter)
	s.metrics.sourceMetrics, _ = cfg.Crashlogs.(crashlog.MetricsWriter)
	s.brandCache = newBrandCache(cfg.BrandCacheBytes, cfg.Log)
	s.metrics.cache = s.brandCache
	s.varyBrand = brandVary(s.appHeader, len(cfg.TrustedProxies) > 0)
	s.accessLog = cfg.AccessLog
	if cfg.AccessLog != nil && cfg.AccessLogDelay > 0 {
		s.logBuf = newLogBuffer(cfg.AccessLog, cfg.AccessLogDelay)
		s.accessLog = s.logBuf
	}
	s.token = crashlog.NewToken(cfg.CrashlogToken)
	// Vary names every request header that selects the representation;
	// pages that may show a crashlog also vary by app and viewing token.
	s.vary = "Accept, Accept-Encoding, X-Format, X-Code"
	s.varyLog = s.vary
	if s.crashlogs != nil {
		s.varyLog += ", " + s.appHeader
		if cfg.CrashlogByService {
			s.varyLog += ", " + headerNamespace + ", " + headerService
		}
		if s.token.IsSet() {
			s.varyLog += ", " + headerToken + ", Cookie"
		}
	}
	st, err := s.load()
	if err != nil {
		return nil, err
	}
	s.current.Store(st)
	s.handler = s.wrap(s.guard(http.HandlerFunc(s.route)))
	return s, nil
}

// headerSlop is what net/http reads beyond http.Server.MaxHeaderBytes
// before it answers 431 (room for its buffer); the server subtracts it, so
// Config.MaxHeaderBytes is the cap a client meets.
const headerSlop = 4096

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// load calls the loaders and prepares what they return: the default
// bundle, and the brands beside it (whose pages are read on first request).
func (s *Server) load() (*prepared, error) {
	var bs *brandSet
	if s.cfg.Brands != nil {
		list, err := s.cfg.Brands()
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			o := s.prepareOptions(true)
			o.setVaries()
			if bs, err = newBrandSet(list, &o, s.metrics); err != nil {
				return nil, err
			}
		}
	}
	b, err := s.cfg.Load()
	if err != nil {
		return nil, err
	}
	st, err := prepare(b, s.prepareOptions(bs != nil))
	if err != nil {
		return nil, err
	}
	st.brands = bs
	if bs != nil {
		st.defaultRequests = &s.metrics.brand(bundle.DefaultBrand).requests
	}
	s.brandCache.pin(st)
	st.compressLater(s.zip)
	return st, nil
}

// prepareOptions are the options bundles are prepared with; with brands,
// Vary names the headers that choose one.
func (s *Server) prepareOptions(brands bool) prepareOptions {
	o := prepareOptions{
		defaultStatus: s.cfg.DefaultStatus,
		vary:          s.vary,
		varyCrashlog:  s.varyLog,
		varyLang:      headerAcceptLanguage + ", " + s.langHeader,
		metrics:       s.metrics,
	}
	if brands {
		o.vary = joinVary(o.vary, s.varyBrand)
		o.varyCrashlog = joinVary(o.varyCrashlog, s.varyBrand)
	}
	return o
}

// Compressed returns a channel closed once every page of the bundle being
// served has its gzip and brotli forms. Pages are served from the start;
// until then they go out uncompressed.
func (s *Server) Compressed() <-chan struct{} { return s.current.Load().ready }

// ServeHTTP serves a request through the middleware, as the listener does;
// a Server can be mounted in another server or driven by httptest.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func formatList(fs formatSet) string {
	var names []string
	for f := range bundle.NumFormats {
		if fs.has(f) {
			names = append(names, f.Name())
		}
	}
	return strings.Join(names, ",")
}
