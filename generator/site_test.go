package generator

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ouchie/ouchie/generator/bundle"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite golden files and the want sections of test cases")

// loadTxtar reads a txtar archive into a MapFS.
func loadTxtar(t testing.TB, file string) (*txtar.Archive, fstest.MapFS) {
	t.Helper()
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, f := range a.Files {
		m[f.Name] = &fstest.MapFile{Data: bytes.Clone(f.Data), Mode: 0o644} // a copy: appending must not run into the next file
	}
	return a, m
}

// baseSite returns a fresh copy of testdata/base.txtar.
func baseSite(t testing.TB) fstest.MapFS {
	_, m := loadTxtar(t, "testdata/base.txtar")
	return m
}

// formatErr renders an error as the CLI prints it, without its prefix.
func formatErr(err error) string {
	if err == nil {
		return "ok\n"
	}
	var b strings.Builder
	if list, ok := err.(ErrorList); ok {
		for _, e := range list {
			b.WriteString(e.Error() + "\n")
			if e.Hint != "" {
				b.WriteString("hint: " + e.Hint + "\n")
			}
		}
		return b.String()
	}
	return "not an ErrorList: " + err.Error() + "\n"
}

// checkSite loads fsys and renders it, brands and all, as ouchie check does.
func checkSite(fsys fs.FS) (int, error) {
	s, err := Load(fsys)
	if err != nil {
		return 0, err
	}
	return s.Check()
}

