package preview

import (
	"encoding/json"
	"encoding/xml"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/ouchie/ouchie/server"
)

// TestGalleryListsEverything: the gallery links every page of every theme
// in every format, each language's translations at ?lang=.
func TestGalleryListsEverything(t *testing.T) {
	s := open(t, copySite(t))
	code, _, body := get(t, s.URL())
	if code != 200 {
		t.Fatalf("gallery: status %d", code)
	}
	st, _ := s.current()
	if st.good == nil || len(st.good.bundles) < 1 {
		t.Fatal("no build")
	}
	galleries := map[string]string{"": body}
	for _, b := range st.good.bundles {
		if !strings.Contains(body, `id="theme-`+b.Manifest.Theme+`"`) {
			t.Errorf("gallery has no section for theme %s", b.Manifest.Theme)
		}
		for _, p := range b.Manifest.Pages {
			body, ok := galleries[p.Lang]
			if !ok {
				_, _, body = get(t, s.URL()+"?lang="+p.Lang)
				galleries[p.Lang] = body
			}
			for _, f := range p.Files {
				if !strings.Contains(body, `href="/`+b.Manifest.Theme+`/`+f.Name+`"`) {
					t.Errorf("gallery does not link %s/%s", b.Manifest.Theme, f.Name)
				}
			}
			if !strings.Contains(body, html.EscapeString(p.Title)) {
				t.Errorf("gallery does not show the title of %s", p.ID)
			}
		}
	}
	if !strings.Contains(body, "data-"+Marker) {
		t.Error("the gallery does not reload itself")
	}
}

