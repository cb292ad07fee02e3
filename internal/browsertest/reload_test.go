package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ouchie/ouchie/internal/preview"
)

// previewJS reads the h1 and the overlay of a previewed page.
const previewJS = `(() => {
  const h1 = document.querySelector("h1");
  const o = document.querySelector("ouchie-preview-overlay");
  return {
    h1: h1 ? h1.textContent.replace(/\s+/g, " ").trim() : "",
    overlay: o && o.shadowRoot ? o.shadowRoot.textContent : "",
    hasOverlay: !!o,
  };
})()`

type previewState struct {
	H1         string `json:"h1"`
	Overlay    string `json:"overlay"`
	HasOverlay bool   `json:"hasOverlay"`
}

// waitFor polls the tab until ok holds, for at most 10 s. A reload in
// progress makes an evaluation fail now and then; that is retried.
func waitFor(t *testing.T, ctx context.Context, what string, ok func(previewState) bool) previewState {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var st previewState
	for time.Now().Before(deadline) {
		ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
		got, err := chromedp.Run(ectx, chromedp.Evaluate[previewState](previewJS))
		cancel()
		if err == nil {
			st = got
			if ok(st) {
				return st
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("waited 10s for %s; the page shows %+v", what, st)
	return st
}

var titleLine = regexp.MustCompile(`(?m)^title: .*$`)

// TestPreviewLiveReload runs `ouchie preview` on a copy of the default site
// with a page open in Chromium: an edit reloads the tab, a broken page shows
// the overlay over the last good page, and fixing it clears the overlay.
func TestPreviewLiveReload(t *testing.T) {
	ctx := newTab(t)
	dir := CopySite(t, repoRoot)
	s := preview.New(dir, preview.WithAddr("127.0.0.1:0"))
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	file := filepath.Join(dir, "content", "404.md")
	original, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	write := func(data string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL()+"classic/404.html")); err != nil {
		t.Fatal(err)
	}
	first := waitFor(t, ctx, "the page", func(st previewState) bool { return st.H1 != "" })
	// Let the page's event stream connect, so the edit below is heard live.
	time.Sleep(200 * time.Millisecond)

	// Edit the title a few times; each save must reach the open tab.
	var took []time.Duration
	for i, title := range []string{"Nothing lives here", "Still nothing here", "Nobody home", "Gone fishing", "Not at this address"} {
		start := time.Now()
		write(titleLine.ReplaceAllString(string(original), "title: "+title))
		waitFor(t, ctx, "the new title "+title, func(st previewState) bool { return st.H1 == title })
		took = append(took, time.Since(start))
		if i == 0 && first.H1 == title {
			t.Fatal("the title did not change")
		}
		time.Sleep(100 * time.Millisecond) // the reloaded page reconnects
	}
	slices.Sort(took)
	t.Logf("save → new title in the tab (debounce, rebuild, event, reload): median %s, max %s",
		took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))

	// Break the page: an unknown field on line 2.
	broken := strings.Replace(string(original), "---\n", "---\ncolour: red\n", 1)
	write(broken)
	st := waitFor(t, ctx, "the overlay", func(st previewState) bool { return st.HasOverlay })
	if !strings.Contains(st.Overlay, "content/404.md:2:1") || !strings.Contains(st.Overlay, "colour") {
		t.Errorf("the overlay does not show file:line and the message: %q", st.Overlay)
	}
	if st.H1 != "Not at this address" {
		t.Errorf("under the overlay the page shows %q, want the last good page", st.H1)
	}
	// A reload (or a new tab) during the error still shows the overlay.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the overlay after a reload", func(st previewState) bool {
		return st.HasOverlay && st.H1 == "Not at this address"
	})
	time.Sleep(100 * time.Millisecond)

	// Fix it: the overlay clears and the fixed page shows.
	write(string(original))
	waitFor(t, ctx, "the overlay to clear", func(st previewState) bool { return !st.HasOverlay && st.H1 == first.H1 })
}

// galleryJS reads the gallery's thumbnails: how many there are, and the h1
// of each framed page that has loaded (same origin, so readable).
const galleryJS = `(() => {
  const frames = [...document.querySelectorAll(".shot iframe")];
  const h1s = frames.map(f => {
    const d = f.contentDocument;
    const h = d && d.querySelector("h1");
    return h ? h.textContent.trim() : "";
  });
  return {frames: frames.length, loaded: h1s.filter(Boolean).length, first: h1s[0] || "",
    scaled: frames.length ? frames[0].getBoundingClientRect().width : 0,
    box: frames.length ? frames[0].parentElement.clientWidth : 0};
})()`

// TestPreviewGalleryThumbnails opens the preview's gallery in Chromium: the
// thumbnails in view show their pages (the gallery's policy lets it frame
// them, and their headers let them be framed), scaled to their box, and
// nothing on the gallery fails.
func TestPreviewGalleryThumbnails(t *testing.T) {
	ctx := newTab(t)
	rec := record(t, ctx)
	s := preview.New(CopySite(t, repoRoot), preview.WithAddr("127.0.0.1:0"), preview.WithThemes("classic"))
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	emulate(t, ctx, 1280, 800, 1, false, "light")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL())); err != nil {
		t.Fatal(err)
	}
	type state struct {
		Frames, Loaded int
		First          string
		Scaled, Box    float64
	}
	deadline := time.Now().Add(10 * time.Second)
	var st state
	for time.Now().Before(deadline) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[state](galleryJS))
		if err == nil {
			st = got
			if st.Loaded >= 4 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.Frames < 20 || st.Loaded < 4 || st.First == "" {
		t.Fatalf("gallery: %d thumbnails, %d showing their page (first %q)", st.Frames, st.Loaded, st.First)
	}
	if st.Scaled < st.Box-1 || st.Scaled > st.Box+1 {
		t.Errorf("a thumbnail is %.0f px wide in a %.0f px box: not scaled to fit", st.Scaled, st.Box)
	}
	if _, errs := rec.take(); len(errs) > 0 {
		t.Errorf("the gallery logged errors: %q", errs)
	}
}
