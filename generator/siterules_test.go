package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckSite(t *testing.T) {
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	if err := os.MkdirAll(filepath.Join(site, ContentDir), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	contentFile := filepath.Join(dir, "flat")
	if err := os.MkdirAll(contentFile, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(contentFile, ContentDir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckSite(site); err != nil {
		t.Errorf("a folder holding content/: %v", err)
	}
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(dir, "nowhere"), "site " + filepath.Join(dir, "nowhere") + ": no such file or directory"},
		{file, "site " + file + ": not a folder"},
		{dir, "site " + dir + ": no content/ folder there"},
		{contentFile, "site " + contentFile + ": no content/ folder there"},
	} {
		err := CheckSite(c.dir)
		if err == nil || err.Error() != c.want {
			t.Errorf("CheckSite(%s) = %v, want %q", c.dir, err, c.want)
		}
	}
}

func TestSiteFiles(t *testing.T) {
	for name, want := range map[string]bool{
		ConfigName: true, "logo.svg": true, "content": true, "themes": true, "layouts": true, "brands": true,
		"README.md": false, "dist": false, ".git": false, "main.go": false, "ouchie.yml": false,
	} {
		if got := IsSiteFile(name) || IsSiteDir(name); got != want {
			t.Errorf("%s belongs to the site: %v, want %v", name, got, want)
		}
	}
	for _, d := range SiteDirs {
		if strings.Contains(d, "/") || IsSiteFile(d) {
			t.Errorf("site folder %q is not a top-level folder name", d)
		}
	}
}