// translatedSite is the default site in English, German and Arabic, with
// 404 translated into both.
func translatedSite(t *testing.T) string {
	t.Helper()
	dir := copySite(t)
	cfg := filepath.Join(dir, generator.ConfigName)
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The default site is translated whole: take 410 out of German, so a
	// page is missing in a language.
	if err := os.Remove(filepath.Join(dir, "content", "410.de.md")); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		generator.ConfigName: string(data),
		"content/404.de.md":  "---\ntitle: Seite nicht gefunden\nsummary: Hier ist keine Seite.\n---\nPrüfen Sie die Adresse.\n",
		"content/404.ar.md":  "---\ntitle: الصفحة غير موجودة\nsummary: لا توجد صفحة هنا.\n---\nتحقق من العنوان.\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGalleryLanguages: ?lang= shows a language's pages, each untranslated
// one as its default-language page, with links to every language; the
// pages themselves are served in their language.
func TestGalleryLanguages(t *testing.T) {
	s := open(t, translatedSite(t), WithThemes("classic"))
	_, _, en := get(t, s.URL())
	_, _, de := get(t, s.URL()+"?lang=de")
	for _, lang := range []string{"en", "de", "ar"} {
		if !strings.Contains(de, `<a href="/?lang=`+lang+`"`) {
			t.Errorf("the gallery does not link the %s pages", lang)
		}
	}
	if !strings.Contains(de, `aria-current="page">de<`) || !strings.Contains(en, `aria-current="page">en<`) {
		t.Error("the gallery does not mark the language shown")
	}
	if !strings.Contains(de, `href="/classic/404.de.html"`) || !strings.Contains(de, "Seite nicht gefunden") {
		t.Error("?lang=de does not list the German 404")
	}
	if !strings.Contains(de, `href="/classic/410.html"`) || !strings.Contains(de, "not translated: en page") {
		t.Error("?lang=de does not show the untranslated 410 as the English page")
	}
	if strings.Contains(en, "404.de.html") || strings.Contains(en, "not translated") {
		t.Error("the default language's gallery lists translations")
	}
	if _, _, unknown := get(t, s.URL()+"?lang=xx"); !strings.Contains(unknown, `aria-current="page">en<`) {
		t.Error("?lang=xx does not show the default language")
	}

	code, hdr, page := get(t, s.URL()+"classic/404.ar.html")
	if code != 404 || !strings.Contains(page, `<html lang="ar" dir="rtl">`) || hdr.Get("Content-Language") != "ar" {
		t.Errorf("404.ar.html: status %d, Content-Language %q, rtl html %v", code, hdr.Get("Content-Language"), strings.Contains(page, `dir="rtl"`))
	}
	if code, _, page := get(t, s.URL()+"classic/410.de.html"); code != 410 || !strings.Contains(page, `<html lang="en"`) {
		t.Errorf("an untranslated page: status %d; want the English page, as served", code)
	}
	if code, _, _ := get(t, s.URL()+"classic/410.xx.html"); code != 404 {
		t.Errorf("a language the site does not have: status %d", code)
	}
}

// TestGalleryThumbnails: the gallery shows each page of each theme as a
// lazily loaded, scaled frame of the page, linked to it, with no script of
// its own; its policy lets it frame its own pages, and a page framed as a
// thumbnail comes without the preview's script (the gallery reloads them).
func TestGalleryThumbnails(t *testing.T) {
	s := open(t, copySite(t))
	code, hdr, body := get(t, s.URL())
	if code != 200 {
		t.Fatalf("gallery: status %d", code)
	}
	st, _ := s.current()
	frames := 0
	for _, b := range st.good.bundles {
		for _, p := range b.Manifest.Pages {
			if p.Lang != "" {
				continue // a translation: in the gallery of its language
			}
			src := "/" + b.Manifest.Theme + "/" + p.Files[bundle.HTML].Name + "?" + thumbQuery
			if !strings.Contains(body, `<iframe loading="lazy" src="`+html.EscapeString(src)+`"`) {
				t.Errorf("no thumbnail of %s/%s", b.Manifest.Theme, p.ID)
			}
			frames++
		}
	}
	if n := strings.Count(body, "<iframe "); n != frames {
		t.Errorf("%d frames, want one per page and theme: %d", n, frames)
	}
	if n := strings.Count(body, "<script"); n != 1 {
		t.Errorf("%d scripts in the gallery, want only the preview's reload script", n)
	}
	policy := hdr.Get("Content-Security-Policy")
	if !strings.Contains(policy, "frame-src 'self'") {
		t.Errorf("the gallery's policy does not allow framing its pages: %s", policy)
	}
	code, hdr, page := get(t, s.URL()+"classic/404.html?"+thumbQuery)
	if code != 200 || strings.Contains(page, "<script") || strings.Contains(page, Marker) {
		t.Errorf("thumbnail page: status %d, script in it: %v", code, strings.Contains(page, "<script"))
	}
	if p := hdr.Get("Content-Security-Policy"); strings.Contains(p, "frame-ancestors") || hdr.Get("X-Frame-Options") != "" {
		t.Errorf("a page forbids being framed: CSP %q, X-Frame-Options %q", p, hdr.Get("X-Frame-Options"))
	}
}

// TestServeSlots: pages are served as built, with slots filled on request
// and escaped for their format.
func TestServeSlots(t *testing.T) {
	s := open(t, copySite(t), WithThemes("classic"))
	const id = "502-app-failed-to-boot"
	base := s.URL() + "classic/" + id
	hostile := `<script>alert("x")</script>`

	code, hdr, plain := get(t, base+".html")
	if code != 502 || hdr.Get("Content-Type") != bundle.ContentType(bundle.HTML) {
		t.Fatalf("html: status %d, %s", code, hdr.Get("Content-Type"))
	}
	if strings.Contains(plain, "ETIMEDOUT") {
		t.Fatal("crashlog filled in without ?crashlog=1")
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "'nonce-") {
		t.Fatalf("CSP %q", csp)
	}

	_, _, filled := get(t, base+".html?crashlog=1&request_id="+url.QueryEscape(hostile))
	if !strings.Contains(filled, html.EscapeString(SampleCrashlog)) {
		t.Error("html: sample crashlog missing or not escaped")
	}
	if strings.Contains(filled, hostile) || !strings.Contains(filled, html.EscapeString(hostile)) {
		t.Error("html: request id not escaped")
	}

	_, _, js := get(t, base+".json?crashlog=1&request_id="+url.QueryEscape(hostile))
	var v struct {
		Crashlog  string
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatalf("json with slots filled does not parse: %v\n%s", err, js)
	}
	if v.Crashlog != SampleCrashlog || v.RequestID != hostile {
		t.Errorf("json slots: %+v", v)
	}
	if strings.Contains(js, Marker) {
		t.Error("the preview script was added to JSON")
	}

	_, _, x := get(t, base+".xml?crashlog=1&request_id="+url.QueryEscape(hostile))
	if err := xml.Unmarshal([]byte(x), new(struct{})); err != nil {
		t.Errorf("xml with slots filled does not parse: %v", err)
	}
	_, _, txt := get(t, base+".txt?request_id=")
	if !strings.Contains(txt, SampleRequestID) {
		t.Error("txt: empty ?request_id= did not fill in the sample id")
	}
	if code, hdr, _ := get(t, base+".http"); code != 502 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Errorf("errorfile: status %d, %s", code, hdr.Get("Content-Type"))
	}
	for _, u := range []string{"nosuch/404.html", "classic/999.html", "classic/404.pdf"} {
		if code, _, _ := get(t, s.URL()+u); code != 404 {
			t.Errorf("%s: status %d, want 404", u, code)
		}
	}
}

