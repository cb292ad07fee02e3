package browsertest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ouchie/ouchie/generator"
)

// svgAttacks holds the SVG files an attacker might offer as a logo.
const svgAttacks = "../../generator/testdata/svg/attacks.txtar"

// attackJS clicks every link of every SVG (the theme's own links disabled), waits for what a click or an
// animation would run, and reports the title and what is left in the SVGs
// that could run script or fetch something, as Chromium parsed the page.
const attackJS = `(async () => {
  // The theme's own links (the logo links home) must not take the click.
  for (const a of document.querySelectorAll("a")) if (!(a instanceof SVGElement)) a.removeAttribute("href");
  for (const a of document.querySelectorAll("svg a")) {
    a.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true, view: window}));
  }
  await new Promise(r => setTimeout(r, 300));
  const vectors = [];
  for (const el of document.querySelectorAll("svg, svg *")) {
    const name = el.localName.toLowerCase();
    if (["script", "foreignobject", "iframe", "img", "object", "embed"].includes(name)) vectors.push("element " + name);
    for (const at of el.attributes) {
      const v = at.value.replace(/[\s\x00-\x1f]/g, "").toLowerCase();
      if (at.name.startsWith("on")) vectors.push("attribute " + at.name);
      if (v.includes("javascript:")) vectors.push(at.name + "=" + at.value);
      if (/href$/.test(at.name) && !v.startsWith("#") && !v.startsWith("https:") && !v.startsWith("data:image/png")) vectors.push(at.name + "=" + at.value);
      if (/url\((?!['"]?#)|@import|\\/.test(v)) vectors.push(at.name + "=" + at.value);
    }
    if (name === "style" && /url\((?!['"]?#)|@import|\\/i.test(el.textContent)) vectors.push("style " + el.textContent);
  }
  return {title: document.title, vectors};
})()`

type attackState struct {
	Title   string   `json:"title"`
	Vectors []string `json:"vectors"`
}

// openAttack loads a static page from disk, with no CSP to stop anything,
// runs attackJS and returns its result and the page's other requests.
func openAttack(t *testing.T, ctx context.Context, rec *recorder, file string) (attackState, []string) {
	t.Helper()
	url := "file://" + file
	rec.take()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[attackState](attackJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	requests, _ := rec.take()
	var other []string
	for _, r := range requests {
		if r != url && !strings.HasPrefix(r, "data:") {
			other = append(other, r)
		}
	}
	return st, other
}

// TestSVGAttacksRunNoScript builds the default site with each attack as its
// logo and opens the static page in Chromium: no script may run (the title
// stays), nothing may be fetched, and nothing that could do either may be
// left in the page. The same files inlined as they are show that the test
// sees script run when it does.
func TestSVGAttacksRunNoScript(t *testing.T) {
	ctx := newTab(t)
	rec := record(t, ctx)
	a, err := txtar.ParseFile(svgAttacks)
	if err != nil {
		t.Fatal(err)
	}
	attacks := map[string][]byte{}
	for _, f := range a.Files {
		attacks[strings.TrimSuffix(f.Name, ".svg")] = bytes.TrimSpace(f.Data)
	}

	t.Run("control", func(t *testing.T) {
		for _, name := range []string{"onload", "javascript-link-entities"} {
			file := filepath.Join(t.TempDir(), name+".html")
			page := "<!doctype html><html lang=en><title>control</title><body>" + string(attacks[name]) + "</body></html>"
			if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
			if st, _ := openAttack(t, ctx, rec, file); st.Title != "PWNED" {
				t.Errorf("%s inlined as is: title %q; the test cannot see script run", name, st.Title)
			}
		}
	})

	site := CopySite(t, repoRoot)
	for name, svg := range attacks {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(site, "logo.svg"), svg, 0o644); err != nil {
				t.Fatal(err)
			}
			fsys, err := generator.OpenDir(site)
			if err != nil {
				t.Fatal(err)
			}
			bundles, err := generator.Build(fsys, generator.Options{Themes: []string{"classic"}, Formats: []string{"html"}})
			if err != nil {
				if !strings.Contains(err.Error(), "logo logo.svg") {
					t.Fatalf("refused, but not for the logo: %v", err)
				}
				return // refused: nothing to open
			}
			out := t.TempDir()
			if _, err := generator.WriteOut(out, bundles); err != nil {
				t.Fatal(err)
			}
			st, other := openAttack(t, ctx, rec, filepath.Join(out, "classic", "404.html"))
			if st.Title == "PWNED" || st.Title == "" {
				t.Errorf("script ran: title %q", st.Title)
			}
			if len(st.Vectors) > 0 {
				t.Errorf("the page keeps %q", st.Vectors)
			}
			if len(other) > 0 {
				t.Errorf("the page fetched %q", other)
			}
		})
	}
}
