package crashlog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ouchie/ouchie/server/sanitize"
)

// newDir returns a Dir over a fresh directory, and the directory.
func newDir(t *testing.T) (*Dir, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, dir
}

func write(t *testing.T, file, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDir(t *testing.T) {
	d, dir := newDir(t)
	write(t, filepath.Join(dir, "web.log"), "\x1b[31mpanic\x1b[0m: token=abcdef123456\n")
	if got, ok := d.Lookup(Query{App: "web"}); !ok || string(got) != "panic: token=[redacted]\n" {
		t.Errorf("Lookup(web) = %q, %v", got, ok)
	}
	for _, app := range []string{"api", "empty", "blank"} {
		if app != "api" {
			write(t, filepath.Join(dir, app+".log"), map[string]string{"empty": "", "blank": "\n \x1b[0m\n"}[app])
		}
		if got, ok := d.Lookup(Query{App: app}); ok {
			t.Errorf("Lookup(%s) = %q, want no log", app, got)
		}
	}
	if _, err := OpenDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("OpenDir of a missing directory: no error")
	}
	var none *Dir
	if _, ok := none.Lookup(Query{App: "web"}); ok {
		t.Error("a nil Dir found a log")
	}
}

// TestDirNames plants a file for every name that must not be read.
func TestDirNames(t *testing.T) {
	d, dir := newDir(t)
	parent := filepath.Dir(dir)
	write(t, filepath.Join(parent, "passwd.log"), "root:x:0:0\n")
	write(t, filepath.Join(parent, "etc", "passwd.log"), "root:x:0:0\n")
	for _, name := range []string{".hidden", "UPPER", "a/b", "a\\b", "x.log", "-dash", "a b", "é"} {
		write(t, filepath.Join(dir, name+".log"), "must not be read\n")
	}
	for _, app := range []string{"../passwd", "../etc/passwd", "..", ".", "", ".hidden", "UPPER", "a/b", "a\\b", "/etc/passwd", "-dash", "a b", "é", "web\x00"} {
		if got, ok := d.Lookup(Query{App: app}); ok {
			t.Errorf("Lookup(%q) = %q, want no log", app, got)
		}
	}
	if _, ok := d.Lookup(Query{App: "x.log"}); !ok {
		t.Error("Lookup(x.log): a valid name (reading x.log.log) found nothing")
	}
}

func TestDirSymlinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	d, dir := newDir(t)
	outside := filepath.Join(filepath.Dir(dir), "secret.log")
	write(t, outside, "outside the root\n")
	write(t, filepath.Join(dir, "web.log"), "inside\n")
	for link, target := range map[string]string{
		"relative.log": "../secret.log",
		"absolute.log": outside,
		"alias.log":    "web.log",
		"loop.log":     "loop.log",
		"dangling.log": "nowhere.log",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, app := range []string{"relative", "absolute", "loop", "dangling"} {
		if got, ok := d.Lookup(Query{App: app}); ok {
			t.Errorf("Lookup(%s) = %q, want no log", app, got)
		}
	}
	// A link staying inside the directory is followed.
	if got, ok := d.Lookup(Query{App: "alias"}); !ok || string(got) != "inside\n" {
		t.Errorf("Lookup(alias) = %q, %v; want the log it links to", got, ok)
	}
}

func TestDirNotRegular(t *testing.T) {
	d, dir := newDir(t)
	if err := os.Mkdir(filepath.Join(dir, "sub.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, ok := d.Lookup(Query{App: "sub"}); ok {
		t.Errorf("Lookup(sub), a directory, = %q, want no log", got)
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestDirHugeFile reads the end of a 1 GiB (sparse) file.
func TestDirHugeFile(t *testing.T) {
	d, dir := newDir(t)
	file := filepath.Join(dir, "big.log")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	tailText := strings.Repeat("the end is near\n", 100) + "panic: out of memory\n"
	if _, err := f.WriteAt([]byte(tailText), 1<<30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, ok := d.Lookup(Query{App: "big"})
	if !ok || !bytes.HasPrefix(got, []byte("[… 1.0 GiB of earlier output not shown]\n")) || !bytes.HasSuffix(got, []byte("near\npanic: out of memory\n")) {
		t.Errorf("Lookup(big) = %.60q … (%v)", got, ok)
	}

	f, _ = os.Open(file)
	defer f.Close()
	c := &countingReaderAt{r: f}
	st, _ := f.Stat()
	if _, err := readTail(c, st.Size()); err != nil || c.n != sanitize.Window+1 {
		t.Errorf("readTail read %d bytes (%v), want %d", c.n, err, sanitize.Window+1)
	}
}

func TestDirCache(t *testing.T) {
	d, dir := newDir(t)
	file := filepath.Join(dir, "web.log")
	write(t, file, "first\n")
	a, _ := d.Lookup(Query{App: "web"})
	b, _ := d.Lookup(Query{App: "web"})
	if &a[0] != &b[0] {
		t.Error("an unchanged file was sanitized again")
	}
	write(t, file, "first\nsecond\n")
	if c, _ := d.Lookup(Query{App: "web"}); string(c) != "first\nsecond\n" {
		t.Errorf("after the file grew, Lookup = %q", c)
	}
	past := time.Now().Add(-time.Hour)
	write(t, file, "FIRST\nSECOND\n") // the same size: only the time tells
	os.Chtimes(file, past, past)
	if c, _ := d.Lookup(Query{App: "web"}); string(c) != "FIRST\nSECOND\n" {
		t.Errorf("after the file changed, Lookup = %q", c)
	}
	os.Remove(file)
	if c, ok := d.Lookup(Query{App: "web"}); ok {
		t.Errorf("after the file went, Lookup = %q", c)
	}
}