// TestFill checks slot filling against a hand-made file.
func TestFill(t *testing.T) {
	data := []byte(`{"a": "", "status": 5xx, "b": ""}`)
	f := bundle.File{Slots: []bundle.Slot{
		{Name: bundle.SlotCrashlog, Offset: 7},
		{Name: bundle.SlotStatus, Offset: 21, Len: 3},
		{Name: bundle.SlotRequestID, Offset: 31},
	}}
	got, err := Fill(data, f, bundle.FormatJSON, "line 1\n\"quoted\"\t<tag>", bundle.Values{RequestID: "r-1"})
	want := `{"a": "line 1\n\"quoted\"\t\u003ctag\u003e", "status": 5xx, "b": "r-1"}`
	if err != nil || string(got) != want {
		t.Fatalf("Fill:\n got %s (%v)\nwant %s", got, err, want)
	}
	if got, err := Fill(data, f, bundle.FormatJSON, "", bundle.Values{}); err != nil || string(got) != string(data) {
		t.Fatalf("Fill with no values changed the file: %s (%v)", got, err)
	}
}

func TestInject(t *testing.T) {
	st := &state{gen: "x-1"}
	for _, tc := range []struct{ in, before string }{
		{"<html><body><p>hi</p></body></html>", "</body></html>"},
		{"<html><BODY>a</BODY>\n</html>", "</BODY>\n</html>"},
		{"<p>no body end", ""},
	} {
		out := string(inject([]byte(tc.in), st, "n0nce"))
		i := strings.Index(out, "<!-- "+Marker)
		if i < 0 || !strings.HasSuffix(out, tc.before) || !strings.Contains(out, `nonce="n0nce"`) {
			t.Errorf("inject(%q) = %q", tc.in, out)
		}
	}
}

// TestOverlayEscapes: the message and hint of a build error are text.
func TestOverlayEscapes(t *testing.T) {
	err := generator.ErrorList{{File: "content/<b>.md", Line: 3, Col: 1, Msg: `bad "<i>"`, Hint: "<script>"}}
	out := overlayHTML(err, true)
	if strings.Contains(out, "<b>") || strings.Contains(out, "<i>") || strings.Contains(out, "<script>") {
		t.Fatalf("overlay not escaped: %s", out)
	}
	if !strings.Contains(out, "content/&lt;b&gt;.md:3:1: ") {
		t.Fatalf("overlay has no file:line:col position: %s", out)
	}
}

