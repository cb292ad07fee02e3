//go:build linux

package generator

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// readIn reads the file name of folder dir with openat, read and close
// alone (os.File adds five calls to each open, to try the poller). It
// refuses a symlink (O_NOFOLLOW) and a file over maxPageSize: ok is false
// for those and for any error, and the caller reads the file the portable
// way, which follows links inside the site and says what went wrong.
func readIn(dir *os.File, name string) (data []byte, ok bool) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	runtime.KeepAlive(dir) // its descriptor stays open until openat is done
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 4096)
	for len(buf) <= maxPageSize {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n < 0 {
			return nil, false
		}
		if n == 0 {
			return buf, true
		}
		buf = buf[:len(buf)+n]
	}
	return nil, false
}

// writeNew writes data to a new file name in folder dir (O_EXCL), with
// openat, write and close alone.
func writeNew(dir *os.File, name string, data []byte) error {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	runtime.KeepAlive(dir)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir.Name() + "/" + name, Err: err}
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return &os.PathError{Op: "write", Path: dir.Name() + "/" + name, Err: err}
		}
		data = data[n:]
	}
	if err := unix.Close(fd); err != nil {
		return &os.PathError{Op: "close", Path: dir.Name() + "/" + name, Err: err}
	}
	return nil
}
