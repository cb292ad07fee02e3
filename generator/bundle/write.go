package bundle

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/andybalholm/brotli"
)

// WriteDir writes the bundle's files and its manifest into dir, creating dir
// if needed. Files are written in name order with mode 0644.
func (b *Bundle) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(b.Files)) {
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

// Gzip compresses data as the bundle's .gz siblings are: best compression,
// no name or time in the header, so the same bytes give the same file.
func Gzip(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: cannot fail
	_, _ = zw.Write(data)
	_ = zw.Close()
	return buf.Bytes()
}

// Brotli compresses data as the bundle's .br siblings are, at the given
// quality (0-11). A 64 KiB window covers any error page and keeps the
// encoder small.
func Brotli(data []byte, quality int) []byte {
	var buf bytes.Buffer
	bw := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: quality, LGWin: 16})
	_, _ = bw.Write(data)
	_ = bw.Close()
	return buf.Bytes()
}
