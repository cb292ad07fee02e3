package generator

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ouchie/ouchie/generator/bundle"
)

// defaultSite is the repository's own site, the one embedded in the binary.
func defaultSite() *os.Root {
	r, err := os.OpenRoot("..")
	if err != nil {
		panic(err)
	}
	return r
}

// TestDefaultSite builds the default site with every theme and format and
// checks what every page must be: complete catalog, small, self-contained.
func TestDefaultSite(t *testing.T) {
	root := defaultSite()
	defer root.Close()
	bundles, err := Build(root.FS(), Options{Formats: bundle.Formats})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	if len(bundles) < 1 {
		t.Fatal("no themes")
	}
	checkSizes(t, bundles)
	wantIDs := []string{"400", "401", "403", "404", "405", "408", "410", "413", "414", "429", "431",
		"500", "501", "502", "503", "504", "505", "4xx", "5xx",
		"500-application-error", "502-app-failed-to-boot", "502-app-crashed", "502-app-failed-to-respond",
		"502-request-timeout", "504-backlog-too-deep", "422-maintenance-mode", "503-platform-error"}
	wantAliases := map[string]string{"H10": "502-app-crashed", "H11": "504-backlog-too-deep", "H12": "502-request-timeout",
		"H13": "502-app-failed-to-respond", "H20": "502-app-failed-to-boot", "H80": "422-maintenance-mode",
		"H99": "503-platform-error", "maintenance": "422-maintenance-mode"}
	for _, b := range bundles {
		theme := b.Manifest.Theme
		for _, id := range wantIDs {
			if _, ok := b.Page(id); !ok {
				t.Errorf("%s: no page %s", theme, id)
			}
		}
		for alias, id := range wantAliases {
			p, ok := b.Page(id)
			if !ok || !containsFold(p.Aliases, alias) {
				t.Errorf("%s: alias %s does not select %s", theme, alias, id)
			}
		}
		for _, p := range b.Manifest.Pages {
			html := b.Files[p.Files["html"].Name]
			low := bytes.ToLower(html)
			// An inline data: icon is the one <link> allowed: it keeps browsers
			// from asking the failing site for /favicon.ico.
			low = bytes.ReplaceAll(low, []byte(`<link rel="icon" href="data:`), nil)
			for _, bad := range []string{"<script", "<link", "<iframe", "@import", "src=\"http", "url(http"} {
				if bytes.Contains(low, []byte(bad)) {
					t.Errorf("%s/%s.html contains %s: pages must be self-contained, script-free", theme, p.ID, bad)
				}
			}
			// Heroku frames the page: its links must open outside the frame.
			if !bytes.Contains(html, []byte(`<base target="_top">`)) {
				t.Errorf("%s/%s.html: no <base target=\"_top\">, so links would open inside a router's iframe", theme, p.ID)
			}
			if !bytes.Contains(html, []byte(p.Title)) && !bytes.Contains(html, []byte(htmlEscape(p.Title))) {
				t.Errorf("%s/%s.html does not show its title %q", theme, p.ID, p.Title)
			}
			hasCrash := false
			for _, s := range p.Files["html"].Slots {
				hasCrash = hasCrash || s.Name == bundle.SlotCrashlog
			}
			if hasCrash != p.Crashlog {
				t.Errorf("%s/%s.html: crashlog slot present=%v, page crashlog=%v", theme, p.ID, hasCrash, p.Crashlog)
			}
			var j map[string]any
			if err := json.Unmarshal(b.Files[p.Files["json"].Name], &j); err != nil {
				t.Errorf("%s/%s.json: %v", theme, p.ID, err)
			} else if j["id"] != p.ID || j["status"] != float64(p.Status) {
				t.Errorf("%s/%s.json: id %v status %v", theme, p.ID, j["id"], j["status"])
			}
			http := b.Files[p.Files["http"].Name]
			if !bytes.HasPrefix(http, []byte("HTTP/1.0 ")) || !bytes.Contains(http, []byte("\r\n\r\n")) {
				t.Errorf("%s/%s.http is not a raw HTTP/1.0 response", theme, p.ID)
			}
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// defaultSiteMap copies the default site into a MapFS, to lay files over.
func defaultSiteMap(t *testing.T) fstest.MapFS {
	t.Helper()
	root := defaultSite()
	defer root.Close()
	m := fstest.MapFS{}
	for _, top := range []string{ConfigName, "logo.svg", "content", "themes"} {
		err := fs.WalkDir(root.FS(), top, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(root.FS(), p)
			m[p] = &fstest.MapFile{Data: data, Mode: 0o644}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// Right-to-left pages say so on <html>, in every theme; their crash log,
// like every log, stays left to right.
func TestDefaultThemesRightToLeft(t *testing.T) {
	site := defaultSiteMap(t) // Arabic and Hebrew among its languages
	s, err := Load(site)
	if err != nil {
		t.Fatal(formatErr(err))
	}
	bundles, err := s.Build(Options{})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	checkSizes(t, bundles)
	for _, b := range bundles {
		ar := string(b.Files["502-app-failed-to-boot.ar.html"])
		he := string(b.Files["404.he.html"])
		en := string(b.Files["502-app-failed-to-boot.html"])
		if !strings.Contains(ar, `<html lang="ar" dir="rtl">`) || !strings.Contains(he, `<html lang="he" dir="rtl">`) {
			t.Errorf("%s: a right-to-left page is not marked dir=\"rtl\"", b.Manifest.Theme)
		}
		if !strings.Contains(en, `<html lang="en" dir="ltr">`) {
			t.Errorf("%s: an English page is not marked dir=\"ltr\"", b.Manifest.Theme)
		}
		if !regexp.MustCompile(`<pre [^>]*dir="ltr"`).MatchString(ar) {
			t.Errorf("%s: the crash log of a right-to-left page is not dir=\"ltr\"", b.Manifest.Theme)
		}
	}
}

// The default themes lay pages out with logical properties (inline-start,
// not left), so a right-to-left page is a mirror of a left-to-right one.
func TestDefaultThemesUseLogicalProperties(t *testing.T) {
	physical := regexp.MustCompile(`(?i)(?:margin|padding|border|inset)-(?:left|right)\b|\b(?:float|clear|text-align)\s*:\s*(?:left|right)\b|(?:^|[;{\s])(?:left|right)\s*:`)
	site := defaultSiteMap(t)
	for _, name := range slices.Sorted(maps.Keys(site)) {
		if !strings.HasPrefix(name, "themes/") || (path.Ext(name) != ".css" && path.Ext(name) != ".html") {
			continue
		}
		for i, line := range strings.Split(string(site[name].Data), "\n") {
			if m := physical.FindString(line); m != "" {
				t.Errorf("%s:%d: %q: use the logical property (inline-start/end)", name, i+1, strings.TrimSpace(m))
			}
		}
	}
}
