package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server"
	"github.com/ouchie/ouchie/server/crashlog"
	"github.com/ouchie/ouchie/server/crashlog/redisstore"
)

// ServeCmd serves error pages to routers.
type ServeCmd struct {
	Listen          string        `help:"Address to serve pages on. Default: ${default}." default:"127.0.0.1:8080" env:"OUCHIE_LISTEN" placeholder:"ADDR"`
	Dist            string        `help:"Serve a built bundle: a bundle folder (holding manifest.json) or the output folder of ouchie build (its --dist), where --theme picks the bundle." env:"OUCHIE_DIST" placeholder:"DIR" xor:"site"`
	Src             string        `help:"Build the site in DIR in memory, with its brands, and serve it. Default: with no --dist, ./ when it holds content/, else the default site built into ouchie." env:"OUCHIE_SRC" placeholder:"DIR" xor:"site"`
	Theme           string        `help:"Theme to serve (one name, as OUCHIE_THEME is in every command). Default: the site's default theme." env:"OUCHIE_THEME" placeholder:"NAME"`
	DefaultStatus   int           `help:"Status answered when a request names no page (400-599). Default: the site's (404)." env:"OUCHIE_DEFAULT_STATUS" placeholder:"CODE"`
	Always200       bool          `name:"always-200" help:"Answer 200 whatever the page's status, for routers that need it." env:"OUCHIE_ALWAYS_200"`
	AccessLog       bool          `help:"Log each request on stdout, in batches written every 250 ms; --no-access-log turns it off. Default: ${default}." default:"true" negatable:"" env:"OUCHIE_ACCESS_LOG"`
	LogFormat       string        `help:"Access log format on stdout: combined or json. Default: ${default}." enum:"combined,json" default:"combined" env:"OUCHIE_LOG_FORMAT" placeholder:"FORMAT"`
	TrustedProxies  string        `help:"Proxies whose X-Forwarded-For is believed for the access log's client address: CIDR prefixes and addresses, comma-separated, or loopback, or private (loopback and the private ranges). Default: none (the peer is the client)." env:"OUCHIE_TRUSTED_PROXIES" placeholder:"CIDR,..."`
	TrustProxy      bool          `help:"Deprecated: --trusted-proxies private." env:"OUCHIE_TRUST_PROXY" hidden:""`
	Watch           bool          `help:"Reload when the --dist or --src folder changes." env:"OUCHIE_WATCH"`
	ShutdownDelay   time.Duration `help:"On SIGTERM or SIGINT, how long to keep serving pages (with Connection: close) while /healthz answers 503, so routers stop sending before ouchie stops listening; a second signal ends it early. Default: ${default}." default:"5s" env:"OUCHIE_SHUTDOWN_DELAY" placeholder:"DURATION"`
	ShutdownTimeout time.Duration `help:"After the delay, how long in-flight requests may take to finish. Default: ${default}." default:"10s" env:"OUCHIE_SHUTDOWN_TIMEOUT" placeholder:"DURATION"`
	HTTPServer      string        `name:"http-server" help:"HTTP server of the page listener: fast (ouchie's own HTTP/1.1 server, see docs/server.md) or std (Go's net/http). The admin API always uses std. Default: ${default}." enum:"fast,std" default:"fast" env:"OUCHIE_HTTP_SERVER" placeholder:"NAME"`

	AdminListen       string `help:"Address of the crashlog admin API (PUT/GET/DELETE /v1/crashlogs/APP). Default: off." env:"OUCHIE_ADMIN_LISTEN" placeholder:"ADDR"`
	AdminTokenFile    string `help:"File holding the admin API's bearer token (required with --admin-listen)." env:"OUCHIE_ADMIN_TOKEN_FILE" placeholder:"FILE"`
	CrashlogDir       string `help:"Folder where a supervisor writes APP.log crashlogs." env:"OUCHIE_CRASHLOG_DIR" placeholder:"DIR"`
	AppHeader         string `help:"Request header naming the app whose crashlog a page shows. Default: ${default}." default:"X-App" env:"OUCHIE_APP_HEADER" placeholder:"NAME"`
	LangHeader        string `help:"Request header a router may set to choose the page's language, over Accept-Language (?lang= wins over both). Default: ${default}." default:"X-Lang" env:"OUCHIE_LANG_HEADER" placeholder:"NAME"`
	CrashlogTokenFile string `help:"File holding a token a request must carry (X-Crashlog-Token header or ouchie_crashlog cookie) to see a crashlog." env:"OUCHIE_CRASHLOG_TOKEN_FILE" placeholder:"FILE"`

	BrandCache int `help:"Memory for the pages of brands (--dist with brands.json), in MiB: each brand's pages are read on its first request and the least recently used dropped past this. Default: ${default}." default:"64" env:"OUCHIE_BRAND_CACHE" placeholder:"MIB"`

	CrashlogStore             string        `help:"Keep pushed crashlogs in Redis, shared by every replica and kept across restarts: redis://[USER:PASSWORD@]HOST:PORT/DB, or rediss://... for TLS. Default: in this process's memory, lost on restart." env:"OUCHIE_CRASHLOG_STORE" placeholder:"URL"`
	CrashlogStorePasswordFile string        `help:"File holding the password of --crashlog-store, in place of the URL's." env:"OUCHIE_CRASHLOG_STORE_PASSWORD_FILE" placeholder:"FILE"`
	CrashlogTTL               time.Duration `help:"How long --crashlog-store keeps a pushed crashlog. Default: ${default}." default:"24h" env:"OUCHIE_CRASHLOG_TTL" placeholder:"DURATION"`
	CrashlogStoreTimeout      time.Duration `help:"How long a page may wait for --crashlog-store when the log is not in memory; past it the page goes out without the log and lookups skip the store for 2 s. Default: ${default}." default:"50ms" env:"OUCHIE_CRASHLOG_STORE_TIMEOUT" placeholder:"DURATION"`

	CrashlogSource string `help:"Where else crashlogs come from: kubernetes (the previous run's log of a crashing container of the Service ingress-nginx names in X-Namespace and X-Service-Name; only in a binary built with -tags kubernetes), or none. Default: ${default}." enum:"none,kubernetes" default:"none" env:"OUCHIE_CRASHLOG_SOURCE" placeholder:"SOURCE"`
	Kubeconfig     string `help:"With --crashlog-source kubernetes: kubeconfig file of the cluster. Default: the pod's service account." env:"OUCHIE_KUBECONFIG,KUBECONFIG" placeholder:"FILE"`
	Namespace      string `help:"With --crashlog-source kubernetes: watch only this namespace. Default: all." env:"OUCHIE_NAMESPACE" placeholder:"NS"`
}

