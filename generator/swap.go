package generator

import (
	"errors"
	"os"
)

// errNoExchange is what exchangeDirs returns where the system cannot swap
// two folders in one step.
var errNoExchange = errors.New("atomic exchange unsupported")

// swapDir puts directory src in place of dst, leaving the old content at
// src. When dst exists the two are exchanged in one step where the system
// can (exchangeDirs); elsewhere dst is moved aside and src renamed in.
func swapDir(src, dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(src, dst)
	}
	err := exchangeDirs(src, dst)
	if !errors.Is(err, errNoExchange) {
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
