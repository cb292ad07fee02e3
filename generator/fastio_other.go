//go:build !linux

package generator

import (
	"os"
	"path/filepath"
)

// readIn reads nothing here: the caller reads the file through the root.
func readIn(dir *os.File, name string) ([]byte, bool) { return nil, false }

// writeNew writes data to a new file name in folder dir (O_EXCL).
func writeNew(dir *os.File, name string, data []byte) error {
	f, err := os.OpenFile(filepath.Join(dir.Name(), name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
