package generator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// deniedFS is a site in which one file cannot be read, as a file of mode
// 000 would be for anyone but root.
type deniedFS struct {
	fstest.MapFS
	denied string
}

func (d deniedFS) Open(name string) (fs.File, error) {
	if name == d.denied {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.MapFS.Open(name)
}

func (d deniedFS) ReadFile(name string) ([]byte, error) {
	if name == d.denied {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.MapFS.ReadFile(name)
}

// An asset that cannot be read is one error with its cause, not a "no
// asset" for every page that uses it.
func TestUnreadableAssetIsReportedOnceWithItsCause(t *testing.T) {
	site := baseSite(t)
	const asset = "themes/plain/assets/style.css"
	if _, ok := site[asset]; !ok {
		t.Fatalf("the base site has no %s", asset)
	}
	_, err := Build(deniedFS{site, asset}, Options{})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("want an error, got %v", err)
	}
	if len(list) != 1 || list[0].File != asset || !strings.Contains(list[0].Msg, "permission denied") {
		t.Errorf("want one error at %s with the permission error, got:\n%v", asset, err)
	}
}

// Editors on Windows start files with a byte order mark; pages accept it,
// and so must ouchie.yaml.
func TestConfigMayStartWithAByteOrderMark(t *testing.T) {
	site := baseSite(t)
	site[ConfigName].Data = append([]byte("\ufeff"), site[ConfigName].Data...)
	bundles, err := Build(site, Options{})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	if got := bundles[0].Manifest.Site.Name; got == "" {
		t.Error("the settings after the byte order mark were not read")
	}
}

// A build killed while writing leaves its temporary folder; the next build
// removes it, and leaves everything else alone.
func TestWriteOutRemovesStaleTemporaryFolders(t *testing.T) {
	out := t.TempDir()
	bundles, err := Build(baseSite(t), Options{})
	if err != nil {
		t.Fatal(formatErr(err))
	}
	theme := bundles[0].Manifest.Theme
	stale := []string{"." + theme + ".new-1234", "." + theme + ".new-99.old"}
	keep := []string{".other.new-1234", ".keep", theme + ".new-1"}
	for _, d := range append(stale, keep...) {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, d, "404.html"), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := WriteOut(out, bundles); err != nil {
		t.Fatal(err)
	}
	for _, d := range stale {
		if _, err := os.Lstat(filepath.Join(out, d)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale %s is still there (%v)", d, err)
		}
	}
	for _, d := range keep {
		if _, err := os.Lstat(filepath.Join(out, d)); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}
