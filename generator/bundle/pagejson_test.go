package bundle

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestAppendPageJSON: AppendPageJSON writes what json.MarshalIndent writes,
// for pages with every field set (found by reflection, so a field added to
// Page, File or Slot and not to the encoder fails here), every field empty,
// and random pages with strings that need escaping.
func TestAppendPageJSON(t *testing.T) {
	var full Page
	fill(reflect.ValueOf(&full).Elem(), 0)
	pages := []*Page{&full, {}, {Files: map[string]File{}}, {Aliases: []string{}, Files: map[string]File{"html": {}}}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		pages = append(pages, randomPage(r))
	}
	for i, p := range pages {
		for _, prefix := range []string{"", "    "} {
			want, err := json.MarshalIndent(p, prefix, "  ")
			if err != nil {
				t.Fatal(err)
			}
			if got := AppendPageJSON([]byte("x"), p, prefix); !bytes.Equal(got[1:], want) || got[0] != 'x' {
				t.Fatalf("page %d, prefix %q:\n%s\nwant\n%s", i, prefix, got, want)
			}
		}
	}
}

// fill sets every field of v, recursively, to a value that is not empty.
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s<&>\"\\é\u2028" + v.Type().Name())
	case reflect.Int:
		v.SetInt(int64(42 + depth))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), depth+1)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"json", "html"} {
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, depth+1)
			m.SetMapIndex(reflect.ValueOf(k), e)
		}
		v.Set(m)
	default:
		panic("fill: no value for a " + v.Kind().String())
	}
}

var randomStrings = []string{"", "404", "Not found", "Seite nicht gefunden", "ページが見つかりません",
	"<b>&amp;</b>", "a\"b\\c", "tab\there", "line\nbreak", "\x00\x1f\x7f", "bad \xff utf-8", "\u2028\u2029",
	"<p class=\"rid\">Request ID: <code>", "</code></p>\n", "emoji 🙂"}

func randomPage(r *rand.Rand) *Page {
	s := func() string { return randomStrings[r.IntN(len(randomStrings))] }
	p := &Page{ID: s(), Lang: s(), Status: r.IntN(700) - 50, Variant: s(), Fallback: r.IntN(2) == 0,
		Source: s(), Title: s(), Summary: s(), Crashlog: r.IntN(2) == 0, RetryAfter: r.IntN(3) * 60}
	for range r.IntN(3) {
		p.Aliases = append(p.Aliases, s())
	}
	if r.IntN(5) > 0 {
		p.Files = map[string]File{}
		for _, format := range Formats[:r.IntN(len(Formats)+1)] {
			f := File{Name: s(), Size: r.IntN(20000), SHA256: s()}
			for range r.IntN(3) {
				f.Slots = append(f.Slots, Slot{Name: s(), Offset: r.IntN(9000), Len: r.IntN(3), Before: s(), After: s()})
			}
			if r.IntN(2) == 0 {
				f.Encodings = []string{"br", "gzip"}
			}
			p.Files[format] = f
		}
	}
	return p
}
