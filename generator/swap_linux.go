//go:build linux

package generator

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// exchangeDirs swaps src and dst atomically (renameat2 RENAME_EXCHANGE); it
// returns an error wrapping errNoExchange where the kernel or the file
// system cannot.
func exchangeDirs(src, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("%w: %w", errNoExchange, err)
	}
	return err
}
