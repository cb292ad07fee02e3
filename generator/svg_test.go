package generator

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/rogpeppe/go-internal/txtar"
)

// svgVector returns what in a rewritten SVG could run script or fetch
// something, or "".
func svgVector(svg string) string {
	lower := strings.ToLower(svg)
	for _, bad := range []string{"<script", "<foreignobject", "<iframe", "<img", "<!entity", "<!doctype"} {
		if strings.Contains(lower, bad) {
			return bad
		}
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	var stack []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return ""
		}
		if err != nil {
			return "not well-formed: " + err.Error()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if !svgElements[t.Name.Local] {
				return "element " + t.Name.Local
			}
			for _, a := range t.Attr {
				v := strings.ToLower(strings.Join(strings.Fields(a.Value), ""))
				switch {
				case strings.HasPrefix(strings.ToLower(a.Name.Local), "on"):
					return "event handler " + a.Name.Local
				case strings.Contains(v, "javascript"):
					return "javascript in " + a.Name.Local
				case a.Name.Local == "href" && !strings.HasPrefix(v, "#") && !(t.Name.Local == "a" && strings.HasPrefix(v, "https://")):
					return "reference " + a.Value
				case a.Name.Local != "href" && cssVector(v) != "":
					return cssVector(v) + " in " + a.Name.Local
				case t.Name.Local == "set" || strings.HasPrefix(t.Name.Local, "animate"):
					if a.Name.Local == "attributeName" && (strings.Contains(v, "href") || strings.HasPrefix(v, "on")) {
						return "animation of " + a.Value
					}
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1] == "style" {
				if v := cssVector(strings.ToLower(string(t))); v != "" {
					return v + " in <style>"
				}
			}
		}
	}
}

var cssFetch = regexp.MustCompile(`@import|url\(\s*['"]?\s*[^#'"\s]|image-set|\\`)

func cssVector(css string) string { return cssFetch.FindString(css) }

// attacks returns the SVG files of testdata/svg/attacks.txtar by name.
func attacks(t *testing.T) map[string][]byte {
	t.Helper()
	a, err := txtar.ParseFile("testdata/svg/attacks.txtar")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range a.Files {
		m[f.Name] = bytes.TrimSpace(f.Data)
	}
	return m
}

// Each attack, as a logo and as an illustration, is refused or built into
// pages whose SVG can neither run script nor fetch anything.
func TestSVGAttacksBuildHarmless(t *testing.T) {
	for name, svg := range attacks(t) {
		t.Run(name, func(t *testing.T) {
			site := baseSite(t)
			site["logo.svg"].Data = svg
			site["content/drawing.svg"] = site["logo.svg"]
			site["content/404.md"].Data = bytes.Replace(site["content/404.md"].Data,
				[]byte("source: client\n"), []byte("source: client\nillustration: drawing.svg\n"), 1)
			bundles, err := Build(site, Options{Formats: bundle.Formats})
			if err != nil {
				var list ErrorList
				if !errors.As(err, &list) || len(list) != 2 {
					t.Fatalf("want the logo and the illustration refused, got:\n%s", formatErr(err))
				}
				return
			}
			clean, err := sanitizeSVG(svg)
			if err != nil {
				t.Fatal(err)
			}
			if v := svgVector(string(clean)); v != "" {
				t.Errorf("rewritten SVG keeps %s:\n%s", v, clean)
			}
			for _, b := range bundles {
				for file, data := range b.Files {
					if strings.HasSuffix(file, ".html") && bytes.Contains(data, []byte("PWNED")) && !bytes.Contains(data, []byte(clean)) {
						t.Errorf("%s carries the attack other than as rewritten", file)
					}
				}
			}
		})
	}
}

// A clean file is written back as it was: the default site's logo and
// illustration, and the SVG a design tool exports, less its metadata.
func TestSVGKeepsCleanFiles(t *testing.T) {
	for _, file := range []string{"../logo.svg", "../content/platform-error.svg"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sanitizeSVG(data)
		if err != nil {
			t.Fatal(err)
		}
		if want := string(bytes.TrimSpace(data)); string(got) != want {
			t.Errorf("%s changed:\n got %s\nwant %s", file, got, want)
		}
	}
	a, err := txtar.ParseFile("testdata/svg/clean.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(a.Files); i += 2 {
		in, want := a.Files[i], a.Files[i+1]
		got, err := sanitizeSVG(in.Data)
		if err != nil {
			t.Errorf("%s: %v", in.Name, err)
			continue
		}
		if string(got) != strings.TrimSpace(string(want.Data)) {
			t.Errorf("%s:\n got %s\nwant %s", in.Name, got, want.Data)
		}
	}
}
