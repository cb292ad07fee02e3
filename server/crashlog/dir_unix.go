//go:build unix

package crashlog

import "syscall"

// openFlags keeps opening a FIFO from blocking.
const openFlags = syscall.O_NONBLOCK
