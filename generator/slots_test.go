package generator

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestSlotOutsideHTMLText: a slot a theme puts where html/template escapes
// it (a URL) would never be found by a server, and one it leaves alone in a
// style, a script or an attribute would have the server write a request's
// value into CSS, script or markup: the build refuses both. HTML text,
// including a title's, and text after a style or script are fine.
func TestSlotOutsideHTMLText(t *testing.T) {
	for name, c := range map[string]struct{ footer, want string }{
		"URL":          {`<a href="/x?id={{ slot "request_id" }}">x</a>`, "slot marker cut apart"},
		"query":        {`<a href="/x?{{ whenslot "request_id" }}id={{ slot "request_id" }}{{ endslot }}">x</a>`, "slot marker cut apart"},
		"script":       {`<script>var id = "{{ slot "request_id" }}";</script>`, "slot marker inside <script>"},
		"style":        {`<STYLE media="all">p::after{content:"{{ slot "request_id" }}"}</STYLE>`, "slot marker inside <style>"},
		"style attr":   {`<p style="width:{{ slot "request_id" }}px">x</p>`, "slot marker inside a tag"},
		"title attr":   {`<p title="{{ slot "request_id" }}">x</p>`, "slot marker inside a tag"},
		"after style":  {`<style>p{color:red}</style><p>{{ slot "request_id" }}</p><styles>`, ""},
		"after script": {`<script>if (a<b) {}</script><p>{{ slot "request_id" }}</p>`, ""},
		"text":         {`<p data-x="1>2">{{ whenslot "request_id" }}ID <code>{{ slot "request_id" }}</code>{{ endslot }}</p>`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			site := baseSite(t)
			site["themes/plain/layouts/partials/footer.html"] = &fstest.MapFile{Data: []byte("<footer>" + c.footer + "</footer>")}
			_, err := Build(site, Options{})
			got := formatErr(err)
			if c.want == "" && err != nil || c.want != "" && !strings.Contains(got, c.want) {
				t.Errorf("want %q, got:\n%s", c.want, got)
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
