package generator

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenDirReads: the site folder's ReadFile, which reads pages with the
// fewest system calls, reads what the root reads: a page symlinked inside
// the site, a page in a symlinked folder, and a page over the size limit
// (which the load then refuses), and it refuses a link out of the site as
// the root does.
func TestOpenDirReads(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, baseSite(t)); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret.md")
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "content/404.md"))
	if err != nil {
		t.Fatal(err)
	}
	write("shared/410.md", bytes.Replace(page, []byte("status: 404"), []byte("status: 410"), 1))
	link("../shared/410.md", "content/410.md")
	write("pages/x.md", page)
	link("pages", "linked")
	write("content/big.md", bytes.Repeat([]byte("x"), maxPageSize+1))
	if err := os.WriteFile(outside, page, 0o644); err != nil {
		t.Fatal(err)
	}
	link(outside, "content/secret.md")

	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"content/404.md", "content/410.md", "linked/x.md", "content/big.md", "ouchie.yaml"} {
		got, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: read %d bytes, want the file's %d", name, len(got), len(want))
		}
	}
	for _, name := range []string{"content/secret.md", "content/none.md", "../x.md", "content/"} {
		if data, err := fs.ReadFile(fsys, name); err == nil {
			t.Errorf("%s: read %q, want an error", name, data)
		} else if name == "content/secret.md" && !strings.Contains(err.Error(), "escapes") {
			t.Errorf("%s: %v, want the root's refusal", name, err)
		}
	}
}

// TestOpenDirFolderReplaced: a site loaded again through the same folder
// (ouchie serve --src) reads a content/ put in place of the old one, not
// the old one through a descriptor kept from the first load.
func TestOpenDirFolderReplaced(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, baseSite(t)); err != nil {
		t.Fatal(err)
	}
	fsys, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	title := func() string {
		t.Helper()
		s, err := Load(fsys)
		if err != nil {
			t.Fatal(formatErr(err))
		}
		for _, p := range s.Pages {
			if p.ID == "404" {
				return p.Meta.Title
			}
		}
		t.Fatal("no page 404")
		return ""
	}
	before := title()
	fresh := filepath.Join(dir, "content.new")
	if err := os.CopyFS(fresh, os.DirFS(filepath.Join(dir, "content"))); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(fresh, "404.md")
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, bytes.Replace(data, []byte("title: "), []byte("title: Replaced "), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "content"), filepath.Join(dir, "content.old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(fresh, filepath.Join(dir, "content")); err != nil {
		t.Fatal(err)
	}
	if after := title(); after != "Replaced "+before {
		t.Errorf("title after content/ was replaced: %q, want %q", after, "Replaced "+before)
	}
}
