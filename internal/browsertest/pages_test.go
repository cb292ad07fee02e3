package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
)

// phone is the narrowest width the themes are checked at, in CSS pixels.
const phone = 360

// checkJS reads what the tests assert about a loaded page.
const checkJS = `(() => {
  const d = document.documentElement;
  return {
    h1: [...document.querySelectorAll("h1")].map(e => e.textContent.replace(/\s+/g, " ").trim()),
    scrollWidth: d.scrollWidth,
    clientWidth: d.clientWidth,
    innerWidth: window.innerWidth,
    viewport: !!document.querySelector('meta[name="viewport"]'),
    lang: d.getAttribute("lang") || "",
    dir: d.getAttribute("dir") || "",
    dark: matchMedia("(prefers-color-scheme: dark)").matches,
    text: document.body ? document.body.innerText : "",
    icons: [...document.querySelectorAll('link[rel~="icon"]')].map(e => e.href),
  };
})()`

type pageState struct {
	H1          []string `json:"h1"`
	ScrollWidth int      `json:"scrollWidth"`
	ClientWidth int      `json:"clientWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Viewport    bool     `json:"viewport"`
	Lang        string   `json:"lang"`
	Dir         string   `json:"dir"`
	Dark        bool     `json:"dark"`
	Text        string   `json:"text"`
	Icons       []string `json:"icons"`
}

// visit loads url in the tab and returns the page's state and what the page
// requested and logged besides itself.
func visit(ctx context.Context, rec *recorder, url string) (pageState, []string, []string, error) {
	rec.take()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return pageState{}, nil, nil, err
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](checkJS))
	if err != nil {
		return st, nil, nil, err
	}
	requests, errs := rec.take()
	var other []string
	for _, r := range requests {
		if r != url && !strings.HasPrefix(r, "data:") {
			other = append(other, r)
		}
	}
	// Chromium logs a non-2xx document as a failed resource; an error page
	// is served with its error status on purpose.
	errs = slices.DeleteFunc(errs, func(e string) bool {
		return strings.Contains(e, "the server responded with a status of") && strings.HasSuffix(e, "("+url+")")
	})
	return st, other, errs, nil
}

// expect is what a page must show: its title in the one h1 and, when lang
// is set, that language on <html> with the direction it is written in.
type expect struct{ title, lang string }

// rightToLeft are the default site's languages written right to left: their
// pages must say dir="rtl", every other page dir="ltr". The list is the
// test's own, not the generator's, so a mistake there shows here.
var rightToLeft = []string{"ar", "he"}

// direction is the dir a page in lang must have.
func direction(lang string) string {
	if slices.Contains(rightToLeft, lang) {
		return "rtl"
	}
	return "ltr"
}

// problems lists what is wrong with a page in the browser.
func problems(st pageState, other, errs []string, want expect) []string {
	var p []string
	if len(other) > 0 {
		p = append(p, fmt.Sprintf("requests besides the document: %q", other))
	}
	if len(errs) > 0 {
		p = append(p, fmt.Sprintf("console errors: %q", errs))
	}
	// A page naming no icon makes a browser ask the (failing) site for
	// /favicon.ico. Headless Chromium never fetches icons, so the request
	// above can't show it: check that the page names a data: icon.
	if len(st.Icons) == 0 {
		p = append(p, `no icon: name one inline, e.g. <link rel="icon" href="data:,">, or browsers request /favicon.ico`)
	}
	for _, h := range st.Icons {
		if !strings.HasPrefix(h, "data:") {
			p = append(p, fmt.Sprintf("icon %q is not a data: URL", h))
		}
	}
	if st.ScrollWidth > st.ClientWidth || st.InnerWidth > phone {
		p = append(p, fmt.Sprintf("scrolls sideways at %d px: scrollWidth %d, clientWidth %d, innerWidth %d",
			phone, st.ScrollWidth, st.ClientWidth, st.InnerWidth))
	}
	if len(st.H1) != 1 || !strings.Contains(st.H1[0], strings.Join(strings.Fields(want.title), " ")) {
		p = append(p, fmt.Sprintf("h1 is %q, want one h1 showing %q", st.H1, want.title))
	}
	if !st.Viewport {
		p = append(p, "no <meta name=viewport>")
	}
	switch {
	case st.Lang == "":
		p = append(p, "no lang on <html>")
	case want.lang != "" && st.Lang != want.lang:
		p = append(p, fmt.Sprintf("<html lang=%q>, want %q", st.Lang, want.lang))
	}
	if d := direction(want.lang); want.lang != "" && st.Dir != d {
		p = append(p, fmt.Sprintf("<html dir=%q>, want dir=%q: %s is written %s", st.Dir, d, want.lang,
			map[string]string{"rtl": "right to left", "ltr": "left to right"}[d]))
	}
	return p
}

// languages returns a bundle's languages, the default first.
func languages(b *bundle.Bundle) []string {
	if len(b.Manifest.Site.Languages) > 0 {
		return b.Manifest.Site.Languages
	}
	return []string{b.Manifest.Site.Lang}
}

// requireRightToLeft fails the test unless every bundle has pages in every
// right-to-left language, so the checks of their direction and of their
// sideways scroll at phone width run.
func requireRightToLeft(t *testing.T, bundles []*bundle.Bundle) {
	t.Helper()
	for _, b := range bundles {
		for _, lang := range rightToLeft {
			if !slices.Contains(languages(b), lang) || len(pagesIn(b, lang)) == 0 {
				t.Errorf("%s: no pages in %s: the default site must have its right-to-left languages", b.Manifest.Theme, lang)
			}
		}
	}
}

// pagesIn returns a bundle's pages in lang: the default language's pages,
// or the translations into lang.
func pagesIn(b *bundle.Bundle, lang string) []bundle.Page {
	if lang == b.Manifest.Site.Lang {
		lang = ""
	}
	var out []bundle.Page
	for _, p := range b.Manifest.Pages {
		if p.Lang == lang {
			out = append(out, p)
		}
	}
	return out
}

// pageURL is the address of page p of theme on srv, in lang, through the
// server's ?lang= (the default language's page has none); query adds more
// of the query.
func pageURL(srv *httptest.Server, theme string, p bundle.Page, lang, query string) string {
	var q []string
	if p.Lang != "" {
		q = append(q, "lang="+lang)
	}
	if query != "" {
		q = append(q, query)
	}
	u := srv.URL + "/" + theme + "/" + p.ID + ".html"
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u
}

// TestThemesInChromium loads every page of every theme of the default site
// in every language of the site, through the server's ?lang=, at phone
// width (360 px), and checks each: no requests but the document, no console
// errors, no sideways scroll, the title in the one h1, and the language on
// <html> with its direction (dir="rtl" for ar and he, which must be among
// the languages checked). Pages with a crashlog are loaded again with a
// 200-line log of very long lines filled in. The default language is loaded
// in light and dark; the other languages in light only, since the colour
// scheme is the same CSS in every language: about 2,000 loads in one tab.
func TestThemesInChromium(t *testing.T) {
	ctx := newTab(t)
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
	rec := record(t, ctx)
	long := LongCrashlog()
	lastLine := long[strings.LastIndexByte(long, '\n')+1:]
	for _, b := range bundles {
		theme := b.Manifest.Theme
		t.Run(theme, func(t *testing.T) {
			for i, lang := range languages(b) {
				schemes := []string{"light"}
				if i == 0 {
					schemes = append(schemes, "dark")
				}
				t.Run(lang, func(t *testing.T) {
					for _, scheme := range schemes {
						emulate(t, ctx, phone, 800, 1, true, scheme)
						for _, p := range pagesIn(b, lang) {
							urls := []string{pageURL(srv, theme, p, lang, "")}
							if p.Crashlog {
								urls = append(urls, pageURL(srv, theme, p, lang, "crashlog=long&request_id="))
							}
							for _, url := range urls {
								st, other, errs, err := visit(ctx, rec, url)
								if err != nil {
									t.Fatalf("%s: %v", url, err)
								}
								bad := problems(st, other, errs, expect{title: p.Title, lang: lang})
								if st.Dark != (scheme == "dark") {
									bad = append(bad, "colour scheme not emulated")
								}
								if strings.Contains(url, "crashlog=long") && !strings.Contains(st.Text, lastLine) {
									bad = append(bad, "the crashlog's last line is not shown")
								}
								for _, msg := range bad {
									t.Errorf("%s (%s): %s", strings.TrimPrefix(url, srv.URL+"/"), scheme, msg)
								}
							}
						}
					}
				})
			}
		})
	}
}

// titles are page titles in a few languages, for pages the tests make.
var titles = map[string]string{"en": "Not found", "de": "Nicht gefunden", "ar": "الصفحة غير موجودة", "he": "הדף לא נמצא"}

// TestChecksCatchProblems makes sure each check above fails a page that
// breaks its rule, and passes pages in other languages that keep them, so a
// passing run means something.
func TestChecksCatchProblems(t *testing.T) {
	ctx := newTab(t)
	bad := `<!doctype html><html><head><title>x</title></head><body>
<h1>Wrong title</h1><h1>Second</h1>
<div style="width:900px">wide</div>
<img src="/elsewhere.png" alt="">
<script>console.error("boom")</script>
</body></html>`
	// Right in every way but one: a log that widens the page.
	wide := `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>x</title></head><body><h1>Right title</h1><pre>` + strings.Repeat("x", 300) + `</pre></body></html>`
	// Right in every way, or but one, in a language: /lang/LANG?dir=DIR
	// (no dir when DIR is empty), its body widened when &wide=1.
	inLang := func(lang, dir string, wide bool) string {
		attrs := fmt.Sprintf(` lang=%q`, lang)
		if dir != "" {
			attrs += fmt.Sprintf(` dir=%q`, dir)
		}
		body := ""
		if wide {
			body = `<pre>` + strings.Repeat("x", 300) + `</pre>`
		}
		return `<!doctype html><html` + attrs + `><head><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>x</title></head><body><h1>` + titles[lang] + `</h1><p>` + titles[lang] + `</p>` + body + `</body></html>`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if lang, ok := strings.CutPrefix(r.URL.Path, "/lang/"); ok {
			fmt.Fprint(w, inLang(lang, r.URL.Query().Get("dir"), r.URL.Query().Has("wide")))
			return
		}
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, bad)
		case "/wide":
			fmt.Fprint(w, wide)
		case "/csp":
			// Under the server's policy a script is blocked before it runs,
			// and so is a remote image before it is requested: both are
			// console errors.
			w.Header().Set("Content-Security-Policy", bundle.CSP)
			fmt.Fprint(w, strings.Replace(wide, strings.Repeat("x", 300), `<img src="https://example.com/x.png" alt=""><script>1</script>`, 1))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	rec := record(t, ctx)
	emulate(t, ctx, phone, 800, 1, true, "light")
	for _, tt := range []struct {
		path string
		want expect
		find string // the one problem, or "" for none
	}{
		{"/lang/ar?dir=rtl", expect{titles["ar"], "ar"}, ""},
		{"/lang/he?dir=rtl", expect{titles["he"], "he"}, ""},
		{"/lang/de?dir=ltr", expect{titles["de"], "de"}, ""},
		{"/lang/ar?dir=ltr", expect{titles["ar"], "ar"}, `<html dir="ltr">, want dir="rtl"`},
		{"/lang/he", expect{titles["he"], "he"}, `<html dir="">, want dir="rtl"`},
		{"/lang/de?dir=rtl", expect{titles["de"], "de"}, `<html dir="rtl">, want dir="ltr"`},
		{"/lang/en?dir=ltr", expect{titles["en"], "de"}, `<html lang="en">, want "de"`},
		{"/lang/ar?dir=rtl&wide=1", expect{titles["ar"], "ar"}, "scrolls sideways"},
		{"/lang/he?dir=rtl&wide=1", expect{titles["he"], "he"}, "scrolls sideways"},
	} {
		st, other, errs, err := visit(ctx, rec, srv.URL+tt.path)
		if err != nil {
			t.Fatal(err)
		}
		p := problems(st, other, errs, tt.want)
		switch {
		case tt.find == "" && len(p) > 0:
			t.Errorf("%s, a good page: found %q", tt.path, p)
		case tt.find != "" && (len(p) != 1 || !strings.Contains(p[0], tt.find)):
			t.Errorf("%s: found %q, want only %q", tt.path, p, tt.find)
		}
	}
	// The bad page goes last: it names no icon, and Chromium may ask for
	// /favicon.ico after the check, while the next page loads.
	st, other, errs, err := visit(ctx, rec, srv.URL+"/wide")
	if err != nil {
		t.Fatal(err)
	}
	p := problems(st, other, errs, expect{title: "Right title"})
	if len(p) != 1 || !strings.Contains(p[0], "scrolls sideways") {
		t.Errorf("a page with a wide log: found %q, want only the sideways scroll", p)
	}
	st, other, errs, err = visit(ctx, rec, srv.URL+"/csp")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(problems(st, other, errs, expect{title: "Right title"}), "\n")
	if !strings.Contains(got, "console errors") || !strings.Contains(strings.ToLower(got), "script") {
		t.Errorf("a page breaking the server's CSP: found %q, want console errors for the script", got)
	}
	st, other, errs, err = visit(ctx, rec, srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	got = strings.Join(problems(st, other, errs, expect{title: "Right title"}), "\n")
	for _, want := range []string{"requests besides the document", "console errors", "scrolls sideways", "want one h1", "viewport", "no lang", "no icon"} {
		if !strings.Contains(got, want) {
			t.Errorf("a bad page was not caught for %q; found:\n%s", want, got)
		}
	}
}
