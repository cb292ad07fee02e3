package generator

import (
	"encoding/json"
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
