package generator

import (
	"encoding/json"
	"github.com/ouchie/ouchie/generator/bundle"
	"strings"
	"testing"
)

func TestAddTarget(t *testing.T) {
	for _, target := range Targets {
		t.Run(target, func(t *testing.T) {
			bundles, err := Build(baseSite(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			b := bundles[0]
			if err := AddTarget(b, target); err != nil {
				t.Fatal(err)
			}
			boot, _ := b.Page("502-app-failed-to-boot")
			want := string(b.Files[boot.Files["html"].Name])
			for _, name := range []string{"app-failed-to-boot.html", "H20.html", "notfound.html"} {
				if _, ok := b.Files[name]; !ok {
					t.Errorf("no %s", name)
				}
			}
			if string(b.Files["H20.html"]) != want {
				t.Error("H20.html is not the app-failed-to-boot page")
			}
			switch target {
			case "netlify", "cloudflare":
				h := string(b.Files["_headers"])
				for _, want := range []string{"/*.json\n  Content-Type: application/json\n", "  X-Content-Type-Options: nosniff\n", "/*.txt\n  Content-Type: text/plain; charset=utf-8\n"} {
					if !strings.Contains(h, want) {
						t.Errorf("_headers lacks %q:\n%s", want, h)
					}
				}
			case "github-pages":
				if _, ok := b.Files[".nojekyll"]; !ok {
					t.Error("no .nojekyll")
				}
			case "s3":
				var cf struct {
					Quantity int
					Items    []struct {
						ErrorCode        int
						ResponsePagePath string
						ResponseCode     string
					}
				}
				if err := json.Unmarshal(b.Files["cloudfront-error-responses.json"], &cf); err != nil {
					t.Fatal(err)
				}
				if cf.Quantity != len(cf.Items) || cf.Quantity == 0 {
					t.Fatalf("quantity %d, items %d", cf.Quantity, len(cf.Items))
				}
				got := map[int]string{}
				for _, it := range cf.Items {
					got[it.ErrorCode] = it.ResponsePagePath
				}
				if got[404] != "/404.html" || got[502] != "/5xx.html" || got[403] != "/4xx.html" {
					t.Errorf("error responses %v", got)
				}
			}
		})
	}
	bundles, _ := Build(baseSite(t), Options{})
	if err := AddTarget(bundles[0], "geocities"); err == nil {
		t.Error("unknown target accepted")
	}
}

// A static host gets each translation under its router keys too, named as
// its page files are (H20.de.html), and CloudFront the default language.
func TestAddTargetTranslations(t *testing.T) {
	for _, target := range Targets {
		_, b := buildLangSite(t)
		if err := AddTarget(b, target); err != nil {
			t.Fatal(err)
		}
		for copy, of := range map[string]string{"notfound.html": "404.html", "notfound.de.html": "404.de.html", "notfound.ar.html": "404.ar.html", "H20.html": "502-app-failed-to-boot.html"} {
			if got, ok := b.Files[copy]; !ok || string(got) != string(b.Files[of]) {
				t.Errorf("%s: %s is not a copy of %s", target, copy, of)
			}
		}
		if _, ok := b.Files["H20.de.html"]; ok {
			t.Errorf("%s: H20.de.html written for a page with no German translation", target)
		}
		if cf, ok := b.Files["cloudfront-error-responses.json"]; ok && strings.Contains(string(cf), ".de.html") {
			t.Errorf("CloudFront's error responses name a translation:\n%s", cf)
		}
	}
}

// --target netlify writes _redirects rules serving the 404 page in the
// visitor's language, one per translation of 404, regional and script tags
// before bare ones (zh-TW must find zh-Hant before zh finds zh-Hans);
// Cloudflare Pages, which has no Language= condition, gets none.
func TestNetlifyRedirects(t *testing.T) {
	site := langSite(t)
	yaml := string(site["ouchie.yaml"].Data)
	site["ouchie.yaml"].Data = []byte(strings.Replace(yaml, "languages: [en, de, ar]", "languages: [en, de, ar, fr, pt-BR, zh-Hans, zh-Hant]", 1))
	for _, lang := range []string{"pt-BR", "zh-Hans", "zh-Hant"} {
		site["content/404."+lang+".md"] = site["content/404.de.md"]
	}
	for target, want := range map[string]string{
		"netlify": `# Written by ouchie build --target netlify: the 404 page in the visitor's
# language; anyone else gets 404.html.
/*  /404.de.html  404  Language=de
/*  /404.ar.html  404  Language=ar
/*  /404.pt-BR.html  404  Language=pt-br
/*  /404.zh-Hans.html  404  Language=zh-hans,zh-cn,zh-sg
/*  /404.zh-Hant.html  404  Language=zh-hant,zh-tw,zh-hk,zh-mo
/*  /404.pt-BR.html  404  Language=pt
/*  /404.zh-Hans.html  404  Language=zh
`,
		"cloudflare": "",
	} {
		_, b := buildSite(t, site)
		if err := AddTarget(b, target); err != nil {
			t.Fatal(err)
		}
		if got := string(b.Files["_redirects"]); got != want {
			t.Errorf("--target %s: _redirects\n%s\nwant\n%s", target, got, want)
		}
		for _, line := range strings.Split(strings.TrimSpace(want), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if file := strings.Fields(line)[1][1:]; b.Files[file] == nil {
				t.Errorf("--target %s: _redirects names %s, which is not in the bundle", target, file)
			}
		}
	}

	// A site whose 404 has no translation gets no _redirects.
	b := buildLangSiteWithout(t, "content/404.de.md", "content/404.ar.md")
	if err := AddTarget(b, "netlify"); err != nil {
		t.Fatal(err)
	}
	if r, ok := b.Files["_redirects"]; ok {
		t.Errorf("_redirects written for an untranslated 404:\n%s", r)
	}
}

// buildLangSiteWithout builds the language test site without some files.
func buildLangSiteWithout(t *testing.T, names ...string) *bundle.Bundle {
	t.Helper()
	site := langSite(t)
	for _, n := range names {
		delete(site, n)
	}
	_, b := buildSite(t, site)
	return b
}
