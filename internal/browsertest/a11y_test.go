package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
)

// desktop is the wide width the accessibility checks run at, besides phone.
const desktop = 1280

// a11yJS defines the in-page checks; see its opening comment.
//
//go:embed testdata/a11y.js
var a11yJS string

// a11yProblem is one thing a check found: which check, the element as a
// CSS path, what is wrong, and a sample of the element's text.
type a11yProblem struct {
	Check string `json:"check"`
	El    string `json:"el"`
	Msg   string `json:"msg"`
	Text  string `json:"text"`
}

func (p a11yProblem) String() string {
	s := p.Check + ": "
	if p.El != "" {
		s += p.El
		if p.Text != "" {
			s += fmt.Sprintf(" %q", p.Text)
		}
		s += ": "
	}
	return s + p.Msg
}

// setMedia emulates the tab's colour scheme and reduced-motion preference.
func setMedia(ctx context.Context, scheme, motion string) error {
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{
			{Name: "prefers-color-scheme", Value: scheme},
			{Name: "prefers-reduced-motion", Value: motion},
		},
	})
	return err
}

// newA11yTab opens a tab that behaves as if it had the keyboard focus, so
// Tab presses move focus and :focus-visible applies even when another tab is
// in front.
func newA11yTab(t *testing.T) context.Context {
	t.Helper()
	ctx := newTab(t)
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// a11y loads url in the tab in the given colour scheme and runs the four
// checks: contrast and structure as loaded, focus after pressing Tab through
// every focusable element, and motion once prefers-reduced-motion: reduce
// applies. The viewport is the caller's.
func a11y(ctx context.Context, url, scheme string) ([]a11yProblem, error) {
	first, tabs, err := a11yLoad(ctx, url, scheme)
	if err != nil {
		return nil, err
	}
	if err := chromedp.Do(ctx, slices.Repeat([]chromedp.Action[chromedp.Void]{chromedp.KeyEvent("\t")}, tabs)...); err != nil {
		return nil, fmt.Errorf("press Tab: %w", err)
	}
	focus, err := chromedp.Run(ctx, chromedp.Evaluate[[]a11yProblem]("__a11y.focus()"))
	if err != nil {
		return nil, fmt.Errorf("focus: %w", err)
	}
	if err := setMedia(ctx, scheme, "reduce"); err != nil {
		return nil, err
	}
	motion, err := chromedp.Run(ctx, chromedp.Evaluate[[]a11yProblem]("__a11y.motion()"))
	if err != nil {
		return nil, fmt.Errorf("motion: %w", err)
	}
	return slices.Concat(first, focus, motion), nil
}

// a11yLoad loads url in the tab in the given colour scheme and runs the
// contrast and structure checks alone; tabs is how many Tab presses visit
// every focusable element.
func a11yLoad(ctx context.Context, url, scheme string) (ps []a11yProblem, tabs int, err error) {
	if err := setMedia(ctx, scheme, "no-preference"); err != nil {
		return nil, 0, err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return nil, 0, err
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Problems []a11yProblem `json:"problems"`
		Tabs     int           `json:"tabs"`
	}](a11yJS+"\n;__a11y.check()"))
	if err != nil {
		return nil, 0, fmt.Errorf("contrast and structure: %w", err)
	}
	return first.Problems, first.Tabs, nil
}

// findings gathers the problems of many loads, so one broken element shared
// by every page is reported once, with where it shows.
type findings struct {
	pages  []string                            // every page, in load order
	where  map[a11yProblem]map[string][]string // problem without text → variant → pages
	sample map[a11yProblem]string              // a text of the element
	order  []string                            // variants in load order
}

func (f *findings) add(variant, page string, ps []a11yProblem) {
	if !slices.Contains(f.order, variant) {
		f.order = append(f.order, variant)
	}
	if !slices.Contains(f.pages, page) {
		f.pages = append(f.pages, page)
	}
	for _, p := range ps {
		text := p.Text
		p.Text = ""
		if f.where[p] == nil {
			f.where[p] = map[string][]string{}
			f.sample[p] = text
		}
		if !slices.Contains(f.where[p][variant], page) {
			f.where[p][variant] = append(f.where[p][variant], page)
		}
	}
}

// report returns one line per problem, sorted, each followed by the variants
// and pages where it shows.
func (f *findings) report() []string {
	var out []string
	for p, byVariant := range f.where {
		var groups []string // variants sharing the same pages are listed together
		pagesOf := map[string][]string{}
		for _, v := range f.order {
			if pages, ok := byVariant[v]; ok {
				key := strings.Join(pages, ", ")
				if len(pages) == len(f.pages) {
					key = "every page"
				}
				if pagesOf[key] == nil {
					groups = append(groups, key)
				}
				pagesOf[key] = append(pagesOf[key], v)
			}
		}
		var where []string
		for _, g := range groups {
			where = append(where, strings.Join(pagesOf[g], "; ")+": "+g)
		}
		p.Text = f.sample[p]
		out = append(out, p.String()+"\n\tin "+strings.Join(where, "\n\tin "))
	}
	slices.Sort(out)
	return out
}

