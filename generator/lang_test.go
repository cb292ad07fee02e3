package generator

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goccy/go-yaml"

	"github.com/ouchie/ouchie/generator/bundle"
)

// langSite is the base site with testdata/lang/site.txtar laid over it.
func langSite(t *testing.T) fstest.MapFS {
	t.Helper()
	return overlaid(t, baseSite(t), "testdata/lang/site.txtar")
}

// overlaid returns site with the files of the txtar archive file laid over it.
func overlaid(t *testing.T, site fstest.MapFS, file string) fstest.MapFS {
	t.Helper()
	_, overlay := loadTxtar(t, file)
	for name, f := range overlay {
		site[name] = f
	}
	return site
}

func buildLangSite(t *testing.T) (*Site, *bundle.Bundle) {
	t.Helper()
	return buildSite(t, langSite(t))
}

// buildSite loads site and builds its first theme in every format.
func buildSite(t *testing.T, site fstest.MapFS) (*Site, *bundle.Bundle) {
	t.Helper()
	s, err := Load(site)
	if err != nil {
		t.Fatal(formatErr(err))
	}
	bundles, err := s.Build(Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	return s, bundles[0]
}

// A translation is its page in another language: same keys and settings,
// its own words, files named <id>.<lang>.<ext>; the bundle holds only real
// translations and lists every language.
func TestTranslationsInTheBundle(t *testing.T) {
	_, b := buildLangSite(t)
	m := b.Manifest
	if m.Site.Lang != "en" || !slices.Equal(m.Site.Languages, []string{"en", "de", "ar"}) {
		t.Errorf("site lang %q, languages %v", m.Site.Lang, m.Site.Languages)
	}
	var order []string
	for _, p := range m.Pages {
		order = append(order, p.ID+langSuffix(p.Lang))
	}
	want := []string{"404", "404.de", "404.ar", "4xx", "4xx.de", "502-app-failed-to-boot", "503-platform-error", "5xx"}
	if !slices.Equal(order, want) {
		t.Fatalf("pages %v, want %v", order, want)
	}
	var en, de bundle.Page
	for _, p := range m.Pages {
		switch {
		case p.ID == "404" && p.Lang == "":
			en = p
		case p.ID == "404" && p.Lang == "de":
			de = p
		}
	}
	if de.Status != en.Status || de.Source != en.Source || !slices.Equal(de.Aliases, en.Aliases) || de.Variant != en.Variant {
		t.Errorf("the translation differs from its page in status, source, aliases or variant:\n%+v\n%+v", de, en)
	}
	if de.Title != "Seite nicht gefunden" || de.Summary != "Unter dieser Adresse gibt es keine Seite." {
		t.Errorf("translation title %q, summary %q", de.Title, de.Summary)
	}
	for format, f := range de.Files {
		if want := "404.de." + format; f.Name != want {
			t.Errorf("file %s, want %s", f.Name, want)
		}
	}
	html := string(b.Files["404.de.html"])
	for _, s := range []string{`<html lang="de" dir="ltr">`, "Seite nicht gefunden", "Prüfen Sie die Adresse auf Tippfehler.", "Ihre Anfrage"} {
		if !strings.Contains(html, s) {
			t.Errorf("404.de.html lacks %q:\n%s", s, html)
		}
	}
	if strings.Contains(html, "Check the address") {
		t.Error("404.de.html holds the English body")
	}
	http := string(b.Files["404.de.http"])
	if !strings.Contains(http, "\r\nContent-Language: de\r\n") {
		t.Errorf("404.de.http has no Content-Language: de:\n%s", http[:200])
	}
}

// Every format of a translation is in its language and says so; JSON and
// XML name the language for the default language's pages too.
func TestTranslationFormats(t *testing.T) {
	_, b := buildLangSite(t)
	for file, lang := range map[string]string{"404": "en", "404.de": "de", "404.ar": "ar", "502-app-failed-to-boot": "en"} {
		var j struct {
			Lang, Title string
		}
		if err := json.Unmarshal(b.Files[file+".json"], &j); err != nil {
			t.Fatalf("%s.json: %v", file, err)
		}
		if j.Lang != lang {
			t.Errorf("%s.json: lang %q, want %q", file, j.Lang, lang)
		}
		var x struct {
			Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			Title string `xml:"title"`
		}
		if err := xml.Unmarshal(b.Files[file+".xml"], &x); err != nil {
			t.Fatalf("%s.xml: %v", file, err)
		}
		if x.Lang != lang || x.Title != j.Title {
			t.Errorf("%s.xml: xml:lang %q title %q, want %q and the JSON's %q", file, x.Lang, x.Title, lang, j.Title)
		}
	}
	txt := string(b.Files["404.de.txt"])
	for _, s := range []string{"Seite nicht gefunden\n", mustBuiltin(t)["de"].WhoseProblem + " Ihre Anfrage", "Hilfe: mailto:help@acme.example"} {
		if !strings.Contains(txt, s) {
			t.Errorf("404.de.txt lacks %q:\n%s", s, txt)
		}
	}
	// The request id's label goes out with a request id only: it is the slot's before.
	labelled := false
	for _, p := range b.Manifest.Pages {
		if f := p.Files["txt"]; f.Name == "404.de.txt" {
			for _, sl := range f.Slots {
				labelled = labelled || sl.Name == "request_id" && sl.Before == "Anfrage-ID: "
			}
		}
	}
	if !labelled {
		t.Error(`404.de.txt: the request id slot's before is not "Anfrage-ID: "`)
	}
	ar := string(b.Files["404.ar.html"])
	if !strings.Contains(ar, `<html lang="ar" dir="rtl">`) {
		t.Errorf("404.ar.html is not marked right to left:\n%s", ar)
	}
}

// Labels: the site's for the language, key by key, then the built-in ones
// of the language (or of the language it narrows), then English.
func TestLabelsPrecedence(t *testing.T) {
	s, _ := buildLangSite(t)
	de, ar, en := s.sites["de"].Labels, s.sites["ar"].Labels, s.sites["en"].Labels
	builtinDE := mustBuiltin(t)["de"]
	if de.Support != "Hilfe" || de.Error != builtinDE.Error || de.Error == DefaultLabels.Error {
		t.Errorf("de: support %q (want the site's), error %q (want the built-in %q)", de.Support, de.Error, builtinDE.Error)
	}
	if builtinAR := mustBuiltin(t)["ar"]; ar.SourceClient != "طلبك" || ar.Error != builtinAR.Error {
		t.Errorf("ar: source_client %q (want the site's), error %q (want the built-in %q)", ar.SourceClient, ar.Error, builtinAR.Error)
	}
	if en.Support != "Help desk" || en.Error != DefaultLabels.Error {
		t.Errorf("en: support %q, error %q", en.Support, en.Error)
	}

	// lang: alone gives the language's built-in labels, a regional tag its
	// language's, and labels: still overrides them.
	for lang, want := range map[string]string{"de": builtinDE.WhoseProblem, "de-AT": builtinDE.WhoseProblem, "sv": DefaultLabels.WhoseProblem} {
		site := baseSite(t)
		cfg := strings.Replace(string(site["ouchie.yaml"].Data), "lang: en", "lang: "+lang+"\nlabels:\n  error: Own", 1)
		site["ouchie.yaml"].Data = []byte(cfg)
		s, err := Load(site)
		if err != nil {
			t.Fatal(formatErr(err))
		}
		l := s.sites[lang].Labels
		if l.WhoseProblem != want || l.Error != "Own" {
			t.Errorf("lang: %s: whose_problem %q (want %q), error %q (want the site's)", lang, l.WhoseProblem, want, l.Error)
		}
	}
}

// A page missing in a language is a warning per language, naming the pages:
// it is served in the default language.
func TestMissingTranslationsWarn(t *testing.T) {
	s, _ := buildLangSite(t)
	got := formatErr(s.Warnings)
	want := "ouchie.yaml:8:17: de: 3 of 5 pages not translated (visitors get them in en): 502-app-failed-to-boot, 503-platform-error, 5xx\n" +
		"hint: write content/ID.de.md for each (`ouchie new ID --lang de` starts one)\n" +
		"ouchie.yaml:8:21: ar: 4 of 5 pages not translated (visitors get them in en): 4xx, 502-app-failed-to-boot, 503-platform-error, 5xx\n" +
		"hint: write content/ID.ar.md for each (`ouchie new ID --lang ar` starts one)\n"
	if got != want {
		t.Errorf("warnings\n%s\nwant\n%s", got, want)
	}
	if s, err := Load(baseSite(t)); err != nil || len(s.Warnings) != 0 {
		t.Errorf("a site in one language: err %v, warnings %v", err, s.Warnings)
	}
	// A warning names 10 pages at most: a site of 100,000 pages would
	// otherwise hold a list of them per language, and print it.
	site := langSite(t)
	for i := range 20 {
		site[fmt.Sprintf("content/500-extra-%02d.md", i)] = &fstest.MapFile{Data: []byte("---\nstatus: 500\ntitle: T\nsummary: S.\nsource: app\n---\nText.\n")}
	}
	s, err := Load(site)
	if err != nil {
		t.Fatal(formatErr(err))
	}
	want = "ouchie.yaml:8:17: de: 23 of 25 pages not translated (visitors get them in en): 500-extra-00, 500-extra-01, 500-extra-02, " +
		"500-extra-03, 500-extra-04, 500-extra-05, 500-extra-06, 500-extra-07, 500-extra-08, 500-extra-09 and 13 more"
	if got := s.Warnings[0].Error(); got != want {
		t.Errorf("warning\n%s\nwant\n%s", got, want)
	}
}

func TestTextDir(t *testing.T) {
	for tag, want := range map[string]string{"ar": "rtl", "he": "rtl", "fa": "rtl", "ur": "rtl", "az-Arab": "rtl",
		"en": "ltr", "de": "ltr", "zh-Hant": "ltr", "ja": "ltr", "hi": "ltr", "ru": "ltr", "az": "ltr", "bad tag": "ltr"} {
		if got := textDir(tag); got != want {
			t.Errorf("textDir(%q) = %q, want %q", tag, got, want)
		}
	}
}

func mustBuiltin(t *testing.T) map[string]Labels {
	t.Helper()
	b, err := builtinLabels()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every built-in labels file is named by a canonical language tag, sets
// every label, and holds only text a page may show.
func TestBuiltinLabels(t *testing.T) {
	builtin := mustBuiltin(t)
	if _, ok := builtin["de"]; !ok {
		t.Fatal("no built-in German labels")
	}
	for lang, l := range builtin {
		c := &errs{}
		checkTag(c, &yamlDoc{file: "labels/" + lang + ".yaml"}, "$", lang)
		data, _ := labelFiles.ReadFile("labels/" + lang + ".yaml")
		checkText(c, "labels/"+lang+".yaml", data)
		l.each(func(key, val string) {
			if strings.TrimSpace(val) == "" {
				c.add("labels/"+lang+".yaml", 0, 0, "", "no label %s", key)
			}
			for _, r := range val {
				if msg := badChar(r); msg != "" {
					c.add("labels/"+lang+".yaml", 0, 0, "", "%s: %s", key, msg)
				}
			}
		})
		if len(c.list) > 0 {
			t.Error(c.list.Err())
		}
		// The files are flat: the keys of labels: and nothing else.
		var raw map[string]any
		if err := yaml.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		if n := reflect.TypeOf(l).NumField(); len(raw) != n {
			t.Errorf("labels/%s.yaml has %d keys, want %d", lang, len(raw), n)
		}
	}
}

// Every file of the default site, in every format, language and theme, is
// under HAProxy's errorfile limit (the .http errorfile, the page with its
// headers, is the one it binds); the largest file of each language is
// reported.
func checkSizes(t *testing.T, bundles []*bundle.Bundle) {
	t.Helper()
	largest := map[string]string{}
	size := map[string]int{}
	for _, b := range bundles {
		for _, p := range b.Manifest.Pages {
			lang := p.Lang
			if lang == "" {
				lang = b.Manifest.Site.Lang
			}
			for _, f := range p.Files {
				if n := len(b.Files[f.Name]); n > size[lang] {
					size[lang], largest[lang] = n, b.Manifest.Theme+"/"+f.Name
				}
			}
		}
	}
	for _, lang := range slices.Sorted(maps.Keys(size)) {
		t.Logf("%-8s largest file %6d bytes: %s", lang, size[lang], largest[lang])
		if size[lang] >= MaxErrorfileSize {
			t.Errorf("%s is %d bytes, want < %d", largest[lang], size[lang], MaxErrorfileSize)
		}
	}
}

// A translation skeleton builds as it is, with its page's words, whatever
// YAML would make of them unquoted.
func TestTranslationSkeletonLoads(t *testing.T) {
	site := langSite(t)
	site["content/404.md"].Data = []byte("---\nstatus: 404\ntitle: 'Oops: \"#1\" isn''t here'\nsummary: \"- no: [page]\"\nsource: client\n---\nBody *text*.\n")
	delete(site, "content/404.de.md")
	sk, err := TranslationSkeleton(site, "404", "de")
	if err != nil {
		t.Fatal(formatErr(err))
	}
	site["content/404.de.md"] = &fstest.MapFile{Data: sk}
	_, b := buildSite(t, site)
	for _, p := range b.Manifest.Pages {
		if p.ID == "404" && p.Lang == "de" {
			if p.Title != "Oops: “#1” isn’t here" || p.Summary != "- no: [page]" {
				t.Errorf("title %q summary %q", p.Title, p.Summary)
			}
			if !strings.Contains(string(b.Files["404.de.html"]), "<em>text</em>") {
				t.Error("the body was not copied")
			}
			return
		}
	}
	t.Fatal("no translation built")
}