// accessLogDelay is how long an access log line may wait to be written
// with the lines after it: a write to stdout per request costs more than
// the request on a busy server.
const accessLogDelay = 250 * time.Millisecond

// Run serves until SIGTERM or SIGINT; SIGHUP reloads.
func (c *ServeCmd) Run(env *Env) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	return c.serve(env, sigs, nil)
}

// serve runs the server until a terminating signal arrives on sigs. ready,
// when set, is called once the server listens.
func (c *ServeCmd) serve(env *Env, sigs <-chan os.Signal, ready func(*server.Server)) error {
	load, brands, origin, watch, err := c.loader(env)
	if err != nil {
		return err
	}
	if c.BrandCache < 0 {
		return withHint(fmt.Errorf("--brand-cache %d: want a size in MiB", c.BrandCache), "the default is 64")
	}
	cfg := server.Config{
		Load:            load,
		Brands:          brands,
		BrandCacheBytes: int64(c.BrandCache) << 20,
		Origin:          origin,
		Addr:            c.Listen,
		DefaultStatus:   c.DefaultStatus,
		Always200:       c.Always200,
		LogFormat:       c.LogFormat,
		Log:             env.Log,
		AppHeader:       c.AppHeader,
		LangHeader:      c.LangHeader,
		HTTPServer:      c.HTTPServer,
	}
	if c.AccessLog {
		cfg.AccessLog, cfg.AccessLogDelay = env.Stdout, accessLogDelay
	}
	proxies := c.TrustedProxies
	if c.TrustProxy {
		fmt.Fprintln(env.Stderr, "ouchie: warning: --trust-proxy (OUCHIE_TRUST_PROXY) is deprecated and goes in the next release; it now means --trusted-proxies private")
		if proxies == "" {
			proxies = "private"
		}
	}
	if cfg.TrustedProxies, err = server.ParseTrustedProxies(proxies); err != nil {
		return withHint(err, "--trusted-proxies takes CIDR prefixes and addresses, comma-separated, or loopback, or private")
	}
	if c.Watch {
		if len(watch) == 0 {
			return withHint(errors.New("--watch needs a folder to watch"), "use it with --dist or --src")
		}
		cfg.Watch = watch
	}
	release, err := c.crashlogs(&cfg, env)
	defer release()
	if err != nil {
		return err
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	if err := srv.Open(); err != nil {
		return listenError(err, "--listen (or --admin-listen)")
	}
	if ready != nil {
		ready(srv)
	}
	var serveErr error
loop:
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				_ = srv.Reload() // logged; the old bundle keeps serving
				continue
			}
			env.Log.Info("shutting down", "signal", sig.String(), "delay", c.ShutdownDelay, "timeout", c.ShutdownTimeout)
			serveErr = drain(srv, sigs, c.ShutdownDelay)
			break loop
		case serveErr = <-srv.Err():
			break loop
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		return errors.Join(serveErr, fmt.Errorf("requests still running after %s were cut off: %w", c.ShutdownTimeout, err))
	}
	return serveErr
}