// TestThemesAccessible runs the accessibility checks on every page of every
// theme of the default site, in every language of the site (through the
// server's ?lang=), with a crashlog and request id filled in: text contrast
// (WCAG 2.2 AA), structure (lang, one h1, no skipped heading level,
// landmarks, named links and images), a visible focus indicator on
// everything Tab reaches, and no motion under prefers-reduced-motion:
// reduce. The default language gets all four in light and dark, at phone
// and desktop widths. The other languages get contrast and structure, what
// their words and direction can change, at phone width in dark (the page
// checks load them in light): focus, motion and the colours are the same
// CSS in every language.
func TestThemesAccessible(t *testing.T) {
	ctx := newA11yTab(t)
	bundles, err := generator.Build(os.DirFS(repoRoot), generator.Options{Formats: []string{bundle.HTML}})
	if err != nil {
		t.Fatalf("build the default site: %v", err)
	}
	srv, err := Serve(bundles)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	requireRightToLeft(t, bundles)
	for _, b := range bundles {
		theme := b.Manifest.Theme
		t.Run(theme, func(t *testing.T) {
			f := &findings{where: map[a11yProblem]map[string][]string{}, sample: map[a11yProblem]string{}}
			for i, lang := range languages(b) {
				widths, schemes, check := []int64{phone, desktop}, []string{"light", "dark"}, a11y
				if i > 0 {
					widths, schemes = []int64{phone}, []string{"dark"}
					check = func(ctx context.Context, url, scheme string) ([]a11yProblem, error) {
						ps, _, err := a11yLoad(ctx, url, scheme)
						return ps, err
					}
				}
				t.Run(lang, func(t *testing.T) {
					for _, width := range widths {
						for _, scheme := range schemes {
							emulate(t, ctx, width, 800, 1, width == phone, scheme)
							variant := fmt.Sprintf("%s %s %dpx", lang, scheme, width)
							for _, p := range pagesIn(b, lang) {
								url := pageURL(srv, theme, p, lang, "crashlog=1&request_id=")
								ps, err := check(ctx, url, scheme)
								if err != nil {
									t.Fatalf("%s (%s): %v", url, variant, err)
								}
								f.add(variant, p.ID, ps)
							}
						}
					}
				})
			}
			for _, msg := range f.report() {
				t.Errorf("%s", msg)
			}
		})
	}
}

// TestA11yChecksCatchProblems makes sure the accessibility checks pass a
// page that does everything right in ways they must read correctly, and
// fail a page that breaks each rule, so a passing run means something.
func TestA11yChecksCatchProblems(t *testing.T) {
	ctx := newA11yTab(t)
	files := http.FileServer(http.Dir("testdata"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", bundle.CSP) // as the themes are served
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()

	for _, width := range []int64{phone, desktop} {
		for _, scheme := range []string{"light", "dark"} {
			emulate(t, ctx, width, 800, 1, width == phone, scheme)
			ps, err := a11y(ctx, srv.URL+"/a11y-good.html", scheme)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				t.Errorf("a good page (%s %dpx): %s", scheme, width, p)
			}
		}
	}

	emulate(t, ctx, phone, 800, 1, true, "light")
	ps, err := a11y(ctx, srv.URL+"/a11y-bad.html", "light")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		// contrast, each computed the way it must be
		`contrast: body > div > p.low "Grey on white.": #999999 on #ffffff is 2.84:1, want ≥ 4.5:1`,
		`contrast: body > div > p.big "Large but too light": #aaaaaa on #ffffff is 2.32:1, want ≥ 3:1`,
		`#ffffff on #b3b3b3`, // 30% black over white, composited
		`contrast: body > div > div.inherit > span "Dark grey on an ancestor's dark grey.": #555555 on #333333`,
		`contrast: body > div > pre "a dim crash log": #444444 on #111111`,
		`::after " more": #cccccc on #ffffff`,
		// structure
		"structure: no lang on <html>",
		"structure: 2 h1, want exactly one",
		"structure: body > div > h3 \"Skipped a level\": h3 follows h1",
		"structure: 0 main landmarks",
		"structure: 0 footer landmarks",
		"a \"No href\": link without an href",
		"link without an accessible name",
		"svg neither role=\"img\" with a label nor aria-hidden",
		"img without alt",
		// focus
		"a.bare \"No focus style\": no visible focus indicator",
		"a.faint \"Faint focus\": focus outline #eeeeee on #ffffff",
		"a \"Not tabbable\": link not reached with Tab",
		// motion
		"span.spin \"*\": animation spin (1s) runs under prefers-reduced-motion: reduce",
		"span.dot: ::after animation blink",
		"span.fade \"fading\": transition of opacity (0.3s)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("a bad page was not caught for %q", want)
		}
	}
	if t.Failed() {
		t.Logf("the bad page's problems:\n%s", all)
	}
}
