package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExist is what CopySite's error is when the destination already holds
// one of the site's files; nothing is written then.
var ErrExist = fs.ErrExist

// existError names the first file that is in the way.
type existError struct {
	dir, first string
	more       int
}

func (e *existError) Error() string {
	s := fmt.Sprintf("%s already holds %s", e.dir, e.first)
	if e.more > 0 {
		s += fmt.Sprintf(" (and %d more of the site's files)", e.more)
	}
	return s
}

func (e *existError) Unwrap() error { return ErrExist }

// siteFiles lists a site's own files in fsys: everything under SiteDirs and
// the files at the root IsSiteFile names.
func siteFiles(fsys fs.FS) ([]string, error) {
	var files []string
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() && IsSiteDir(name):
			err := fs.WalkDir(fsys, name, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					files = append(files, p)
				}
				return err
			})
			if err != nil {
				return nil, err
			}
		case e.Type().IsRegular() && IsSiteFile(name):
			files = append(files, name)
		}
	}
	return files, nil
}

// CopySite writes the site in fsys into dir (created if needed), refusing to
// overwrite anything: if dir already holds any of the site's files, it writes
// nothing and the error wraps ErrExist. It returns how many files it wrote.
func CopySite(fsys fs.FS, dir string) (int, error) {
	files, err := siteFiles(fsys)
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, errors.New("no site files (ouchie.yaml, content/, themes/) to copy")
	}
	var exists []string
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f))); err == nil {
			exists = append(exists, f)
		}
	}
	if len(exists) > 0 {
		return 0, &existError{dir, exists[0], len(exists) - 1}
	}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return 0, err
		}
		dst := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}
