//go:build linux

package generator

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// swapDir puts directory src in place of dst. When dst exists the two are
// exchanged atomically (renameat2 RENAME_EXCHANGE), leaving the old content
// at src; where that is unsupported, dst is moved aside and src renamed in.
func swapDir(src, dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(src, dst)
	}
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EOPNOTSUPP) {
		return err
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
