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
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/internal/preview"
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

// ServerCSP is the Content-Security-Policy the server sends with every page.
const ServerCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

// Serve serves built bundles on loopback the way the server does: each
// theme's files under /THEME/, with the page's status and the server's CSP,
// so whatever the server's policy blocks fails here too. ?crashlog=1 fills the
// crashlog slot with preview.SampleCrashlog and ?crashlog=long with
// LongCrashlog; ?request_id=X fills the request id.
func Serve(bundles []*bundle.Bundle) *httptest.Server {
	byTheme := map[string]*bundle.Bundle{}
	for _, b := range bundles {
		byTheme[b.Manifest.Theme] = b
	}
	long := LongCrashlog()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		theme, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		b, ok := byTheme[theme]
		if !ok {
			http.NotFound(w, r)
			return
		}
		format := strings.TrimPrefix(filepath.Ext(name), ".")
		page, ok := b.Page(strings.TrimSuffix(name, filepath.Ext(name)))
		if !ok {
			http.NotFound(w, r)
			return
		}
		f, ok := page.Files[format]
		if !ok {
			http.NotFound(w, r)
			return
		}
		values := map[string]string{}
		switch r.URL.Query().Get("crashlog") {
		case "1":
			values[bundle.SlotCrashlog] = preview.SampleCrashlog
		case "long":
			values[bundle.SlotCrashlog] = long
		}
		if r.URL.Query().Has("request_id") {
			values[bundle.SlotRequestID] = cmp.Or(r.URL.Query().Get("request_id"), preview.SampleRequestID)
		}
		data := preview.Fill(b.Files[f.Name], f, format, values)
		w.Header().Set("Content-Security-Policy", ServerCSP)
		w.Header().Set("Content-Type", bundle.ContentType(format))
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(page.Status)
		_, _ = w.Write(data)
	}))
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
