//go:build !linux

package generator

// exchangeDirs cannot swap two folders in one step here: swapDir moves dst
// aside instead.
func exchangeDirs(src, dst string) error { return errNoExchange }
