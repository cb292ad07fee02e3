//go:build !linux

package generator

import (
	"errors"
	"os"
)

// swapDir puts directory src in place of dst, moving dst aside first; the old
// content ends up at src.
func swapDir(src, dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(src, dst)
	}
	old := src + ".old"
	if err := os.Rename(dst, old); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		_ = os.Rename(old, dst)
		return err
	}
	return os.Rename(old, src)
}
