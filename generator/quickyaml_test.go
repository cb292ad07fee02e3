package generator

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// quickCases returns the front matters of testdata/quickyaml/<name>.txtar.
func quickCases(t testing.TB, name string) []txtar.File {
	t.Helper()
	a, err := txtar.ParseFile("testdata/quickyaml/" + name + ".txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Files) == 0 {
		t.Fatalf("%s.txtar holds no cases", name)
	}
	return a.Files
}

// TestQuickDecodeCases checks which front matters quickDecode reads and
// which it leaves to go-yaml's tree, and that what it reads it decodes as
// go-yaml does.
func TestQuickDecodeCases(t *testing.T) {
	for _, want := range []bool{true, false} {
		name := map[bool]string{true: "quick", false: "tree"}[want]
		for _, f := range quickCases(t, name) {
			for _, eol := range []string{"\n", "\r\n"} {
				src := bytes.ReplaceAll(f.Data, []byte("\n"), []byte(eol))
				t.Run(fmt.Sprintf("%s/%s/%q", name, f.Name, eol), func(t *testing.T) {
					var fm FrontMatter
					if _, ok := quickDecode(src, &fm); ok != want {
						t.Fatalf("quickDecode took it: %v, want %v", ok, want)
					}
					sameAsTree(t, src)
				})
			}
		}
	}
}

// TestQuickDecodeDefaultSite: every page of the default site, in every
// language, takes the quick path.
func TestQuickDecodeDefaultSite(t *testing.T) {
	root := defaultSite()
	defer root.Close()
	files, err := fs.Glob(root.FS(), ContentDir+"/*.md")
	if err != nil || len(files) < 27 {
		t.Fatalf("content/*.md: %d files, %v", len(files), err)
	}
	for _, file := range files {
		src, err := fs.ReadFile(root.FS(), file)
		if err != nil {
			t.Fatal(err)
		}
		fm, _, _, ok := splitFrontMatter(src)
		if !ok {
			t.Fatalf("%s: no front matter", file)
		}
		var m FrontMatter
		if _, ok := quickDecode(fm, &m); !ok {
			t.Errorf("%s: quickDecode left it to the tree:\n%s", path.Base(file), fm)
		}
	}
}

// FuzzQuickDecode: whatever quickDecode reads, go-yaml reads the same, into
// an empty page and into one with fields set already; what it declines it
// leaves untouched.
func FuzzQuickDecode(f *testing.F) {
	for _, name := range []string{"quick", "tree"} {
		for _, c := range quickCases(f, name) {
			f.Add(c.Data)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		sameAsTree(t, src)
	})
}

// sameAsTree checks quickDecode against decodeTree on src: a document
// quickDecode reads, go-yaml decodes without a message to the same fields,
// and the keys it reports set are the ones the tree has.
func sameAsTree(t *testing.T, src []byte) {
	t.Helper()
	for _, start := range []func() FrontMatter{
		func() FrontMatter { return FrontMatter{} },
		func() FrontMatter {
			return FrontMatter{Title: "set", Aliases: []string{"set"}, RetryAfter: 1, Crashlog: true}
		},
	} {
		quick, tree := start(), start()
		keys, ok := quickDecode(src, &quick)
		if !ok {
			if !reflect.DeepEqual(quick, start()) {
				t.Fatalf("declined, yet changed the fields: %#v", quick)
			}
			continue
		}
		var c errs
		doc, treeOK := decodeTree(&c, "f.md", 1, src, &tree, "")
		if !treeOK || len(c.list) > 0 {
			t.Fatalf("quickDecode read what go-yaml refuses (%v):\n%s", c.list.Err(), src)
		}
		if !reflect.DeepEqual(quick, tree) {
			t.Fatalf("decoded\n%#v\ngo-yaml\n%#v\nfrom\n%s", quick, tree, src)
		}
		typ := reflect.TypeFor[FrontMatter]()
		for i := range typ.NumField() {
			at := "$." + strings.Split(typ.Field(i).Tag.Get("yaml"), ",")[0]
			q := &yamlDoc{lineOff: 1, src: src, keys: keys}
			if q.has(at) != doc.has(at) {
				t.Fatalf("has(%s): %v, go-yaml's tree: %v", at, q.has(at), doc.has(at))
			}
			ql, qc := q.pos(at) // parses q's tree
			if tl, tc := doc.pos(at); ql != tl || qc != tc {
				t.Fatalf("pos(%s): %d:%d, go-yaml's tree: %d:%d", at, ql, qc, tl, tc)
			}
		}
	}
}

// TestQuickDecodeIndicators puts each of YAML's indicators, and spaces
// that are not YAML's, at each place of a value, of a list item and after
// a key: quickDecode reads each as go-yaml does, or leaves it to it.
func TestQuickDecodeIndicators(t *testing.T) {
	marks := []string{"-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", `"`, "%", "@", "`",
		"~", "<<", "=", `\`, "\u00a0", "\u2003", "\u3000", "\u200b", "---", "...", "- ", ": ", " #"}
	shapes := []string{
		"title: %sa", "title: a%s", "title: a%sb", "title: a %s b", "title: a %sb", "title: %s",
		`title: "a%sb"`, `title: 'a%sb'`, `title: "a" %s`, "title: 'a' %s",
		"aliases: [a%s]", "aliases: [%sa]", "aliases: [a, %s]", "aliases: [a] %s",
		"aliases:\n  - a%s", "aliases:\n  - %sa", "aliases:\n%s\n  - a", "aliases:\n  - a\n%s",
		"status: %s502", "status: 502%s", "retry_after: 6%s", "crashlog: true%s",
		"title%s: a", "%stitle: a", "title:%sa", "title: a\n%s\nsummary: b",
	}
	for _, shape := range shapes {
		for _, m := range marks {
			src := fmt.Sprintf(shape, m)
			t.Run(fmt.Sprintf("%q", src), func(t *testing.T) { sameAsTree(t, []byte(src)) })
		}
	}
}

// BenchmarkDecodeFrontMatter decodes a page's front matter as the build
// does (quick) and through go-yaml's tree, as every page was before.
func BenchmarkDecodeFrontMatter(b *testing.B) {
	src := []byte("status: 503\ntitle: Down for maintenance\nsummary: \"We're working on it: back soon.\"\n" +
		"source: platform\naliases: [H80, maintenance]\nretry_after: 600\n")
	for _, bench := range []struct {
		name   string
		decode func(*errs, string, int, []byte, any, string) (*yamlDoc, bool)
	}{{"quick", decodeYAML}, {"tree", decodeTree}} {
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var c errs
				var fm FrontMatter
				if _, ok := bench.decode(&c, "f.md", 1, src, &fm, ""); !ok || fm.RetryAfter != 600 {
					b.Fatal("not decoded")
				}
			}
		})
	}
}