// TestNoBundleContainsPreviewScript builds the default site in every format,
// compressed too, and scans every file for anything the preview adds.
func TestNoBundleContainsPreviewScript(t *testing.T) {
	bundles, err := generator.Build(os.DirFS(repoRoot), generator.Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(err)
	}
	needles := []string{Marker, EventsPath, "EventSource", "<script"}
	n := 0
	for _, b := range bundles {
		for name, data := range b.Files {
			n++
			for _, needle := range needles {
				if strings.Contains(strings.ToLower(string(data)), strings.ToLower(needle)) {
					t.Errorf("%s/%s contains %q", b.Manifest.Theme, name, needle)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no files built")
	}
	// The same scan finds the marker in what the preview serves.
	if !strings.Contains(string(inject([]byte("<body></body>"), &state{gen: "g"}, "n")), Marker) {
		t.Fatal("the preview's additions carry no marker")
	}
}

// TestFillMatchesServer: hostile request ids (ESC, U+202E, NUL, invalid
// UTF-8, markup that closes the slot's element or section, quotes) come out
// of the preview byte for byte as ouchie serve writes them, in every format.
// HTML differs only by what the preview injects for live reload.
func TestFillMatchesServer(t *testing.T) {
	site := copySite(t)
	s := open(t, site, WithThemes("classic"))
	st, _ := s.current()
	b := st.good.byTheme["classic"]
	srv, err := server.New(server.Config{Load: func() (*bundle.Bundle, error) { return b, nil }})
	if err != nil {
		t.Fatal(err)
	}
	for _, rid := range []string{
		"a\x1b[31mb", "\u202eevil", "nul\x00byte", "bad\xff\xfeutf8", "</pre><script>x</script>",
		"]]><x/>", `quote"s' and \\ back`, "line\nbreak\ttab", "\u2028\u2029",
	} {
		for _, format := range []string{"html", "json", "txt", "xml"} {
			path := "/502." + format
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.Header.Set("X-Request-Id", rid)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			want := w.Body.String()
			_, _, got := get(t, s.URL()+"classic"+path+"?request_id="+url.QueryEscape(rid))
			if format == "html" {
				// got is want with the preview's script inserted in one place.
				p := commonPrefix(got, want)
				q := commonPrefix(reverse(got[p:]), reverse(want[p:]))
				if p+q < len(want) {
					t.Errorf("%s, request id %q: the preview differs from the server at byte %d:\npreview %q\nserver  %q", format, rid, p, got[p:min(len(got), p+80)], want[p:min(len(want), p+80)])
				}
				continue
			}
			if got != want {
				t.Errorf("%s, request id %q:\npreview %q\nserver  %q", format, rid, got, want)
			}
		}
	}
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// TestGalleryBrands: ?brand= shows a brand's pages as it switches
// languages, with links to every brand; the brand's pages are served at
// /BRAND/THEME/FILE, with its settings and its own pages.
func TestGalleryBrands(t *testing.T) {
	dir := translatedSite(t)
	cfg := filepath.Join(dir, generator.ConfigName)
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "\nbrands:\n  - id: acme\n    brand:\n      name: Acme Shop\n    languages: [en, de]\n    match:\n      hosts: [acme.test]\n"+
		"  - id: beta\n    brand:\n      name: Beta Works\n"...)
	if err := os.WriteFile(cfg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "brands", "acme", "content"), 0o755); err != nil {
		t.Fatal(err)
	}
	page := "---\nstatus: 404\ntitle: Acme has no such page\nsummary: Nothing at Acme.\nsource: client\n---\nBack to the shop.\n"
	if err := os.WriteFile(filepath.Join(dir, "brands", "acme", "content", "404.md"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, WithThemes("classic"))

	_, _, site := get(t, s.URL())
	for _, brand := range []string{"default", "acme", "beta"} {
		if !strings.Contains(site, `<a href="/?brand=`+brand+`&amp;lang=en"`) {
			t.Errorf("the gallery does not link brand %s", brand)
		}
	}
	if !strings.Contains(site, `aria-current="page">default<`) || strings.Contains(site, "Acme has no such page") {
		t.Error("the gallery does not show the site itself first")
	}
	_, _, acme := get(t, s.URL()+"?brand=acme")
	if !strings.Contains(acme, `aria-current="page">acme<`) || !strings.Contains(acme, "ouchie preview · Acme Shop") ||
		!strings.Contains(acme, `href="/acme/classic/404.html"`) || !strings.Contains(acme, "Acme has no such page") {
		t.Error("?brand=acme does not show acme's pages")
	}
	if !strings.Contains(acme, `<a href="/?brand=acme&amp;lang=de"`) || strings.Contains(acme, `lang=ar"`) {
		t.Error("?brand=acme does not link acme's languages, and only those")
	}
	if _, _, de := get(t, s.URL()+"?brand=acme&lang=de"); !strings.Contains(de, `href="/acme/classic/404.de.html"`) || !strings.Contains(de, "Seite nicht gefunden") {
		t.Error("?brand=acme&lang=de does not list acme's German 404")
	}
	if _, _, unknown := get(t, s.URL()+"?brand=nope"); !strings.Contains(unknown, `aria-current="page">default<`) {
		t.Error("?brand=nope does not show the site itself")
	}

	code, _, p := get(t, s.URL()+"acme/classic/404.html")
	if code != 404 || !strings.Contains(p, "Acme has no such page") || !strings.Contains(p, "Acme Shop") {
		t.Errorf("acme/classic/404.html: status %d, not acme's page", code)
	}
	if code, _, p := get(t, s.URL()+"beta/classic/404.html"); code != 404 || !strings.Contains(p, "Beta Works") {
		t.Errorf("beta/classic/404.html: status %d, not beta's page", code)
	}
	if _, _, p := get(t, s.URL()+"classic/404.html"); strings.Contains(p, "Acme") {
		t.Error("the site's own 404 shows a brand")
	}
	if code, _, _ := get(t, s.URL()+"nope/classic/404.html"); code != 404 {
		t.Errorf("an unknown brand's page: status %d", code)
	}
}
