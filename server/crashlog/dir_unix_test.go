//go:build unix

package crashlog

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestDirFIFO: a FIFO named like a log, with no writer, must not hang a
// lookup (opening it for reading would block).
func TestDirFIFO(t *testing.T) {
	d, dir := newDir(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if got, ok := d.Lookup(Query{App: "fifo"}); ok {
			t.Errorf("Lookup(fifo) = %q, want no log", got)
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Lookup blocked on a FIFO") // a hang guard, not a timing
	}
}

// TestOpenFIFONonBlocking opens a FIFO the way Lookup does, after its Stat said
// regular file (a FIFO swapped in between): the open must not block.
func TestOpenFIFONonBlocking(t *testing.T) {
	d, dir := newDir(t)
	if err := syscall.Mkfifo(filepath.Join(dir, "swap.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := d.root.OpenFile("swap.log", syscall.O_RDONLY|openFlags, 0)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("opening a FIFO blocked") // a hang guard, not a timing
	}
}