// drain has srv drain (see server.Server.Drain) for delay, or until a
// second SIGTERM or SIGINT, or until a listener fails, whose error it
// returns.
func drain(srv *server.Server, sigs <-chan os.Signal, delay time.Duration) error {
	srv.Drain()
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			return nil
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				return nil
			}
		case err := <-srv.Err():
			return err
		}
	}
}

// loader returns how to load the bundle to serve and its brands (those
// of a --dist, see brands; those of a site, built with it, see srcSite), a
// description of it for logs, and the folders whose changes should reload
// them.
func (c *ServeCmd) loader(env *Env) (func() (*bundle.Bundle, error), func() ([]server.Brand, error), string, []string, error) {
	if c.Dist != "" {
		dir, err := c.bundleDir()
		if err != nil {
			return nil, nil, "", nil, err
		}
		if _, err := bundle.Open(dir); err != nil {
			return nil, nil, "", nil, withHint(err, "build one with: ouchie build --dist "+c.Dist)
		}
		brands, brandsWatch, err := c.brands(dir)
		if err != nil {
			return nil, nil, "", nil, err
		}
		watch := []string{dir}
		if brandsWatch != "" {
			watch = []string{brandsWatch}
		}
		return func() (*bundle.Bundle, error) { return bundle.Open(dir) }, brands, "bundle " + dir, watch, nil
	}
	// The same choice as every other command: --src, else ./ when it holds
	// content/, else the embedded default site.
	fsys, origin, err := SiteFlag{Src: c.Src}.open(env)
	if err != nil {
		return nil, nil, "", nil, err
	}
	var watch []string
	if origin != embeddedOrigin {
		watch = []string{cmp.Or(c.Src, ".")}
	}
	src := &srcSite{fsys: fsys, theme: c.Theme}
	return src.bundle, src.brands, origin, watch, nil
}

