//go:build unix

package crashlog

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadTokenFIFO: a named pipe is refused at once, not read (reading one
// waits for a writer, forever when there is none).
func TestLoadTokenFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "token")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := LoadToken(fifo, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (a named pipe)") {
			t.Errorf("LoadToken of a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the reader so the test can end, then fail.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatal("LoadToken blocked on a FIFO")
	}
}
