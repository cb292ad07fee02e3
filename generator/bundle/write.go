package bundle

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteDir writes the bundle's files and its manifest into dir, creating dir
// if needed. Files are written in name order with mode 0644.
func (b *Bundle) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range sortedKeys(b.Files) {
		if err := os.WriteFile(filepath.Join(dir, name), b.Files[name], 0o644); err != nil {
			return err
		}
	}
	m, err := MarshalManifest(&b.Manifest)
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), m, 0o644)
}

// Open reads the bundle in directory dir.
func Open(dir string) (*Bundle, error) {
	b, err := Read(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return b, nil
}
