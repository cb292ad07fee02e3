package generator

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func TestCopySite(t *testing.T) {
	site := baseSite(t)
	site["main.go"] = &fstest.MapFile{Data: []byte("package main")}
	site["dist/plain/404.html"] = &fstest.MapFile{Data: []byte("old build")}
	site["layouts/partials/footer.html"] = &fstest.MapFile{Data: []byte("<footer></footer>")}
	site["brands/acme/logo.svg"] = site["logo.svg"] // a brand's files are the site's
	dir := t.TempDir()
	n, err := CopySite(site, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "brands", "acme", "logo.svg")); err != nil {
		t.Errorf("a brand's file was not copied: %v", err)
	}
	// Only the site's own files: not the code, not the old output.
	for _, gone := range []string{"main.go", "dist"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); err == nil {
			t.Errorf("%s was copied", gone)
		}
	}
	copied, err := Build(os.DirFS(dir), Options{})
	if err != nil {
		t.Fatalf("the copy does not build: %v", formatErr(err))
	}
	if len(copied[0].Manifest.Pages) != 5 || n != len(site)-2 {
		t.Errorf("copied %d files, %d pages", n, len(copied[0].Manifest.Pages))
	}

	// A second copy into the same folder refuses and writes nothing.
	if err := os.WriteFile(filepath.Join(dir, "content", "404.md"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CopySite(site, dir); !errors.Is(err, ErrExist) {
		t.Fatalf("second copy: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "content", "404.md")); string(data) != "edited" {
		t.Error("a refused copy overwrote a file")
	}
	if _, err := CopySite(fstest.MapFS{"README.md": {}}, t.TempDir()); err == nil {
		t.Error("a folder with no site copied without complaint")
	}
}
