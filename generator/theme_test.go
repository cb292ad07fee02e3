package generator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ouchie/ouchie/generator/bundle"
)

func TestThemeExtendsAndSiteOverrides(t *testing.T) {
	site := baseSite(t)
	site["themes/child/theme.yaml"] = &fstest.MapFile{Data: []byte("name: child\nextends: plain\n")}
	site["themes/child/layouts/partials/footer.html"] = &fstest.MapFile{Data: []byte(`<footer>child footer {{ slot "request_id" }}</footer>`)}
	bundles, err := Build(site, Options{Themes: []string{"child", "plain"}})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	page := func(i int) string {
		p, _ := bundles[i].Page("404")
		return string(bundles[i].Files[p.Files["html"].Name])
	}
	if !strings.Contains(page(0), "child footer") || !strings.Contains(page(0), "<h1>Page not found</h1>") {
		t.Errorf("child theme: want its own footer and the parent's page layout:\n%s", page(0))
	}
	if strings.Contains(page(1), "child footer") {
		t.Error("the parent theme picked up its child's partial")
	}

	// A site's layouts/ overrides one partial of every theme, without copying it.
	site["layouts/partials/footer.html"] = &fstest.MapFile{Data: []byte(`<footer>site footer</footer>`)}
	bundles, err = Build(site, Options{Themes: []string{"child", "plain"}})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	for i := range bundles {
		if !strings.Contains(page(i), "site footer") {
			t.Errorf("%s: site override not applied", bundles[i].Manifest.Theme)
		}
	}
}

func TestPerPageLayout(t *testing.T) {
	site := baseSite(t)
	site["themes/plain/layouts/503-platform-error.html"] = &fstest.MapFile{Data: []byte(`{{ define "main" }}<h1>special {{ .Page.Title }}</h1>{{ .Page.Illustration }}{{ end }}`)}
	bundles, err := Build(site, Options{})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	p, _ := bundles[0].Page("503-platform-error")
	html := string(bundles[0].Files[p.Files["html"].Name])
	if !strings.Contains(html, "<h1>special Platform trouble</h1>") || !strings.Contains(html, "<circle") {
		t.Errorf("per-page layout not used:\n%s", html)
	}
	p, _ = bundles[0].Page("404")
	if strings.Contains(string(bundles[0].Files[p.Files["html"].Name]), "special") {
		t.Error("per-page layout leaked into another page")
	}
}

// generatedSite is the base site plus n extra variant pages.
func generatedSite(t testing.TB, n int) fstest.MapFS {
	site := baseSite(t)
	for i := range n {
		id := fmt.Sprintf("5%02d-generated-%d", i%100, i)
		site["content/"+id+".md"] = &fstest.MapFile{Data: fmt.Appendf(nil,
			"---\nstatus: %d\ntitle: Generated page %d\nsummary: A page made by the benchmark.\nsource: app\naliases: [gen%d]\n---\nSome *Markdown* with a [link](https://example.com/%d).\n\n## For the app's developer\n\n- One thing.\n- Another \"thing\".\n",
			500+i%100, i, i, i)}
	}
	return site
}

func TestGeneratedSite(t *testing.T) {
	site := generatedSite(t, 300)
	bundles, err := Build(site, Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	if n := len(bundles[0].Manifest.Pages); n != 305 {
		t.Fatalf("%d pages", n)
	}
}

// TestLabels: a site's labels replace the English words around its pages,
// in the theme (SourceLabel, .Site.Labels) and in the text format.
func TestLabels(t *testing.T) {
	site := baseSite(t)
	site["ouchie.yaml"].Data = append(site["ouchie.yaml"].Data, []byte(`labels:
  whose_problem: "Wessen Problem:"
  source_app: Die Anwendung
  request_id: Anfrage-ID
`)...)
	site["themes/plain/layouts/partials/footer.html"].Data = []byte(`<footer>{{ .Site.Labels.RequestID }}: {{ slot "request_id" }} · {{ .Site.Labels.Support }}</footer>`)
	bundles, err := Build(site, Options{Formats: []string{"html", "txt"}})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	p, _ := bundles[0].Page("502-app-failed-to-boot")
	html := string(bundles[0].Files[p.Files["html"].Name])
	txt := string(bundles[0].Files[p.Files["txt"].Name])
	for _, want := range []string{"Die Anwendung: The app crashed", "Anfrage-ID: ", "· Support</footer>"} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if want := "Wessen Problem: Die Anwendung\n"; !strings.Contains(txt, want) {
		t.Errorf("txt lacks %q:\n%s", want, txt)
	}
	// The request id's label goes out with a request id only.
	rid := slices.IndexFunc(p.Files["txt"].Slots, func(s bundle.Slot) bool { return s.Name == bundle.SlotRequestID })
	if rid < 0 || p.Files["txt"].Slots[rid].Before != "Anfrage-ID: " {
		t.Errorf("txt slots %+v: want the request id's before to be the label", p.Files["txt"].Slots)
	}
}
