package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// translated returns the test bundle in English with translations: each
// language's pages carry the language as their marker. Pages named in
// missing have no translation.
func translated(t testing.TB, langs []string, missing ...string) *bundle.Bundle {
	t.Helper()
	b := makeBundle(t, "en", testPages)
	b.Manifest.Site.Lang, b.Manifest.Site.Languages = "en", append([]string{"en"}, langs...)
	for _, lang := range langs {
		tb := makeBundle(t, lang, testPages)
		for _, p := range tb.Manifest.Pages {
			if slices.Contains(missing, p.ID) {
				continue
			}
			p.Lang = lang
			for format, f := range p.Files {
				name := p.ID + "." + lang + "." + format
				b.Files[name] = tb.Files[f.Name]
				f.Name = name
				p.Files[format] = f
			}
			b.Manifest.Pages = append(b.Manifest.Pages, p)
		}
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLanguageNegotiation: ?lang=, then the router's header, then
// Accept-Language (q-values, regional and script fallbacks) choose the
// language; anything unknown gets the default. Responses say their
// language and vary by what chose it.
func TestLanguageNegotiation(t *testing.T) {
	ts := open(t, Config{Load: fixed(translated(t, []string{"de", "pt-BR", "zh-Hant", "zh-Hans", "ar"}))})
	for _, tt := range []struct {
		path    string
		headers []string
		want    string
	}{
		{"/502", nil, "en"},
		{"/502", []string{"Accept-Language", "de-DE,de;q=0.9,en;q=0.8"}, "de"},
		{"/502", []string{"Accept-Language", "fr-FR, de;q=0.5"}, "de"},
		{"/502", []string{"Accept-Language", "fr-FR"}, "en"},
		{"/502", []string{"Accept-Language", "en;q=0.9, de"}, "de"},
		{"/502", []string{"Accept-Language", "de;q=0, ar;q=0.1"}, "ar"},
		{"/502", []string{"Accept-Language", "pt-PT,pt;q=0.9"}, "pt-BR"},
		{"/502", []string{"Accept-Language", "zh-TW"}, "zh-Hant"},
		{"/502", []string{"Accept-Language", "zh-CN,zh;q=0.9"}, "zh-Hans"},
		{"/502", []string{"Accept-Language", "*"}, "en"},
		{"/502", []string{"Accept-Language", ";;;,,,q=junk"}, "en"},
		{"/502", []string{"Accept-Language", strings.Repeat("de,", 400)}, "en"},
		{"/502?lang=ar", []string{"Accept-Language", "de"}, "ar"},
		{"/502?lang=PT-br", nil, "pt-BR"},
		{"/502?lang=xx", []string{"Accept-Language", "de"}, "de"},
		{"/502?lang=", []string{"Accept-Language", "de"}, "de"},
		{"/502", []string{"X-Lang", "zh-Hans", "Accept-Language", "de"}, "zh-Hans"},
		{"/502?lang=de", []string{"X-Lang", "zh-Hans"}, "de"},
		{"/?code=502&lang=de", nil, "de"},
		{"/502.json", []string{"Accept-Language", "de"}, "de"},
		{"/H10.txt", []string{"Accept-Language", "de"}, "de"},
		{"/418.xml", []string{"Accept-Language", "ar"}, "ar"},
	} {
		resp, body := ts.get(t, tt.path, tt.headers...)
		if got := resp.Header.Get("Content-Language"); got != tt.want {
			t.Errorf("%s %q: Content-Language %q, want %q", tt.path, tt.headers, got, tt.want)
		}
		if !strings.Contains(string(body), tt.want) {
			t.Errorf("%s %q: body is not the %s page", tt.path, tt.headers, tt.want)
		}
		if vary := resp.Header.Get("Vary"); !strings.Contains(vary, "Accept-Language") || !strings.Contains(vary, "X-Lang") {
			t.Errorf("%s: Vary %q names neither Accept-Language nor X-Lang", tt.path, vary)
		}
	}
}

// TestLanguageFallback: a page missing in a language is served in the
// default language, per page.
func TestLanguageFallback(t *testing.T) {
	ts := open(t, Config{Load: fixed(translated(t, []string{"de"}, "503"))})
	for path, want := range map[string]string{"/503": "en", "/502": "de", "/599": "de"} {
		resp, _ := ts.get(t, path, "Accept-Language", "de")
		if got := resp.Header.Get("Content-Language"); got != want {
			t.Errorf("%s: Content-Language %q, want %q", path, got, want)
		}
	}
}

// TestOneLanguage: a bundle with one language says nothing of languages:
// no Content-Language, nothing about them in Vary.
func TestOneLanguage(t *testing.T) {
	ts := open(t, Config{})
	resp, _ := ts.get(t, "/502", "Accept-Language", "de")
	if resp.Header.Get("Content-Language") != "" || strings.Contains(resp.Header.Get("Vary"), "Accept-Language") {
		t.Errorf("one language: Content-Language %q, Vary %q", resp.Header.Get("Content-Language"), resp.Header.Get("Vary"))
	}
}

// TestLanguageCacheBounded: hostile Accept-Language values never grow the
// cache past its bound.
func TestLanguageCacheBounded(t *testing.T) {
	l := newLanguages([]string{"en", "de"})
	for i := range 3 * maxLangCache {
		l.match("de-x-" + strings.Repeat("a", i%7+1) + string(rune('a'+i%26)) + strings.Repeat("b", i%5))
		l.match(strings.Repeat("q", i%300+1) + string(rune(i)))
	}
	if n := len(l.cache); n > maxLangCache {
		t.Errorf("cache holds %d values, bound %d", n, maxLangCache)
	}
}
