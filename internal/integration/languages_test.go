package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
)

// untranslated is the page the language tests' site has no German
// translation of: content/503.de.md is left out of its copy of the default
// site.
const untranslated = "content/503.de.md"

// partial is the classic bundle of the default site without untranslated,
// built once per test run by partialPages.
var partial struct {
	once sync.Once
	dir  string
	err  error
}

// partialPages returns the default site's classic bundle (html, json and
// HAProxy errorfiles) built from a copy of the site that lacks one
// translation, so that a router's fallback to the default language's page
// is exercised on a page the bundle really lacks.
func partialPages(t testing.TB) *pages {
	t.Helper()
	bin, _ := ouchieBuild(t)
	partial.once.Do(func() {
		src := filepath.Join(built.dir, "partial-site")
		if partial.err = copySite(src, untranslated); partial.err != nil {
			return
		}
		dist := filepath.Join(built.dir, "partial-dist")
		if out, code := run(t, nil, nil, bin, "build", "--src", src, "--dist", dist,
			"--theme", theme, "--format", "html,json,http"); code != 0 {
			partial.err = &buildError{out}
			return
		}
		partial.dir = filepath.Join(dist, theme)
	})
	if partial.err != nil {
		t.Fatal(partial.err)
	}
	b, err := bundle.Open(partial.dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Translation("503", "de"); ok {
		t.Fatalf("the partial site still has a German 503")
	}
	return &pages{dir: partial.dir, b: b}
}

// buildError is a failed ouchie build with its output.
type buildError struct{ out string }

func (e *buildError) Error() string { return "ouchie build: " + e.out }

// copySite copies the default site (ouchie.yaml, logo.svg, content/,
// themes/) to dst, leaving out the file skip.
func copySite(dst, skip string) error {
	if err := os.MkdirAll(filepath.Join(dst, "content"), 0o755); err != nil {
		return err
	}
	names := []string{"ouchie.yaml", "logo.svg"}
	entries, err := os.ReadDir(filepath.Join(repoRoot, "content"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if name := "content/" + e.Name(); name != skip && !e.IsDir() {
			names = append(names, name)
		}
	}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(repoRoot, n))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, n), data, 0o644); err != nil {
			return err
		}
	}
	return os.CopyFS(filepath.Join(dst, "themes"), os.DirFS(filepath.Join(repoRoot, "themes")))
}

// langCase is a request with an Accept-Language header and the language of
// the page it must get ("" for the default language's page).
type langCase struct {
	name, acceptLanguage, lang string
}

// langCases are what every router configuration that chooses the language
// must do: the first language the header lists, as the bundle names it,
// else the default language. Routers' header matching cannot weigh
// q-values; the docs say so and the last case holds them to it.
var langCases = []langCase{
	{"German browser", "de-DE,de;q=0.9,en;q=0.8", "de"},
	{"German, bare tag", "de", "de"},
	{"Portuguese from Portugal gets pt-BR", "pt-PT,pt;q=0.9", "pt-BR"},
	{"Brazilian Portuguese", "pt-BR", "pt-BR"},
	{"Taiwan gets Traditional Chinese", "zh-TW,zh;q=0.9", "zh-Hant"},
	{"Hong Kong gets Traditional Chinese", "zh-hk", "zh-Hant"},
	{"mainland China gets Simplified Chinese", "zh-CN,zh;q=0.9", "zh-Hans"},
	{"Chinese, bare tag, gets Simplified", "zh", "zh-Hans"},
	{"Arabic", "ar-EG,ar;q=0.9", "ar"},
	{"English", "en-US,en;q=0.9", ""},
	{"no header", "", ""},
	{"a language the site lacks", "sv-SE,sv;q=0.9", ""},
	{"q-values are not weighed: the first listed wins", "fr;q=0.1,de;q=0.9", "fr"},
}

// checkLang asserts the response is page id's file in lang ("" for the
// default language) byte for byte, with the status and the lang attribute
// (HTML) or field (JSON) that language's page has.
func (p *pages) checkLang(t testing.TB, where string, r response, id, lang string, status int, format string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d", where, r.status, status)
	}
	if ct, wantCT := r.header.Get("Content-Type"), bundle.ContentType(format); ct != wantCT {
		t.Errorf("%s: Content-Type %q, want %q", where, ct, wantCT)
	}
	want := lang
	if want == "" {
		want = p.b.Manifest.Site.Lang
	}
	pg, ok := p.b.Translation(id, lang)
	if !ok {
		t.Fatalf("%s: the bundle has no page %s in %q", where, id, lang)
	}
	data, err := os.ReadFile(filepath.Join(p.dir, pg.Files[format].Name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.body, data) {
		t.Errorf("%s: body is not %s byte for byte (%d bytes, want %d):\n%s", where, pg.Files[format].Name, len(r.body), len(data), excerpt(r.body))
	}
	mark := `lang="` + want + `"`
	if format == bundle.JSON {
		mark = `"lang": "` + want + `"`
	}
	if !bytes.Contains(r.body, []byte(mark)) {
		t.Errorf("%s: no %s in the body", where, mark)
	}
}

// langRequest is a request to a router with an Accept-Language header, and
// the page it must get (lang "" for the default language's).
type langRequest struct {
	name, url, accept, acceptLanguage string
	id, lang                          string
	status                            int
	format                            string
}

// langRequests are langCases on the app's 500 at url (the router's
// address, http://...), as a browser sends them.
func langRequests(url string) []langRequest {
	var reqs []langRequest
	for _, c := range langCases {
		reqs = append(reqs, langRequest{"app 500, " + c.name, url + "/status/500", acceptBrowser, c.acceptLanguage, "500", c.lang, 500, bundle.HTML})
	}
	return reqs
}

// checkLangRequests sends each request and checks its page (checkLang),
// and its Vary header when vary is not "". It returns the responses.
func (p *pages) checkLangRequests(t testing.TB, vary string, reqs []langRequest) []response {
	t.Helper()
	var rs []response
	for _, c := range reqs {
		r := get(t, c.url, "Accept", c.accept, "Accept-Language", c.acceptLanguage)
		p.checkLang(t, c.name, r, c.id, c.lang, c.status, c.format)
		if got := r.header.Get("Vary"); vary != "" && got != vary {
			t.Errorf("%s: Vary %q, want %q", c.name, got, vary)
		}
		rs = append(rs, r)
	}
	return rs
}
