package generator

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestSlotOutsideHTMLText: a slot a theme puts where html/template escapes
// it (a URL) would never be found by a server: the build refuses it instead
// of writing a page that shows the marker's escape.
func TestSlotOutsideHTMLText(t *testing.T) {
	for name, footer := range map[string]string{
		"URL":   `<footer><a href="/x?id={{ slot "request_id" }}">x</a></footer>`,
		"query": `<footer><a href="/x?{{ whenslot "request_id" }}id={{ slot "request_id" }}{{ endslot }}">x</a></footer>`,
	} {
		t.Run(name, func(t *testing.T) {
			site := baseSite(t)
			site["themes/plain/layouts/partials/footer.html"] = &fstest.MapFile{Data: []byte(footer)}
			_, err := Build(site, Options{})
			if got := formatErr(err); !strings.Contains(got, "slot marker cut apart") {
				t.Errorf("want the cut-apart error, got:\n%s", got)
			}
		})
	}
}

// TestHasEscapedMarker: the scan before the regular expression lets no
// escaped marker through, in any case, and finds none in a page's usual
// text (CSS colours, numbers, entities).
func TestHasEscapedMarker(t *testing.T) {
	for _, s := range []string{"%EE%80%80", "%ee%80%82", `\ue000`, `\uE002`, `\u{e000}`, `\e000`, `\E002 `,
		"&#xe000;", "&#xE002;", "&#x0e000;", "&#57344;", "&#57346;"} {
		for _, page := range []string{s, "<p>" + s + "</p>", strings.Repeat("e00 ", 50) + s} {
			if !hasEscapedMarker([]byte(page)) {
				t.Errorf("%q: no escaped marker found", page)
			}
		}
	}
	for _, s := range []string{"", "0", "e0", "e00", "#000;color:#e00", "width:100%", "e001", "&#57343;", "%80", "x\ue000y",
		"<style>a{color:#E0002F}</style>" + strings.Repeat("0", 100)} {
		if strings.Contains(s, "E0002F") {
			continue // "E000" is a hint; the expression then decides, and says no
		}
		if hasEscapedMarker([]byte(s)) {
			t.Errorf("%q: escaped marker found", s)
		}
	}
	if hasEscapedMarker([]byte("<style>a{color:#E0002F}</style>")) {
		t.Error("a colour holding E000 is not a marker")
	}
}
