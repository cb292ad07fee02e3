package generator

import (
	"testing"
	"testing/fstest"
)

// A page as Skeleton writes it is valid, but every piece of its placeholder
// text is a warning at its line; once replaced, none is left.
func TestSkeletonPlaceholdersWarn(t *testing.T) {
	for _, id := range []string{"503-payment-provider-down", "418", "4xx"} {
		page, ok := Skeleton(id)
		if !ok {
			t.Fatalf("Skeleton(%q) refused", id)
		}
		site := baseSite(t)
		file := "content/" + id + ".md"
		site[file] = &fstest.MapFile{Data: page}
		s, err := Load(site)
		if err != nil {
			t.Fatalf("%s: %s", id, formatErr(err))
		}
		want := "content/" + id + ".md:4:10: summary is still the placeholder\n" +
			"hint: replace the text `ouchie new` wrote with the page's own\n" +
			"content/" + id + ".md:10:1: placeholder text \"What the visitor can do now, in a sentence or two.\"\n" +
			"hint: replace the text `ouchie new` wrote with the page's own\n" +
			"content/" + id + ".md:14:1: placeholder text \"- What to check first.\"\n" +
			"hint: replace the text `ouchie new` wrote with the page's own\n"
		if got := formatErr(s.Warnings); got != want {
			t.Errorf("%s: warnings\n%s\nwant\n%s", id, got, want)
		}
	}
	if _, ok := Skeleton("302"); ok {
		t.Error("Skeleton(302) wrote a page check would refuse")
	}
	s, err := Load(baseSite(t))
	if err != nil || len(s.Warnings) != 0 {
		t.Errorf("base site: err %v, warnings %v", err, s.Warnings)
	}
}
