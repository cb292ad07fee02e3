// Package browsertest runs ouchie's pages in a real Chromium, driven from Go
// over the DevTools protocol with chromedp. Its tests check every page of
// every theme of the default site, their accessibility included (contrast,
// structure, focus, reduced motion), and the preview's live reload; `make
// screenshots` uses it too.
//
// Chromium is found as $OUCHIE_CHROMIUM, else chromium, chromium-browser or
// google-chrome on $PATH. Where there is none, tests skip, except under
// CI=true, where they fail: CI installs Debian's chromium.
package browsertest

import (
	"cmp"
	"context"
	"fmt"
	"github.com/ouchie/ouchie/generator"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/internal/preview"
	"github.com/ouchie/ouchie/server"
	"github.com/ouchie/ouchie/server/crashlog"
)

// Path returns the Chromium to use, or "" when there is none.
func Path() string {
	if p := os.Getenv("OUCHIE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Require returns Chromium's path. Without Chromium it skips the test, or
// fails it when CI=true, since CI must run every test.
func Require(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped in -short mode")
	}
	p := Path()
	if p == "" {
		msg := "no Chromium: install Debian's chromium (apt-get install chromium) or set OUCHIE_CHROMIUM"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// Start launches a headless Chromium with a fresh profile in userDataDir and
// returns a context for its first tab; cancel stops the browser. Further
// tabs are chromedp.NewContext(ctx).
func Start(path, userDataDir string) (context.Context, context.CancelFunc, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(userDataDir),
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-background-networking", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run its sandbox as root
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	cancel := func() { cancelCtx(); cancelAlloc() }
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("start %s: %w", path, err)
	}
	return ctx, cancel, nil
}

// Emulate sets a tab's viewport, in CSS pixels at the given device scale, and
// its colour scheme ("light" or "dark"). Mobile means as a phone: the page's
// viewport meta is honoured and scrollbars overlay the page.
func Emulate(ctx context.Context, width, height int64, scale float64, mobile bool, scheme string) error {
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: width, Height: height, DeviceScaleFactor: scale, Mobile: mobile,
	}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	return err
}

// Serve serves built bundles on loopback through the real server: each
// theme's bundle by its own server.Server, under /THEME/. The query stands
// in for the headers a router would send, which a browser tab cannot:
// ?crashlog=1 shows the crashlog preview.SampleCrashlog and ?crashlog=long
// LongCrashlog (each the log of an app the test source holds); ?request_id=X
// sends X as the request id (preview.SampleRequestID when X is empty).
func Serve(bundles []*bundle.Bundle) (*httptest.Server, error) {
	logs := testLogs{"sample": []byte(preview.SampleCrashlog), "long": []byte(LongCrashlog())}
	mux := http.NewServeMux()
	for _, b := range bundles {
		srv, err := server.New(server.Config{Load: func() (*bundle.Bundle, error) { return b, nil }, Crashlogs: logs})
		if err != nil {
			return nil, fmt.Errorf("theme %s: %w", b.Manifest.Theme, err)
		}
		prefix := "/" + b.Manifest.Theme
		mux.Handle(prefix+"/", http.StripPrefix(prefix, routerHeaders(srv)))
	}
	return httptest.NewServer(mux), nil
}

// routerHeaders turns the query's stand-ins into the router's headers.
func routerHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch q.Get("crashlog") {
		case "1":
			r.Header.Set("X-App", "sample")
		case "long":
			r.Header.Set("X-App", "long")
		}
		if q.Has("request_id") {
			r.Header.Set("X-Request-Id", cmp.Or(q.Get("request_id"), preview.SampleRequestID))
		}
		next.ServeHTTP(w, r)
	})
}

// testLogs is a crashlog source holding fixed logs by app.
type testLogs map[string][]byte

// Lookup returns the query's app's log.
func (l testLogs) Lookup(q crashlog.Query) ([]byte, bool) {
	log, ok := l[q.App]
	return log, ok
}

// LongCrashlog is a worst case for a theme: 200 lines, every tenth a single
// unbroken word of 1,500 characters, about 50 KiB in all.
func LongCrashlog() string {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "2026-03-14T09:27:%02d.%03dZ app[web.1]: ", i%60, i)
		if i%10 == 9 {
			b.WriteString("payload=" + strings.Repeat("0123456789abcdef", 93) + "\n")
		} else {
			fmt.Fprintf(&b, "worker %d: retrying connection to db.internal:5432 (attempt %d of 200)\n", i%4, i+1)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// CopySite writes the site at root into a new temporary folder, as
// `ouchie init` would, and returns the folder.
func CopySite(t testing.TB, root string) string {
	t.Helper()
	dst := t.TempDir()
	if _, err := generator.CopySite(os.DirFS(root), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}
