// Package preview is ouchie's editing loop: a local web server that builds a
// site folder in memory, shows a gallery of every page in every theme and
// format, serves each page as visitors would see it, and rebuilds when a file
// of the site changes. Open tabs reload themselves over server-sent events; a
// failed build shows as an overlay on top of the last good page.
//
// Everything the preview adds to a page (its reload script and the overlay)
// is added on the way out and carries Marker; bundles never contain it.
package preview

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
)

// DefaultAddr is where the preview listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8090"

// DefaultDebounce is how long the preview waits after a change for more
// changes (an editor's save is often several writes) before rebuilding.
const DefaultDebounce = 50 * time.Millisecond

// Formats are the formats the preview builds and lists.
var Formats = []string{bundle.HTML, bundle.JSON, bundle.Text, bundle.XML, bundle.HTTP}

// Result describes one build, for WithReport.
type Result struct {
	Took   time.Duration
	Pages  int
	Themes []string
	Err    error // nil when the build succeeded
}

// Option configures a Server.
type Option func(*Server)

// WithAddr sets the listen address (host:port; port 0 picks a free one).
func WithAddr(addr string) Option { return func(s *Server) { s.addr = addr } }

// WithThemes limits the preview to some of the site's themes.
func WithThemes(names ...string) Option { return func(s *Server) { s.themes = names } }

// WithDebounce sets how long to wait for more changes before rebuilding.
func WithDebounce(d time.Duration) Option { return func(s *Server) { s.debounce = d } }

// WithLogger sets the logger for details a person at the terminal need not see.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithReport sets a function called after every build, good or failed.
func WithReport(f func(Result)) Option { return func(s *Server) { s.report = f } }

// Server is a running preview of one site folder.
type Server struct {
	dir      string
	addr     string
	themes   []string
	debounce time.Duration
	log      *slog.Logger
	report   func(Result)

	instance string // tells one run of the server from the next, for tabs left open
	ln       net.Listener
	srv      *http.Server
	w        *watcher
	stop     context.CancelFunc // ends event streams, so Close need not wait for them
	closing  sync.Once
	closeErr error
	builds   sync.Mutex // one build at a time

	mu      sync.Mutex
	st      *state
	changed chan struct{} // closed and replaced whenever st changes
}

// state is what the preview shows: the last good build and the outcome of
// the latest one. It is never modified once published.
type state struct {
	gen     string // "<instance>-<n>", new for every build attempt
	n       int
	good    *build // nil until a build succeeds
	err     error  // the latest build's error; nil when it succeeded
	overlay string // err rendered for the overlay
}

// build is one successful build, in memory.
type build struct {
	bundles []*bundle.Bundle // the site's own (the default brand's)
	byTheme map[string]*bundle.Bundle
	// brands are the site's brands, the default first, each with its
	// bundles by theme.
	brands  []string
	byBrand map[string]map[string]*bundle.Bundle
	took    time.Duration
	at      time.Time
}

// bundle returns the bundle of theme for brand ("" or the default brand
// for the site itself).
func (b *build) bundle(brand, theme string) (*bundle.Bundle, bool) {
	x, ok := b.byBrand[cmp.Or(brand, bundle.DefaultBrand)][theme]
	return x, ok
}

// New returns a preview of the site in dir; Open starts it.
func New(dir string, opts ...Option) *Server {
	s := &Server{
		dir:      dir,
		addr:     DefaultAddr,
		debounce: DefaultDebounce,
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		report:   func(Result) {},
		changed:  make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	var id [4]byte
	_, _ = rand.Read(id[:])
	s.instance = hex.EncodeToString(id[:])
	s.st = &state{gen: s.instance + "-0"}
	return s
}

// Open checks the site folder, starts watching it, builds it once and listens.
// A failed first build is not an error: the preview shows it, and rebuilds
// when the files change. Listening is synchronous, so a bad or busy address
// is reported here.
func (s *Server) Open() error {
	if err := generator.CheckSite(s.dir); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	w, err := newWatcher(s.dir, s.log)
	if err != nil {
		ln.Close()
		return fmt.Errorf("watch %s: %w", s.dir, err)
	}
	s.ln, s.w = ln, w
	s.Rebuild()
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("preview server stopped", "err", err)
		}
	}()
	go w.run(s.debounce, s.Rebuild)
	return nil
}

// URL is the preview's address, once open.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Close stops watching, ends open event streams and shuts the server down,
// waiting at most a few seconds for requests in flight. Calling it again
// does nothing.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	s.closing.Do(func() {
		s.w.close()
		s.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		s.closeErr = s.srv.Shutdown(ctx)
	})
	return s.closeErr
}

// Rebuild builds the site from disk and publishes the outcome: a good build
// replaces the last one; a failed one keeps it and records the error. Every
// open event stream then hears of it.
func (s *Server) Rebuild() {
	s.builds.Lock()
	defer s.builds.Unlock()
	start := time.Now()
	brands, pages, err := s.build()
	took := time.Since(start)
	var bundles []*bundle.Bundle
	if len(brands) > 0 {
		bundles = brands[0].bundles
	}

	s.mu.Lock()
	prev := s.st
	next := &state{n: prev.n + 1, good: prev.good, err: err}
	next.gen = fmt.Sprintf("%s-%d", s.instance, next.n)
	if err == nil {
		b := &build{bundles: bundles, byTheme: map[string]*bundle.Bundle{}, byBrand: map[string]map[string]*bundle.Bundle{},
			took: took, at: time.Now()}
		for _, x := range bundles {
			b.byTheme[x.Manifest.Theme] = x
		}
		for _, br := range brands {
			b.brands = append(b.brands, br.id)
			b.byBrand[br.id] = map[string]*bundle.Bundle{}
			for _, x := range br.bundles {
				b.byBrand[br.id][x.Manifest.Theme] = x
			}
		}
		next.good = b
	} else {
		next.overlay = overlayHTML(err, next.good != nil)
	}
	s.st = next
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	r := Result{Took: took, Pages: pages, Err: err}
	for _, b := range bundles {
		r.Themes = append(r.Themes, b.Manifest.Theme)
	}
	s.report(r)
}

// brandBundles are one brand's bundles.
type brandBundles struct {
	id      string
	bundles []*bundle.Bundle
}

// build builds the site and each of its brands, the site first.
func (s *Server) build() ([]brandBundles, int, error) {
	fsys, err := generator.OpenDir(s.dir)
	if err != nil {
		return nil, 0, err
	}
	site, err := generator.Load(fsys)
	if err != nil {
		return nil, 0, err
	}
	brands, _ := site.ChooseBrands(nil)
	var out []brandBundles
	for _, b := range brands {
		bundles, err := b.Site.Build(generator.Options{Themes: s.themes, Formats: Formats})
		if err != nil {
			return nil, 0, err
		}
		out = append(out, brandBundles{b.ID, bundles})
	}
	return out, len(site.Pages), nil
}

// current returns the state and a channel closed when it is replaced.
func (s *Server) current() (*state, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, s.changed
}
