package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var (
	testTime    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	testEntries = []entry{
		{name: "ouchie", mode: 0o755, data: bytes.Repeat([]byte("binary "), 100)},
		{name: "README.md", mode: 0o644, data: []byte("# ouchie\n")},
	}
)

// archived is what a reader sees of one archive member.
type archived struct {
	name     string
	mode     fs.FileMode
	mtime    time.Time
	uid, gid int
	data     string
}

// want is the folder and the entries as the archives must hold them.
func want(dir string) []archived {
	w := []archived{{name: dir + "/", mode: fs.ModeDir | 0o755, mtime: testTime}}
	for _, e := range testEntries {
		w = append(w, archived{name: dir + "/" + e.name, mode: e.mode, mtime: testTime, data: string(e.data)})
	}
	return w
}

func TestTarGz(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.tar.gz")
	if err := writeTarGz(path, "ouchie_v1_linux_amd64", testTime, testEntries); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header name %q time %v, want neither", zr.Name, zr.ModTime)
	}
	var got []archived
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner %q:%q, want none named", h.Name, h.Uname, h.Gname)
		}
		got = append(got, archived{h.Name, h.FileInfo().Mode(), h.ModTime.UTC(), h.Uid, h.Gid, string(data)})
	}
	compare(t, got, want("ouchie_v1_linux_amd64"))
}

func TestZip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.zip")
	if err := writeZip(path, "ouchie_v1_windows_amd64", testTime, testEntries); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var got []archived
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		got = append(got, archived{name: f.Name, mode: f.Mode(), mtime: f.Modified.UTC(), data: string(data)})
	}
	compare(t, got, want("ouchie_v1_windows_amd64"))
}

func compare(t *testing.T, got, want []archived) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d members, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.name != w.name || g.mode != w.mode || !g.mtime.Equal(w.mtime) || g.uid != 0 || g.gid != 0 || g.data != w.data {
			t.Errorf("member %d: %s %v %v uid %d gid %d (%d bytes), want %s %v %v uid 0 gid 0 (%d bytes)",
				i, g.name, g.mode, g.mtime, g.uid, g.gid, len(g.data), w.name, w.mode, w.mtime, len(w.data))
		}
	}
}

// TestSums checks SHA256SUMS is sorted by name whatever the order given, in
// sha256sum's format.
func TestSums(t *testing.T) {
	dir := t.TempDir()
	var files []string
	wantSums := ""
	for _, name := range []string{"b.zip", "a.tar.gz"} {
		files = append(files, filepath.Join(dir, name))
		if err := os.WriteFile(files[len(files)-1], []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a.tar.gz", "b.zip"} {
		wantSums += fmt.Sprintf("%x  %s\n", sha256.Sum256([]byte(name)), name)
	}
	sums := filepath.Join(dir, "SHA256SUMS")
	if err := writeSums(sums, files); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(sums); string(got) != wantSums {
		t.Errorf("SHA256SUMS:\n%s\nwant:\n%s", got, wantSums)
	}
}