// brands returns the loader of the brands beside dir, the default bundle,
// when --dist names a build's output folder holding brands.json, and that
// folder (to watch: the brands' bundles are in it). Each brand's bundle is
// its folder for --theme, else for its own theme, else for the default
// bundle's. A site without brands gives a nil loader.
func (c *ServeCmd) brands(dir string) (func() ([]server.Brand, error), string, error) {
	dist := filepath.Clean(c.Dist)
	if dir == dist {
		return nil, "", nil // a bundle folder: no brands beside it
	}
	load := func() ([]server.Brand, error) {
		list, err := bundle.ReadBrands(os.DirFS(dist))
		if err != nil {
			return nil, fmt.Errorf("%s%c%w", dist, filepath.Separator, err)
		}
		if list == nil {
			return nil, nil
		}
		var out []server.Brand
		for _, b := range list.Brands {
			theme := cmp.Or(c.Theme, b.Theme, filepath.Base(dir))
			out = append(out, server.Brand{Brand: b, Bundle: os.DirFS(filepath.Join(dist, b.ID, theme))})
		}
		return out, nil
	}
	list, err := load()
	if err != nil {
		return nil, "", withHint(err, "rebuild with: ouchie build --dist "+c.Dist)
	}
	if list == nil {
		return load, "", nil // brands.json may appear on a reload
	}
	return load, dist, nil
}

// bundleDir finds the bundle folder --dist names: the folder itself when it
// holds a manifest, else its subfolder for --theme or the site's default
// theme.
func (c *ServeCmd) bundleDir() (string, error) {
	dist := filepath.Clean(c.Dist)
	if st, err := os.Stat(dist); err != nil || !st.IsDir() {
		return "", withHint(fmt.Errorf("dist %s: not a folder", dist), "--dist names a bundle folder or the output folder of ouchie build")
	}
	if _, err := os.Stat(filepath.Join(dist, bundle.ManifestName)); err == nil {
		return dist, nil
	}
	themes := distThemes(dist)
	if len(themes) == 0 {
		return "", withHint(fmt.Errorf("dist %s holds no bundle (no %s in it or its subfolders)", dist, bundle.ManifestName),
			"build one with: ouchie build --dist "+dist)
	}
	theme := c.Theme
	if theme == "" {
		theme = generator.DefaultTheme
		if b, err := bundle.Open(filepath.Join(dist, themes[0])); err == nil && b.Manifest.Site.DefaultTheme != "" {
			theme = b.Manifest.Site.DefaultTheme
		}
		if len(themes) == 1 {
			theme = themes[0]
		}
	}
	for _, t := range themes {
		if t == theme {
			return filepath.Join(dist, t), nil
		}
	}
	return "", withHint(fmt.Errorf("dist %s has no bundle for theme %q", dist, theme), "its themes are: "+strings.Join(themes, ", ")+"; choose one with --theme")
}

// distThemes lists the subfolders of dist holding a manifest, sorted.
func distThemes(dist string) []string {
	entries, err := os.ReadDir(dist)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if _, err := fs.Stat(os.DirFS(filepath.Join(dist, e.Name())), bundle.ManifestName); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	sort.Strings(out)
	return out
}

