package server

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingWriter records each write it gets.
type countingWriter struct {
	mu     sync.Mutex
	writes []string
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func (w *countingWriter) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.writes...)
}

// TestLogBuffer: lines logged together are written together, in order,
// after the delay; 64 KiB waiting are written at once; Close writes the rest.
func TestLogBuffer(t *testing.T) {
	w := &countingWriter{}
	b := newLogBuffer(w, time.Hour) // only size and Close write
	var want strings.Builder
	for i := range 100 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		b.Write([]byte(line))
	}
	if n := len(w.get()); n != 0 {
		t.Fatalf("%d writes before the delay", n)
	}
	big := strings.Repeat("x", maxLogBuffer) + "\n"
	want.WriteString(big)
	b.Write([]byte(big))
	if got := w.get(); len(got) != 1 || got[0] != want.String() {
		t.Fatalf("after 64 KiB: %d writes", len(got))
	}
	b.Write([]byte("last\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := w.get(); len(got) != 2 || got[1] != "last\n" {
		t.Fatalf("after Close: writes %q", got[1:])
	}

	// The timer writes what waits, once, without Close.
	w = &countingWriter{}
	b = newLogBuffer(w, 10*time.Millisecond)
	b.Write([]byte("a\n"))
	b.Write([]byte("b\n"))
	deadline := time.Now().Add(10 * time.Second)
	for len(w.get()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := w.get(); len(got) != 1 || got[0] != "a\nb\n" {
		t.Fatalf("timer wrote %q", got)
	}
	b.Close()
}

// TestLogBufferConcurrent: lines from many goroutines all arrive whole (run
// with -race).
func TestLogBufferConcurrent(t *testing.T) {
	w := &countingWriter{}
	b := newLogBuffer(w, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				b.Write([]byte(fmt.Sprintf("g%d line %d %s\n", g, i, strings.Repeat("-", i%100))))
			}
		})
	}
	wg.Wait()
	b.Close()
	all := strings.Join(w.get(), "")
	if n := strings.Count(all, "\n"); n != 16000 {
		t.Fatalf("%d lines, want 16000", n)
	}
	for g := range 8 {
		last := -1
		for l := range strings.Lines(all) {
			var gg, i int
			if _, err := fmt.Sscanf(l, "g%d line %d", &gg, &i); err != nil {
				t.Fatalf("mangled line %q", l)
			}
			if gg == g {
				if i != last+1 {
					t.Fatalf("goroutine %d: line %d after %d", g, i, last)
				}
				last = i
			}
		}
	}
	if len(w.get()) >= 16000 {
		t.Error("one write per line")
	}
}

// TestAccessLogDelay: with a delay, the server's access log is written in
// batches and Close writes the lines still waiting; without, line by line.
func TestAccessLogDelay(t *testing.T) {
	w := &countingWriter{}
	ts := open(t, Config{AccessLog: w, AccessLogDelay: time.Hour})
	for range 5 {
		ts.get(t, "/502")
	}
	if n := len(w.get()); n != 0 {
		t.Fatalf("%d writes while buffering", n)
	}
	ts.client.CloseIdleConnections()
	if err := ts.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := w.get()
	if len(got) != 1 || strings.Count(got[0], `"GET /502 HTTP/1.1" 502 `) != 5 {
		t.Fatalf("after Close: %q", got)
	}

	w = &countingWriter{}
	ts = open(t, Config{AccessLog: w})
	ts.get(t, "/502")
	ts.get(t, "/503")
	if got := w.get(); len(got) != 2 {
		t.Fatalf("unbuffered: %d writes for 2 requests", len(got))
	}
}
