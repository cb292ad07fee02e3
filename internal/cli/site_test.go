package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator"
	"github.com/ouchie/ouchie/generator/bundle"
)

// A site is often someone else's repository: a symlink in it must not make
// the build read, and publish, a file from outside the site.
func TestSiteSymlinksOutOfTheSiteAreErrors(t *testing.T) {
	outside := t.TempDir()
	const secret = "SECRET-OUTSIDE-THE-SITE"
	for link, data := range map[string]string{
		"themes/classic/assets/style.css":             "body { color: red } /* " + secret + " */",
		"themes/classic/layouts/partials/footer.html": "<footer>" + secret + "</footer>",
		"content/404.md":                              "---\nstatus: 404\ntitle: Not found\nsummary: " + secret + "\nsource: client\n---\n" + secret + "\n",
		"logo.svg":                                    `<svg xmlns="http://www.w3.org/2000/svg"><title>` + secret + `</title></svg>`,
	} {
		t.Run(strings.ReplaceAll(link, "/", "_"), func(t *testing.T) {
			site := t.TempDir()
			if _, err := generator.CopySite(repoSite, site); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(outside, filepath.Base(link))
			if err := os.WriteFile(target, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			at := filepath.Join(site, filepath.FromSlash(link))
			if err := os.Remove(at); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, at); err != nil {
				t.Fatal(err)
			}

			fsys, _, err := SiteFlag{Src: site}.open(&Env{})
			if err != nil {
				t.Fatal(err)
			}
			s, err := generator.Load(fsys)
			if err == nil {
				var bundles []*bundle.Bundle
				bundles, err = s.Build(generator.Options{})
				for _, b := range bundles {
					for name, data := range b.Files {
						if bytes.Contains(data, []byte(secret)) {
							t.Fatalf("%s/%s holds a file from outside the site", b.Manifest.Theme, name)
						}
					}
				}
			}
			var list generator.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an error at %s, got %v", link, err)
			}
			for _, e := range list {
				// The logo's error is at its field in ouchie.yaml, naming the file.
				if (e.File == link || strings.Contains(e.Msg, link)) && strings.Contains(e.Msg, "escapes") {
					return
				}
			}
			t.Errorf("no error at %s saying it leads out of the site; got:\n%v", link, err)
		})
	}
}
