package generator

import (
	"io/fs"
	"os"
	"strings"
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
	return root.FS(), nil
}

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
