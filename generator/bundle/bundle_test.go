package bundle

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"
)

// sample is a one-page bundle with a slot, as the generator would write it.
func sample() *Bundle {
	html := []byte("<p>404 id=</p>")
	return &Bundle{
		Manifest: Manifest{
			Version: Version, Theme: "t", Site: Settings{Name: "S", DefaultStatus: 404},
			Pages: []Page{{
				ID: "404", Status: 404, Source: "client", Title: "Not found", Aliases: []string{"gone"},
				Files: map[string]File{HTML: {Name: "404.html", Size: len(html), SHA256: Sum(html),
					Slots: []Slot{{Name: SlotStatus, Offset: 3, Len: 3}, {Name: SlotRequestID, Offset: 10}}}},
			}},
		},
		Files: map[string][]byte{"404.html": html},
	}
}

func toFS(t *testing.T, b *Bundle) fstest.MapFS {
	t.Helper()
	m, err := MarshalManifest(&b.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{ManifestName: {Data: m}}
	for name, data := range b.Files {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	return fsys
}

func TestReadRoundTrip(t *testing.T) {
	got, err := Read(toFS(t, sample()))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := got.Page("404")
	if !ok || p.Title != "Not found" {
		t.Fatalf("page %+v", p)
	}
	f := p.Files[HTML]
	parts := Segments(got.Files[f.Name], f)
	var b bytes.Buffer
	for i, part := range parts {
		b.Write(part)
		if i < len(f.Slots) {
			b.WriteString("[" + f.Slots[i].Name + "]")
		}
	}
	if b.String() != "<p>[status] id=[request_id]</p>" {
		t.Errorf("segments give %q", b.String())
	}
}

func TestReadRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(b *Bundle, fsys fstest.MapFS)
		want string
	}{
		"no manifest": {func(b *Bundle, fsys fstest.MapFS) { delete(fsys, ManifestName) }, "no manifest.json"},
		"unknown field": {func(b *Bundle, fsys fstest.MapFS) {
			fsys[ManifestName].Data = bytes.Replace(fsys[ManifestName].Data, []byte(`"theme"`), []byte(`"colour": 1, "theme"`), 1)
		}, `unknown field "colour"`},
		"tampered file":  {func(b *Bundle, fsys fstest.MapFS) { fsys["404.html"].Data = []byte("<p>evil</p>...") }, "checksum"},
		"missing file":   {func(b *Bundle, fsys fstest.MapFS) { delete(fsys, "404.html") }, "404.html"},
		"too big":        {func(b *Bundle, fsys fstest.MapFS) { fsys["404.html"].Data = make([]byte, MaxFileSize+1) }, "limit"},
		"version":        {func(b *Bundle, fsys fstest.MapFS) { b.Manifest.Version = 9 }, "version 9"},
		"no pages":       {func(b *Bundle, fsys fstest.MapFS) { b.Manifest.Pages = nil }, "no pages"},
		"bad id":         {func(b *Bundle, fsys fstest.MapFS) { b.Manifest.Pages[0].ID = "../404" }, "bad page id"},
		"traversal name": {func(b *Bundle, fsys fstest.MapFS) { setFile(b, func(f *File) { f.Name = "../404.html" }) }, "bad file name"},
		"slot range":     {func(b *Bundle, fsys fstest.MapFS) { setFile(b, func(f *File) { f.Slots[1].Offset = 99 }) }, "out of order or range"},
		"slot order":     {func(b *Bundle, fsys fstest.MapFS) { setFile(b, func(f *File) { f.Slots[1].Offset = 4 }) }, "out of order or range"},
		"slot name":      {func(b *Bundle, fsys fstest.MapFS) { setFile(b, func(f *File) { f.Slots[0].Name = "weather" }) }, `unknown slot "weather"`},
		"format":         {func(b *Bundle, fsys fstest.MapFS) { moveFormat(b, HTML, "pdf") }, `unknown format "pdf"`},
		"duplicate key": {func(b *Bundle, fsys fstest.MapFS) {
			p := b.Manifest.Pages[0]
			p.ID, p.Status, p.Aliases = "410", 410, []string{"GONE"}
			b.Manifest.Pages = append(b.Manifest.Pages, p)
		}, `key "GONE" names both page 404 and page 410`},
	} {
		t.Run(name, func(t *testing.T) {
			b := sample()
			fsys := toFS(t, b)
			tc.edit(b, fsys)
			if m, err := MarshalManifest(&b.Manifest); err == nil && !strings.Contains(name, "manifest") && name != "unknown field" {
				fsys[ManifestName] = &fstest.MapFile{Data: m}
			}
			_, err := Read(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func setFile(b *Bundle, edit func(f *File)) {
	p := &b.Manifest.Pages[0]
	f := p.Files[HTML]
	f.Slots = append([]Slot(nil), f.Slots...)
	edit(&f)
	p.Files[HTML] = f
}

func moveFormat(b *Bundle, from, to string) {
	p := &b.Manifest.Pages[0]
	p.Files[to] = p.Files[from]
	delete(p.Files, from)
}

func TestWriteDirAndOpen(t *testing.T) {
	dir := t.TempDir()
	if err := sample().WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Files["404.html"]) != "<p>404 id=</p>" {
		t.Errorf("read back %q", b.Files["404.html"])
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is this a bundle directory?") {
		t.Errorf("empty folder: %v", err)
	}
}

// TestTranslations: a translation is the same page in another of the site's
// languages; a language the site does not list, or a page listed twice for
// one language, is refused.
func TestTranslations(t *testing.T) {
	withDE := func(pageLang string, langs ...string) *Bundle {
		b := sample()
		b.Manifest.Site.Lang, b.Manifest.Site.Languages = "en", langs
		de := []byte("<p>404 Nicht gefunden</p>")
		b.Files["404.de.html"] = de
		b.Manifest.Pages = append(b.Manifest.Pages, Page{ID: "404", Lang: pageLang, Status: 404, Source: "client",
			Title: "Nicht gefunden", Aliases: []string{"gone"},
			Files: map[string]File{HTML: {Name: "404.de.html", Size: len(de), SHA256: Sum(de)}}})
		return b
	}
	if err := withDE("de", "en", "de").Validate(); err != nil {
		t.Fatalf("a German translation: %v", err)
	}
	b := withDE("de", "en", "de")
	for _, tt := range []struct {
		id, lang, want string
	}{{"404", "", "Not found"}, {"404", "en", "Not found"}, {"404", "de", "Nicht gefunden"}, {"404", "fr", ""}, {"500", "de", ""}} {
		p, ok := b.Translation(tt.id, tt.lang)
		if (ok && p.Title != tt.want) || ok != (tt.want != "") {
			t.Errorf("Translation(%q, %q) = %v, %v; want the page titled %q", tt.id, tt.lang, p, ok, tt.want)
		}
	}
	if p, ok := b.Page("404"); !ok || p.Lang != "" {
		t.Errorf("Page(404) = %+v, %v; want the default language's", p, ok)
	}
	for _, tt := range []struct {
		lang  string
		langs []string
		want  string
	}{
		{"fr", []string{"en", "de"}, `language "fr" is not one of`},
		{"de", nil, `language "de" is not one of`},
		{"en", []string{"en", "de"}, `language "en" is not one of`},
		{"", []string{"en", "de"}, `page 404 listed twice for language "en"`},
	} {
		if err := withDE(tt.lang, tt.langs...).Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("page lang %q, site languages %v: %v, want an error with %q", tt.lang, tt.langs, err, tt.want)
		}
	}
}

// TestReadManifestThenFiles: a reader loading files one at a time gets the
// same checks as Read: the manifest by itself, then each file against it.
func TestReadManifestThenFiles(t *testing.T) {
	b := sample()
	fsys := toFS(t, b)
	m, err := ReadManifest(fsys)
	if err != nil {
		t.Fatal(err)
	}
	f := m.Pages[0].Files[HTML]
	if data, err := ReadFile(fsys, f); err != nil || string(data) != "<p>404 id=</p>" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	fsys["404.html"].Data = []byte("<p>404 id=!</p>")
	if _, err := ReadFile(fsys, f); err == nil || !strings.Contains(err.Error(), "404.html does not match its size or checksum") {
		t.Errorf("a changed file: %v", err)
	}
	if _, err := ReadSibling(fsys, f, "br"); err == nil || !strings.Contains(err.Error(), "no br sibling") {
		t.Errorf("a sibling the manifest does not list: %v", err)
	}
	delete(fsys, "404.html")
	if _, err := ReadManifest(fsys); err != nil {
		t.Errorf("ReadManifest reads no file: %v", err)
	}
	setFile(b, func(f *File) { f.Name = "../404.html" })
	fsys = toFS(t, b)
	if _, err := ReadManifest(fsys); err == nil || !strings.Contains(err.Error(), "bad file name") {
		t.Errorf("a bad file name: %v", err)
	}
}
