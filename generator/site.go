package generator

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
)

// OpenDir returns the site in folder dir, read through an os.Root: no path,
// ".." or symlink can lead out of dir, so a site from someone else's
// repository cannot publish a file from elsewhere on the machine. Links that
// stay inside the site are followed. The folder stays open while the returned
// fs.FS is in use.
func OpenDir(dir string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &siteFS{FS: root.FS(), root: root, dirs: map[string]*os.File{}}, nil
}

// siteFS is a site folder read through its os.Root. It reads a file with
// as few system calls as the platform allows (see readIn): a build reads
// every page, and each call counts at 100,000 pages.
type siteFS struct {
	fs.FS // the root's
	root  *os.Root
	mu    sync.Mutex
	dirs  map[string]*os.File // folders opened through root, by path
}

// ReadFile reads name; a file readIn cannot read (a symlink, an error) is
// read through the root, which gives the error.
func (s *siteFS) ReadFile(name string) ([]byte, error) {
	if dir, base := path.Split(name); fs.ValidPath(name) && dir != "" {
		if d := s.dir(strings.TrimSuffix(dir, "/")); d != nil {
			if data, ok := readIn(d, base); ok {
				return data, nil
			}
		}
	}
	return fs.ReadFile(s.FS, name)
}

// forgetDirs forgets the folders dir opened. Load calls it first: a site
// served with --src is loaded again and again through one siteFS, and a
// folder replaced in between (content/ moved aside and a new one put in its
// place) must be read anew, not through the old one's descriptor. They are
// not closed here, but once unreachable (os.File's cleanup): a read still
// using one must not find its descriptor's number given to another file.
func (s *siteFS) forgetDirs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.dirs)
}

// dir returns folder name opened through the root, or nil.
func (s *siteFS) dir(name string) *os.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.dirs[name]
	if !ok {
		if d, _ = s.root.Open(name); d != nil {
			if st, err := d.Stat(); err != nil || !st.IsDir() {
				d.Close()
				d = nil
			}
		}
		s.dirs[name] = d
	}
	return d
}

// ReadDir reads a folder through the root.
func (s *siteFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(s.FS, name) }

// Stat describes a file through the root.
func (s *siteFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(s.FS, name) }

// ReadLink reads a symlink through the root.
func (s *siteFS) ReadLink(name string) (string, error) { return fs.ReadLink(s.FS, name) }

// Lstat describes a file, not following a symlink, through the root.
func (s *siteFS) Lstat(name string) (fs.FileInfo, error) { return fs.Lstat(s.FS, name) }

// escapeHint is the advice for a file whose path leads out of the site.
const escapeHint = "a site's files must be inside its folder: replace the symlink by the file itself"

// readError reports a file of the site that could not be read, with the
// cause (permission, a link out of the site) rather than a guess.
func (c *errs) readError(file string, err error) {
	c.add(file, 0, 0, hintFor(err), "%v", unwrapPathError(err))
}

// hintFor returns advice for a read error: for os.Root's refusal of a path
// that leads out of the site, how to fix it.
func hintFor(err error) string {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return escapeHint
	}
	return ""
}