// crashlogs wires the crashlog sources (the admin API's store, in memory
// or Redis, a directory, Kubernetes), the admin listener and the viewing
// token. The returned function releases what it opened.
func (c *ServeCmd) crashlogs(cfg *server.Config, env *Env) (func(), error) {
	var sources []crashlog.Source
	var dir *crashlog.Dir
	var shared *redisstore.Store
	stopKube := func() {}
	release := func() {
		if dir != nil {
			_ = dir.Close()
		}
		if shared != nil {
			shared.Close()
		}
		stopKube()
	}
	var keeper crashlog.Keeper
	if c.CrashlogStore != "" {
		s, err := c.openStore(env)
		if err != nil {
			return release, err
		}
		shared, keeper = s, s
		sources = append(sources, s)
	} else if c.CrashlogStorePasswordFile != "" {
		return release, withHint(errors.New("--crashlog-store-password-file without --crashlog-store"), "name the Redis with --crashlog-store redis://HOST:PORT/DB")
	}
	switch {
	case c.AdminListen != "" && c.AdminTokenFile == "":
		return release, withHint(errors.New("--admin-listen needs --admin-token-file"),
			"write a random token of 16 or more characters to a file, e.g. head -c 32 /dev/urandom | base64 > admin.token")
	case c.AdminListen == "" && c.AdminTokenFile != "":
		return release, withHint(errors.New("--admin-token-file without --admin-listen"), "give the admin API an address with --admin-listen")
	case c.AdminListen != "":
		token, err := crashlog.LoadToken(c.AdminTokenFile, env.Log)
		if err != nil {
			return release, withHint(err, "--admin-token-file names a file holding one token of 16 or more characters")
		}
		if keeper == nil {
			store := crashlog.NewStore(0, 0)
			sources = append(sources, store)
			keeper = store
		}
		cfg.AdminAddr = c.AdminListen
		cfg.Admin = crashlog.AdminHandler(keeper, token, env.Log)
	}
	if c.CrashlogDir != "" {
		d, err := crashlog.OpenDir(c.CrashlogDir)
		if err != nil {
			return release, withHint(err, "--crashlog-dir names a folder where a supervisor writes APP.log")
		}
		dir = d
		sources = append(sources, d)
	}
	if c.CrashlogSource == "kubernetes" {
		src, stop, err := c.kubernetes(env)
		if err != nil {
			return release, err
		}
		stopKube = stop
		sources = append(sources, src)
		cfg.CrashlogByService = true
	} else if c.Kubeconfig != "" && os.Getenv("KUBECONFIG") != c.Kubeconfig || c.Namespace != "" {
		return release, withHint(errors.New("--kubeconfig and --namespace configure the kubernetes crashlog source, which is off"),
			"add --crashlog-source kubernetes")
	}
	if c.CrashlogTokenFile != "" {
		if len(sources) == 0 {
			return release, withHint(errors.New("--crashlog-token-file guards crashlogs, but none are configured"),
				"add --admin-listen, --crashlog-store, --crashlog-dir or --crashlog-source, or drop --crashlog-token-file")
		}
		token, err := crashlog.LoadToken(c.CrashlogTokenFile, env.Log)
		if err != nil {
			return release, withHint(err, "--crashlog-token-file names a file holding one token of 16 or more characters")
		}
		cfg.CrashlogToken = token
	}
	if len(sources) > 0 {
		cfg.Crashlogs = crashlog.Multi(sources...)
	}
	return release, nil
}

// openStore connects to the Redis of --crashlog-store. A Redis that cannot
// be reached yet is only a warning: pages are served without its logs until
// it can, and the store connects by itself.
func (c *ServeCmd) openStore(env *Env) (*redisstore.Store, error) {
	opts := redisstore.Options{URL: c.CrashlogStore, TTL: c.CrashlogTTL, Timeout: c.CrashlogStoreTimeout, Log: env.Log}
	if c.CrashlogStorePasswordFile != "" {
		pw, err := readPassword(c.CrashlogStorePasswordFile)
		if err != nil {
			return nil, withHint(err, "--crashlog-store-password-file names a file holding the Redis password")
		}
		opts.Password = pw
	}
	s, err := redisstore.Open(opts)
	switch {
	case errors.Is(err, redisstore.ErrUnreachable):
		env.Log.Warn("crashlog store unreachable; serving without its crashlogs until it answers", "err", err)
	case err != nil:
		return nil, withHint(fmt.Errorf("crashlog store: %w", err),
			"check --crashlog-store (redis://[USER:PASSWORD@]HOST:PORT/DB) and --crashlog-store-password-file")
	default:
		env.Log.Info("crashlogs kept in Redis", "store", s.String(), "ttl", c.CrashlogTTL)
	}
	return s, nil
}

// readPassword reads a password file: its content without the line end, at
// most 4 KiB.
func readPassword(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4<<10+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("password file %s: %w", file, err)
	case len(b) > 4<<10:
		return "", fmt.Errorf("password file %s: larger than 4 KiB, not a password", file)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("password file %s: empty", file)
	}
	return pw, nil
}