// TestErrors builds the base site with each case of testdata/errors laid over
// it and compares every reported error, position and hint with the case's
// "want" section. A file section named "delete" lists files to remove.
func TestErrors(t *testing.T) {
	files, _ := fs.Glob(os.DirFS("testdata/errors"), "*.txtar")
	if len(files) == 0 {
		t.Fatal("no cases in testdata/errors")
	}
	for _, name := range files {
		t.Run(strings.TrimSuffix(name, ".txtar"), func(t *testing.T) {
			file := path.Join("testdata/errors", name)
			a, overlay := loadTxtar(t, file)
			site := baseSite(t)
			var want []byte
			wantAt := -1
			for i, f := range a.Files {
				switch f.Name {
				case "want":
					want, wantAt = f.Data, i
				case "delete":
					for _, d := range strings.Fields(string(f.Data)) {
						if _, ok := site[d]; !ok {
							t.Fatalf("delete %s: not in the base site", d)
						}
						delete(site, d)
					}
				default:
					site[f.Name] = overlay[f.Name]
				}
			}
			if wantAt < 0 {
				t.Fatal("case has no want section")
			}
			_, err := checkSite(site)
			got := formatErr(err)
			if got == "ok\n" {
				t.Fatalf("build succeeded; want errors:\n%s", want)
			}
			if got != string(want) {
				if *update {
					a.Files[wantAt].Data = []byte(got)
					if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				t.Errorf("errors differ\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}

// TestErrorPositionsPointAtTheText checks, independently of the want files,
// that a reported line and column land on the offending text.
func TestErrorPositionsPointAtTheText(t *testing.T) {
	site := baseSite(t)
	src := string(site["content/404.md"].Data)
	site["content/404.md"].Data = []byte(strings.Replace(src, "status: 404", "statsu: 404", 1))
	site["ouchie.yaml"].Data = []byte(strings.Replace(string(site["ouchie.yaml"].Data), `"#0a7"`, `"#0a7x"`, 1))
	_, err := Build(site, Options{})
	list, ok := err.(ErrorList)
	if !ok || len(list) != 3 {
		t.Fatalf("want 3 errors (unknown field, so no status, and the colour), got %v", err)
	}
	for _, e := range list {
		lines := strings.Split(string(site[e.File].Data), "\n")
		if e.Line < 1 || e.Line > len(lines) || e.Col < 1 {
			t.Fatalf("%s: position out of the file", e)
		}
		at := lines[e.Line-1][e.Col-1:]
		if !strings.HasPrefix(at, "statsu") && !strings.HasPrefix(at, `"#0a7x"`) {
			t.Errorf("%s points at %q", e, at)
		}
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	a, err := Build(baseSite(t), Options{Formats: bundle.Formats, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(baseSite(t), Options{Formats: bundle.Formats, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range a[0].Files {
		if !bytes.Equal(data, b[0].Files[name]) {
			t.Errorf("%s differs between two builds of the same site", name)
		}
	}
	ma, _ := marshal(a[0])
	mb, _ := marshal(b[0])
	if !bytes.Equal(ma, mb) {
		t.Error("manifest differs between two builds of the same site")
	}
}

func TestSmarten(t *testing.T) {
	for in, want := range map[string]string{
		`This app couldn't start`:           "This app couldn’t start",
		`The "platform" failed -- sorry...`: "The “platform” failed – sorry…",
		`'quoted' and ---`:                  "‘quoted’ and —",
		`no punctuation`:                    "no punctuation",
		`apps' logs ("stderr")`:             "apps’ logs (“stderr”)",
	} {
		if got := smarten(in); got != want {
			t.Errorf("smarten(%q) = %q, want %q", in, got, want)
		}
	}
}

// A site needs no page of its own for default_status: the fallback answers.
func TestDefaultStatusMayUseFallback(t *testing.T) {
	site := baseSite(t)
	delete(site, "content/404.md")
	bundles, err := Build(site, Options{})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	if bundles[0].Manifest.Site.DefaultStatus != 404 {
		t.Errorf("default status %d", bundles[0].Manifest.Site.DefaultStatus)
	}
}

func TestPageStatus(t *testing.T) {
	for id, want := range map[string]string{"404": "404", "502-app-crashed": "502", "4xx": "4xx", "5xx": "5xx",
		"302": "", "6xx": "", "404-Bad": "", "404_x": "", "": "", "1000": ""} {
		got, ok := PageStatus(id)
		if ok != (want != "") || (ok && got != want) {
			t.Errorf("PageStatus(%q) = %q, %v; want %q", id, got, ok, want)
		}
	}
}

// TestFormatAll: the word "all" is every format, as bundle.Formats lists them.
func TestFormatAll(t *testing.T) {
	bundles, err := Build(baseSite(t), Options{Formats: []string{"json", FormatAll}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bundles[0].Manifest.Pages {
		if got := slices.Sorted(maps.Keys(p.Files)); !slices.Equal(got, slices.Sorted(slices.Values(bundle.Formats))) {
			t.Errorf("page %s: formats %v, want %v", p.ID, got, bundle.Formats)
		}
	}
	_, err = Build(baseSite(t), Options{Formats: []string{"pdf"}})
	var list ErrorList
	if !errors.As(err, &list) || !strings.Contains(list[0].Hint, FormatAll) {
		t.Errorf("an unknown format's hint does not offer %q: %v", FormatAll, err)
	}
}

// The manifest names the site's crashlog page: the one ouchie.yaml sets,
// the default one when the site has it, none when it has not or says none.
func TestCrashlogPage(t *testing.T) {
	for _, tt := range []struct {
		name, setting string
		page          bool // add content/502-app-crashed.md
		want          string
	}{
		{"default, absent", "", false, ""},
		{"default, present", "", true, "502-app-crashed"},
		{"named", "crashlog_page: 502-app-failed-to-boot\n", true, "502-app-failed-to-boot"},
		{"none", "crashlog_page: none\n", true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			site := baseSite(t)
			site["ouchie.yaml"] = &fstest.MapFile{Data: append(slices.Clone(site["ouchie.yaml"].Data), tt.setting...)}
			if tt.page {
				site["content/502-app-crashed.md"] = &fstest.MapFile{Data: []byte("---\nstatus: 502\ntitle: Crashed\nsummary: It crashed.\nsource: app\ncrashlog: true\n---\nBody.\n")}
			}
			bundles, err := Build(site, Options{})
			if err != nil {
				t.Fatal(formatErr(err))
			}
			if got := bundles[0].Manifest.Site.CrashlogPage; got != tt.want {
				t.Errorf("crashlog page %q, want %q", got, tt.want)
			}
		})
	}
}
