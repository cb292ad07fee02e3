// Command screenshots renders each theme's platform-error and
// app-failed-to-boot pages of a site in headless Chromium, in light and dark,
// at desktop and phone sizes, into PNG files named
// THEME-PAGE-SCHEME-SIZE.png. `make screenshots` runs it on the default site.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/internal/browsertest"
	"github.com/ouchie/ouchie/internal/preview"
)

// shots are the pages shown, with the query that fills their slots. A page
// opens at its top; one shot scrolls the crash log, which every theme shows
// below the fold, into view.
var shots = []struct {
	name, id, query string
	log             bool   // scroll the crash log into view
	only            string // take this shot in this scheme and size only
}{
	{"503-platform-error", "503-platform-error", "?request_id=", false, ""},
	{"502-app-failed-to-boot", "502-app-failed-to-boot", "?crashlog=1&request_id=", false, ""},
	{"502-app-failed-to-boot-crashlog", "502-app-failed-to-boot", "?crashlog=1&request_id=", true, "dark-desktop"},
}

// scrollToLog centres the element holding the sample crash log's last line.
const scrollToLog = `(() => {
  const last = %q;
  const el = [...document.querySelectorAll("body *")].reverse().find(e => e.textContent.includes(last));
  if (!el) return false;
  el.scrollIntoView({block: "center"});
  return true;
})()`

// sizes are viewports in CSS pixels; phones are captured at 1.5 times the
// density: sharper than 1, and a third of the bytes of 2.
var sizes = []struct {
	name          string
	width, height int64
	scale         float64
	mobile        bool
}{
	{"desktop", 1280, 800, 1, false},
	{"phone", 390, 844, 1.5, true},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "screenshots: error: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	src := flag.String("src", ".", "site folder")
	out := flag.String("out", "docs/screenshots", "folder to write the PNG files into")
	chromium := flag.String("chromium", browsertest.Path(), "Chromium to run (default: $OUCHIE_CHROMIUM, else chromium on $PATH)")
	full := flag.Bool("full", false, "capture whole pages, not just the viewport (to check a theme; too big to commit)")
	flag.Parse()
	if *chromium == "" {
		return fmt.Errorf("no Chromium: install Debian's chromium (apt-get install chromium) or pass -chromium")
	}
	start := time.Now()
	bundles, err := generator.Build(os.DirFS(*src), generator.Options{Formats: []string{bundle.HTML}})
	if err != nil {
		return err
	}
	srv, err := browsertest.Serve(bundles)
	if err != nil {
		return err
	}
	defer srv.Close()
	profile, err := os.MkdirTemp("", "ouchie-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	ctx, stop, err := browsertest.Start(*chromium, profile)
	if err != nil {
		return err
	}
	defer stop()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	n, total := 0, 0
	for _, b := range bundles {
		theme := b.Manifest.Theme
		for _, shot := range shots {
			if _, ok := b.Page(shot.id); !ok {
				return fmt.Errorf("theme %s has no page %s", theme, shot.id)
			}
			for _, scheme := range []string{"light", "dark"} {
				for _, size := range sizes {
					if shot.only != "" && shot.only != scheme+"-"+size.name {
						continue
					}
					if err := browsertest.Emulate(ctx, size.width, size.height, size.scale, size.mobile, scheme); err != nil {
						return err
					}
					if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"+theme+"/"+shot.id+".html"+shot.query)); err != nil {
						return err
					}
					if shot.log {
						last := preview.SampleCrashlog[strings.LastIndexByte(preview.SampleCrashlog, '\n')+1:]
						found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(scrollToLog, last)))
						if err != nil {
							return err
						}
						if !found {
							return fmt.Errorf("theme %s, page %s: the sample crash log is not on the page", theme, shot.id)
						}
					}
					png, err := capture(ctx, *full)
					if err != nil {
						return err
					}
					name := filepath.Join(*out, fmt.Sprintf("%s-%s-%s-%s.png", theme, shot.name, scheme, size.name))
					if err := os.WriteFile(name, png, 0o644); err != nil {
						return err
					}
					n++
					total += len(png)
				}
			}
		}
	}
	fmt.Printf("wrote %d screenshots (%.1f MiB) to %s in %s\n", n, float64(total)/(1<<20), *out, time.Since(start).Round(time.Millisecond))
	return nil
}

// capture takes a PNG of the viewport (or the whole page), once the page's fonts are ready.
func capture(ctx context.Context, full bool) ([]byte, error) {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		return nil, err
	}
	if full {
		return chromedp.Run(ctx, chromedp.FullScreenshot(100))
	}
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}
